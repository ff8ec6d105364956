import * as z from 'zod';
import type { Reason } from '../decisions/decision.js';
import { lookupOwn, type ProviderStatus, ProviderUnreadableError, type ProviderVerdict } from './verdicts.js';

/**
 * The generic HTTP provider, configured declaratively (HTTP_PROVIDER_CONFIG, JSON):
 * - request: output field (dotted for nesting) -> where to read it: `tx.<path>` (the normalised
 *   transaction), `payload.<path>` (Toqio's body) or `=<literal>`;
 * - response: where the verdict is and how the provider's words map to ours.
 */
// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// (every one whose configuration holds no HTTP_PROVIDER_CONFIG) does not build them at cold start.
const httpProviderMapping = () => ({
  name: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('http'),
  url: z.url(),
  request: z.record(z.string(), z.string().regex(/^(tx\.|payload\.|=)/, 'must start with tx., payload. or =')),
  response: z.strictObject({
    statusPath: z.string().min(1),
    statusMap: z.record(z.string(), z.enum(['APPROVED', 'REJECTED', 'PENDING'])),
    referencePath: z.string().optional(),
    /** An array of strings, or of objects with `descriptionField` (and `ruleField`). */
    reasonsPath: z.string().optional(),
    ruleField: z.string().default('rule'),
    descriptionField: z.string().default('description'),
  }),
});

export const HttpProviderConfigSchema = z.lazy(() =>
  z.strictObject({
    ...httpProviderMapping(),
    auth: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('apiKey'), header: z.string().default('x-api-key'), key: z.string().min(8) }),
      z.strictObject({
        type: z.literal('hmac'),
        header: z.string().default('x-signature'),
        secret: z.string().min(16),
      }),
    ]),
  }),
);

/**
 * The same configuration with its credential optional: the mapping is not secret (it is stage
 * configuration, HTTP_PROVIDER_CONFIG), the API key or HMAC secret comes from the provider secret
 * (HTTP_PROVIDER_KEY). Locally the key may still sit inline.
 */
export const HttpProviderSettingsSchema = z.lazy(() =>
  z.strictObject({
    ...httpProviderMapping(),
    auth: z.discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('apiKey'),
        header: z.string().default('x-api-key'),
        key: z.string().min(8).optional(),
      }),
      z.strictObject({
        type: z.literal('hmac'),
        header: z.string().default('x-signature'),
        secret: z.string().min(16).optional(),
      }),
    ]),
  }),
);
export type HttpProviderSettings = z.infer<typeof HttpProviderSettingsSchema>;

/** The full configuration from the settings and the credential; undefined when there is none. */
export const withProviderKey = (
  settings: HttpProviderSettings,
  key: string | undefined,
): HttpProviderConfig | undefined => {
  const { auth } = settings;
  if (auth.type === 'apiKey') {
    const value = auth.key ?? key;
    return value ? { ...settings, auth: { ...auth, key: value } } : undefined;
  }
  const value = auth.secret ?? key;
  return value ? { ...settings, auth: { ...auth, secret: value } } : undefined;
};
export type HttpProviderConfig = z.infer<typeof HttpProviderConfigSchema>;

export const readPath = (source: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      source,
    );

const writePath = (target: Record<string, unknown>, path: string, value: unknown) => {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
};

/** The provider's request body, built from the mapping. Absent values are left out. */
export const buildProviderRequest = (
  mapping: HttpProviderConfig['request'],
  sources: { tx: unknown; payload: unknown },
) => {
  const body: Record<string, unknown> = {};
  for (const [field, from] of Object.entries(mapping)) {
    const value = from.startsWith('=') ? from.slice(1) : readPath(sources, from);
    if (value !== undefined && value !== null) writePath(body, field, value);
  }
  return body;
};

/** Reads a verdict from the provider's answer; an answer it cannot map is unreadable, never a guess. */
export const readProviderVerdict = (
  answer: unknown,
  response: HttpProviderConfig['response'],
  provider: string,
): ProviderVerdict => {
  const said = readPath(answer, response.statusPath);
  const status: ProviderStatus | undefined = typeof said === 'string' ? lookupOwn(response.statusMap, said) : undefined;
  if (!status)
    throw new ProviderUnreadableError(
      `${provider} answered ${JSON.stringify(said)} at ${response.statusPath}, which is not mapped`,
    );
  const rawReasons = response.reasonsPath ? readPath(answer, response.reasonsPath) : undefined;
  const reasons: Reason[] = Array.isArray(rawReasons)
    ? rawReasons.map((reason, index) =>
        typeof reason === 'string'
          ? { rule: `${provider}:${index + 1}`, description: reason }
          : {
              rule: `${provider}:${String(readPath(reason, response.ruleField) ?? index + 1)}`,
              description: String(readPath(reason, response.descriptionField) ?? 'provider hit'),
            },
      )
    : [];
  const reference = response.referencePath ? readPath(answer, response.referencePath) : undefined;
  return { status, reasons, ...(reference === undefined ? {} : { reference: String(reference) }), raw: answer };
};
