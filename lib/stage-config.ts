import * as z from 'zod';

/**
 * What differs between deployments (dev, prod, another customer): read from CDK context
 * (`cdk deploy -c stage=prod`, values under `tm-proxy:stages` in cdk.json) and validated here.
 */
export const StageConfigSchema = z.object({
  stage: z.string().regex(/^[a-z][a-z0-9-]{1,20}$/),
  toqioWebhookBaseUrl: z.url().refine((url) => url.startsWith('https://'), 'must be https'),
  toqioApiKeyHeader: z.string().default('x-api-key'),
  validateBudgetMs: z.number().int().positive().max(8000).default(2000),
  throttle: z
    .object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() })
    .default({ rateLimit: 50, burstLimit: 100 }),
  fourEyesThreshold: z.number().positive().default(100_000),
  pendingSla: z
    .string()
    .regex(/^\d+(s|m|h|d)$/)
    .default('24h'),
  pendingSlaPolicy: z.enum(['REJECTED', 'APPROVED']).default('REJECTED'),
  /** Receives alarm notifications (SNS e-mail subscription; confirm the e-mail after deploy). */
  alarmEmail: z.email().optional(),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /**
   * Concurrency reserved for validate, so a flood on any other entry point cannot take the
   * account's concurrency from payment decisions. Lambda keeps 100 of the account's limit
   * unreserved: check the account's limit (Service Quotas) before raising this.
   */
  validateReservedConcurrency: z.number().int().min(1).max(900).default(50),
  /** At most this many admin invocations at once (the Function URL answers the whole internet, if only with 401s). */
  adminMaxConcurrency: z.number().int().min(1).max(100).default(5),
  /**
   * NONE: anyone can reach the admin URL and must sign in with a token. AWS_IAM: only callers
   * signing requests with SigV4 and granted lambda:InvokeFunctionUrl reach it (behind a proxy or
   * CloudFront with origin access control, or a VPN); see the README.
   */
  adminUrlAuth: z.enum(['NONE', 'AWS_IAM']).default('NONE'),
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

/** A duration such as `24h` in seconds (the same syntax as PENDING_SLA). */
export const durationSeconds = (value: string): number =>
  Number(value.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[value.slice(-1) as 's'];

/** Picks and validates the named stage from context; every problem is reported at once. */
export const stageConfigFromContext = (stage: string, stages: unknown): StageConfig => {
  const all = (stages ?? {}) as Record<string, unknown>;
  const result = StageConfigSchema.safeParse({ stage, ...(all[stage] as object | undefined) });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(
      `Stage "${stage}" is not configured correctly (cdk.json tm-proxy:stages):\n- ${problems.join('\n- ')}`,
    );
  }
  return result.data;
};
