import { flagrightProvider } from '#adapters/providers/flagright.js';
import { httpProvider } from '#adapters/providers/http-provider.js';
import type { ProviderPort } from '#domain/providers/verdicts.js';
import type { ConfigOf, providerConfig } from './config.js';

/** The external provider chosen by TM_PROVIDER (absent with `rules`), unguarded. */
export const providerPortFor = (config: ConfigOf<typeof providerConfig>): ProviderPort | undefined => {
  if (config.TM_PROVIDER === 'http' && config.HTTP_PROVIDER_CONFIG) return httpProvider(config.HTTP_PROVIDER_CONFIG);
  if (config.TM_PROVIDER === 'flagright' && config.FLAGRIGHT_API_URL && config.FLAGRIGHT_API_KEY) {
    return flagrightProvider({
      url: config.FLAGRIGHT_API_URL,
      apiKey: config.FLAGRIGHT_API_KEY,
      validateUsers: config.FLAGRIGHT_VALIDATE_USERS,
    });
  }
  return undefined;
};
