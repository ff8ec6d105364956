import { Logger } from '@aws-lambda-powertools/logger';
import { maskSensitive } from './log-masking.js';

/**
 * One structured JSON logger per function (Powertools); level from LOG_LEVEL / POWERTOOLS_LOG_LEVEL.
 * IBANs, account numbers, names and secrets are masked in every line.
 */
export const logger = new Logger({ serviceName: 'tm-proxy', jsonReplacerFn: maskSensitive });
