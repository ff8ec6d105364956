import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per function (Powertools); level from LOG_LEVEL / POWERTOOLS_LOG_LEVEL. */
export const logger = new Logger({ serviceName: 'tm-proxy' });
