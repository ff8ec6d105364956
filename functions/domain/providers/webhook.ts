import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { CaseConflictError, CaseNotFoundError, historyEntry, planProviderVerdict } from '../cases/transitions.js';
import { changeCase, type WorkflowDeps } from '../cases/workflow.js';
import { lookupOwn, type ProviderStatus } from './verdicts.js';

/** A provider's late verdict on a pending payment. `status` is in the provider's own words or ours. */
export const ProviderWebhookSchema = z.looseObject({
  transactionId: z.string({ error: 'is required' }).min(1),
  status: z.string({ error: 'is required' }).min(1),
  reason: z.string().max(2000).optional(),
  reference: z.string().max(200).optional(),
});
export type ProviderWebhook = z.infer<typeof ProviderWebhookSchema>;

/** Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (Stripe's scheme). */
export const SIGNATURE_HEADER = 'x-tm-proxy-signature';

export const signProviderWebhook = (secret: string, timestamp: number, body: string): string =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

export type SignatureCheck = { ok: true; signature: string } | { ok: false; why: string };

/**
 * Checks a webhook's signature and age. `equal` is a constant-time comparison. A valid signature
 * older (or newer) than the tolerance is refused, which bounds how long a replay could work;
 * the caller also remembers each signature to refuse an exact replay inside the window.
 */
export const checkSignature = (
  header: string | undefined,
  body: string,
  options: { secret: string; toleranceSeconds: number; nowSeconds: number; equal: (a: string, b: string) => boolean },
): SignatureCheck => {
  const parts = Object.fromEntries(
    (header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]),
  );
  const timestamp = Number(parts.t);
  if (!parts.t || !parts.v1 || !Number.isInteger(timestamp))
    return { ok: false, why: 'missing or malformed signature' };
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds)
    return { ok: false, why: 'signature timestamp outside the allowed window' };
  const expected = signProviderWebhook(options.secret, timestamp, body).split('v1=')[1] ?? '';
  return options.equal(parts.v1, expected)
    ? { ok: true, signature: parts.v1 }
    : { ok: false, why: 'signature does not match' };
};

/** The provider's word for a verdict, in ours (an unknown word is refused, never guessed). */
export const mapWebhookStatus = (
  said: string,
  vocabulary: Record<string, ProviderStatus>,
): ProviderStatus | undefined =>
  lookupOwn(vocabulary, said) ??
  (['APPROVED', 'REJECTED', 'PENDING'].includes(said) ? (said as ProviderStatus) : undefined);

/** What a provider's verdict did to its case. */
export type VerdictOutcome =
  | { result: 'applied'; action: string; status: string }
  | { result: 'already decided'; status: string }
  | { result: 'recorded'; why: string };

/**
 * Applies a provider's verdict through the same path as an analyst's decision (history, four-eyes,
 * Toqio webhook), as `planProviderVerdict` allows. The same verdict on a closed case changes
 * nothing. A verdict that cannot apply (no case, or a case closed the other way) is refused
 * (`refuse`: 404 / 409) or, for a provider that would retry a refusal for days, recorded (`record`).
 */
export const applyProviderVerdict = async (
  transactionId: string,
  verdict: { status: ProviderStatus; reason: string; provider: string; mode: string },
  deps: { workflow: WorkflowDeps; fourEyesThreshold: number; whenUnresolvable: 'refuse' | 'record' },
): Promise<VerdictOutcome> => {
  const { store } = deps.workflow;
  const now = () => deps.workflow.now?.() ?? new Date();
  const current = await store.get(transactionId);
  if (!current) {
    if (deps.whenUnresolvable === 'refuse') throw new CaseNotFoundError(`No case ${transactionId}`);
    return { result: 'recorded', why: 'no case for this transaction' };
  }
  if (current.reviewStage === 'FINAL') {
    if (current.status === verdict.status) return { result: 'already decided', status: current.status };
    const why = `the case is already ${current.status}`;
    if (deps.whenUnresolvable === 'refuse')
      throw new CaseConflictError(`Case ${transactionId} is already ${current.status}`);
    await store.appendHistory(
      historyEntry(current, {
        action: 'PROVIDER_VERDICT',
        actor: `provider:${verdict.provider}`,
        now: now(),
        details: { status: verdict.status, reason: verdict.reason, mode: verdict.mode, applied: false, why },
      }),
    );
    return { result: 'recorded', why };
  }
  // A provider is not a person: never a supervisor, never one of the four eyes (see planProviderVerdict).
  const options = (at: Date) => ({ now: at, fourEyesThreshold: deps.fourEyesThreshold });
  const plan = planProviderVerdict(current, verdict, options(now()));
  if (plan.kind === 'record') {
    await store.appendHistory(plan.entry);
    return { result: 'recorded', why: plan.why };
  }
  const { change } = await changeCase(
    transactionId,
    (record, at) => {
      const again = planProviderVerdict(record, verdict, options(at));
      if (again.kind !== 'change') throw new CaseConflictError(`Case ${transactionId} changed meanwhile`);
      return again.change;
    },
    deps.workflow,
  );
  return {
    result: 'applied',
    action: change.history.action,
    status: change.final?.status ?? 'PENDING_EXTERNAL_APPROVAL',
  };
};
