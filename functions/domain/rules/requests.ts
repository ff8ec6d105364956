import * as z from 'zod';

/**
 * What the admin API takes to manage rules: the sets' names and the request bodies. Zod only, so
 * the admin route table (and the OpenAPI document built from it) names them without loading the
 * CEL engine: the admin function loads its rule operations, and the engine, on the first rule
 * request (functions/handlers/admin.ts).
 */
export const RULE_SET_NAMES = ['outbound', 'inbound'] as const;
export const RuleSetNameSchema = z.enum(RULE_SET_NAMES);
export type RuleSetName = z.infer<typeof RuleSetNameSchema>;

/** The most entries a list may hold (the issue asks for at least 50,000). */
export const MAX_LIST_ENTRIES = 200_000;

/** A list name as conditions read it (`lists.<name>`). */
export const ListNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be a name such as blockedIbans');

/** A draft as the API takes it: shaped like a rules/*.yaml file. Rules are checked one by one (ruleSetProblems). */
const ruleSetBody = () =>
  z.strictObject({
    description: z.string({ error: 'is required' }).trim().min(3, 'must say what changes (3+ characters)').max(2000),
    lists: z.record(ListNameSchema, z.array(z.string().max(256)).max(MAX_LIST_ENTRIES)).default({}),
    rules: z.array(z.unknown()).min(1, 'must hold at least one rule').max(500),
  });

// The schemas below are z.lazy: built on their first parse, so a function that never parses them
// (the admin function until its first rule request) does not build them at cold start (npm run bench:cold).
export const RuleSetBodySchema = z.lazy(ruleSetBody);
export type RuleSetBody = z.infer<typeof RuleSetBodySchema>;

/**
 * What the draft editor checks as a supervisor types: the rules, and the lists by name (their
 * entries may be left empty: a condition is checked against the names only).
 */
export const RuleCheckRequestSchema = z.lazy(() => ruleSetBody().omit({ description: true }));

/** A reason given when a proposal is rejected. */
export const RejectRequestSchema = z.lazy(() =>
  z.strictObject({
    reason: z.string({ error: 'is required' }).trim().min(3, 'must say why (3+ characters)').max(2000),
  }),
);

/**
 * "What would these rules do to this payment": rules given in the body (checked like a draft), a
 * stored version, or the ACTIVE one, against a payment given in Toqio's shape or by the id of a
 * stored decision (its facts as they were, velocity included). Nothing is stored.
 */
export const RuleTestRequestSchema = z.lazy(() =>
  z
    .strictObject({
      version: z.number().int().positive().optional(),
      description: z.string().optional(),
      rules: z.array(z.unknown()).min(1).max(500).optional(),
      lists: z.record(ListNameSchema, z.array(z.string().max(256))).optional(),
      transactionId: z.string().min(1).max(1024).optional(),
      transaction: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((body) => !(body.version !== undefined && body.rules !== undefined), {
      message: 'give either rules or a version, not both',
      path: ['version'],
    })
    .refine((body) => (body.transactionId === undefined) !== (body.transaction === undefined), {
      message: 'give exactly one of transactionId and transaction',
      path: ['transaction'],
    }),
);
export type RuleTestRequest = z.infer<typeof RuleTestRequestSchema>;
