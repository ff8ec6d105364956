import type { createSecrets } from './aws-clients.js';

/**
 * Reads one JSON secret (a flat object of strings). Called once per cold start by getConfig;
 * the value is cached with the configuration and never logged.
 */
export const secretFetcher =
  (secrets: ReturnType<typeof createSecrets>) =>
  async (arn: string): Promise<Record<string, string>> => {
    const result = await secrets.with((client, { GetSecretValueCommand }) =>
      client.send(new GetSecretValueCommand({ SecretId: arn })),
    );
    if (!result.SecretString) return {};
    const parsed: unknown = JSON.parse(result.SecretString);
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`secret ${arn} is not a JSON object`);
    return Object.fromEntries(Object.entries(parsed).filter(([, value]) => typeof value === 'string'));
  };
