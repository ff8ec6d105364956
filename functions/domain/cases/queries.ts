import * as z from 'zod';
import { CASE_FILTERS, type ReviewStage } from './transitions.js';

/** The queue's query string: status, amount, rule, customer and age filters, and paging. */
export const CaseQuerySchema = z.object({
  status: z.enum(CASE_FILTERS).default('PENDING'),
  minAmount: z.coerce.number().nonnegative().optional(),
  rule: z.string().min(1).max(100).optional(),
  customer: z.string().min(1).max(200).optional(),
  /** Only cases at least this many hours old. */
  olderThanHours: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});
export type CaseQuery = z.infer<typeof CaseQuerySchema>;

/** A case query translated to what the status index can answer. */
export interface CaseWorkflowFilter {
  indexStatus: 'PENDING_EXTERNAL_APPROVAL' | 'APPROVED' | 'REJECTED' | 'INFORMATIONAL';
  reviewStage?: ReviewStage;
  minAmount?: number;
  customer?: string;
  rule?: string;
  createdBefore?: string;
}

export const toWorkflowFilter = (query: CaseQuery, now: Date): CaseWorkflowFilter => ({
  indexStatus:
    query.status === 'PENDING' || query.status === 'AWAITING_SECOND_APPROVAL' || query.status === 'ESCALATED'
      ? 'PENDING_EXTERNAL_APPROVAL'
      : query.status,
  ...(query.status === 'AWAITING_SECOND_APPROVAL' ? { reviewStage: 'SECOND' as const } : {}),
  ...(query.status === 'ESCALATED' ? { reviewStage: 'ESCALATED' as const } : {}),
  ...(query.minAmount === undefined ? {} : { minAmount: query.minAmount }),
  ...(query.customer ? { customer: query.customer } : {}),
  ...(query.rule ? { rule: query.rule } : {}),
  ...(query.olderThanHours
    ? { createdBefore: new Date(now.getTime() - query.olderThanHours * 3_600_000).toISOString() }
    : {}),
});
