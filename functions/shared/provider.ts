import { flagrightProvider } from '#adapters/providers/flagright.js';
import { httpProvider } from '#adapters/providers/http-provider.js';
import { withProviderKey } from '#domain/providers/http-mapping.js';
import type { ProviderPort } from '#domain/providers/verdicts.js';
import type { ConfigOf, providerConfig, providerIdentityConfig } from './config.js';

/** The external provider chosen by TM_PROVIDER (absent with `rules`), unguarded. */
export const providerPortFor = (config: ConfigOf<ReturnType<typeof providerConfig>>): ProviderPort | undefined => {
  if (config.TM_PROVIDER === 'http' && config.HTTP_PROVIDER_CONFIG) {
    const full = withProviderKey(config.HTTP_PROVIDER_CONFIG, config.HTTP_PROVIDER_KEY);
    return full && httpProvider(full);
  }
  if (config.TM_PROVIDER === 'flagright' && config.FLAGRIGHT_API_URL && config.FLAGRIGHT_API_KEY) {
    return flagrightProvider({
      url: config.FLAGRIGHT_API_URL,
      apiKey: config.FLAGRIGHT_API_KEY,
      validateUsers: config.FLAGRIGHT_VALIDATE_USERS,
    });
  }
  return undefined;
};

/**
 * The name the provider's decisions are recorded under (as its port names itself), from the
 * settings alone: a function that only reports on the provider needs none of its credentials.
 */
export const providerNameFor = (config: ConfigOf<ReturnType<typeof providerIdentityConfig>>): string | undefined => {
  if (config.TM_PROVIDER === 'http') return config.HTTP_PROVIDER_CONFIG?.name ?? 'http';
  if (config.TM_PROVIDER === 'flagright') return 'flagright';
  return undefined;
};
