import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { AccountMappingInput } from './save-transaction.js';

/**
 * Account mappings decide whose Toqio account inbound money lands in, so they change like a rule:
 * the first mapping of a new account is saved by one supervisor; any change to an existing one
 * (a replacement or a removal) is proposed by one supervisor and applied only when a different
 * supervisor approves it. Every step is a history entry under `mapping#<accountNumber>`.
 */

// Schemas here are z.lazy: built on their first parse, so a function that never parses them
// does not build them at cold start (npm run bench:cold).
/** A stored mapping: the fields as saved (older ones may be incomplete) plus who and which version. */
export const MappingRecordSchema = z.lazy(() =>
  z.looseObject({
    accountNumber: z.string(),
    version: z.number().int().default(1),
    updatedAt: z.string().optional(),
    updatedBy: z.string().optional(),
  }),
);
export type MappingRecord = z.infer<typeof MappingRecordSchema> & Record<string, unknown>;

export const proposalKey = (accountNumber: string) => `proposal#${accountNumber}`;

export const MappingProposalSchema = z.lazy(() =>
  z.looseObject({
    accountNumber: z.string(),
    target: z.string(),
    change: z.enum(['UPDATE', 'DELETE']),
    mapping: z.record(z.string(), z.unknown()).optional(),
    baseVersion: z.number().int(),
    proposedBy: z.string(),
    proposedAt: z.string(),
  }),
);
export type MappingProposal = z.infer<typeof MappingProposalSchema>;

export type MappingAction = 'MAPPING_CREATED' | 'MAPPING_CHANGE_PROPOSED' | 'MAPPING_CHANGED' | 'MAPPING_REMOVED';

export interface MappingHistoryEntry {
  transactionId: string;
  entryId: string;
  at: string;
  actor: string;
  action: MappingAction;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  details?: Record<string, unknown>;
}

export const mappingHistoryEntry = (
  accountNumber: string,
  input: {
    action: MappingAction;
    actor: string;
    now: Date;
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
    details?: Record<string, unknown>;
  },
): MappingHistoryEntry => {
  const at = input.now.toISOString();
  return {
    transactionId: `mapping#${accountNumber}`,
    entryId: `${at}#${randomUUID().slice(0, 8)}`,
    at,
    actor: input.actor,
    action: input.action,
    ...(input.before ? { before: input.before } : {}),
    ...(input.after ? { after: input.after } : {}),
    ...(input.details ? { details: input.details } : {}),
  };
};

/** The fields of a record without its bookkeeping, for history snapshots. */
export const mappingFields = ({ version: _v, updatedAt: _a, updatedBy: _b, ...fields }: MappingRecord) => fields;

export const newMappingRecord = (
  accountNumber: string,
  input: AccountMappingInput,
  actor: string,
  now: Date,
  version: number,
): MappingRecord => ({ ...input, accountNumber, version, updatedAt: now.toISOString(), updatedBy: actor });

export const proposeChange = (
  current: MappingRecord,
  change: { kind: 'UPDATE'; mapping: AccountMappingInput } | { kind: 'DELETE' },
  actor: string,
  now: Date,
): MappingProposal => ({
  accountNumber: proposalKey(current.accountNumber),
  target: current.accountNumber,
  change: change.kind,
  ...(change.kind === 'UPDATE' ? { mapping: change.mapping } : {}),
  baseVersion: current.version,
  proposedBy: actor,
  proposedAt: now.toISOString(),
});
