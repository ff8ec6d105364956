import { createHash } from 'node:crypto';
import type { NormalisedTransaction, Party, Transaction } from '#domain/decisions/transaction.js';
import {
  lookupOwn,
  type ProviderPort,
  type ProviderStatus,
  ProviderUnreadableError,
  type ProviderVerdict,
} from '#domain/providers/verdicts.js';
import { postJson } from './http-provider.js';

/** Flagright's verdicts (its RuleAction enum) in our words: FLAG and SUSPEND hold the payment for review. */
export const FLAGRIGHT_STATUS: Record<string, ProviderStatus> = {
  ALLOW: 'APPROVED',
  FLAG: 'PENDING',
  BLOCK: 'REJECTED',
  SUSPEND: 'PENDING',
};

/** Flagright's transaction `type` for ours (its documented values: DEPOSIT, WITHDRAWAL, TRANSFER, EXTERNAL_PAYMENT, REFUND, OTHER). */
const flagrightType = (tx: NormalisedTransaction): string => {
  if (tx.isRefund) return 'REFUND';
  switch (tx.direction) {
    case 'OUTBOUND':
      return 'TRANSFER';
    case 'INBOUND':
      return 'DEPOSIT';
    case 'CARD':
      return 'EXTERNAL_PAYMENT';
    default:
      return 'OTHER';
  }
};

/** A beneficiary's stable Flagright user id: the same payee always gets the same id, and no IBAN leaks into it. */
export const beneficiaryUserId = (beneficiaryKey: string) =>
  `beneficiary-${createHash('sha256').update(beneficiaryKey).digest('hex').slice(0, 32)}`;

const paymentDetails = (party: Party) => {
  const common = {
    ...(party.name ? { name: party.name } : {}),
    ...(party.country ? { country: party.country } : {}),
  };
  if (party.iban) return { method: 'IBAN', IBAN: party.iban, ...(party.bic ? { BIC: party.bic } : {}), ...common };
  if (party.accountNumber) return { method: 'GENERIC_BANK_ACCOUNT', accountNumber: party.accountNumber, ...common };
  return undefined;
};

/**
 * The transaction in Flagright's published schema (`Transaction` in its OpenAPI / SDK). Only what
 * the payment carries: no currency means no amount details (never a made-up USD), an unreadable
 * date means no timestamp; Flagright's own validation then answers, and its refusal is recorded.
 */
export const flagrightTransaction = (tx: NormalisedTransaction, payload: Transaction) => {
  const timestamp = Date.parse(String(payload.date ?? ''));
  const amount = (country: string | null) =>
    tx.currency && tx.hasAmount
      ? { transactionAmount: tx.amount, transactionCurrency: tx.currency, ...(country ? { country } : {}) }
      : undefined;
  const origin = amount(tx.source.country);
  const destination = amount(tx.destination.country);
  const originPayment = paymentDetails(tx.source);
  const destinationPayment = paymentDetails(tx.destination);
  return {
    transactionId: tx.id,
    type: flagrightType(tx),
    ...(Number.isFinite(timestamp) ? { timestamp } : {}),
    ...(tx.customer !== 'unknown' ? { originUserId: tx.customer } : {}),
    ...(tx.beneficiaryKey ? { destinationUserId: beneficiaryUserId(tx.beneficiaryKey) } : {}),
    ...(origin ? { originAmountDetails: origin } : {}),
    ...(destination ? { destinationAmountDetails: destination } : {}),
    ...(originPayment ? { originPaymentDetails: originPayment } : {}),
    ...(destinationPayment ? { destinationPaymentDetails: destinationPayment } : {}),
    ...(tx.concept ? { reference: tx.concept } : {}),
  };
};

type HitRule = { ruleInstanceId?: unknown; ruleId?: unknown; ruleName?: unknown; ruleDescription?: unknown };

/** Flagright's answer (TransactionMonitoringResult, or TransactionWithRulesResult on GET) as our verdict. */
export const readFlagrightAnswer = (answer: {
  status?: unknown;
  transactionId?: unknown;
  hitRules?: unknown;
}): ProviderVerdict => {
  const status = typeof answer.status === 'string' ? lookupOwn(FLAGRIGHT_STATUS, answer.status) : undefined;
  if (!status) throw new ProviderUnreadableError(`flagright answered status ${JSON.stringify(answer.status)}`);
  const hits = (Array.isArray(answer.hitRules) ? answer.hitRules : []) as HitRule[];
  return {
    status,
    reasons: hits.map((hit) => {
      const name = typeof hit.ruleName === 'string' ? hit.ruleName : 'Flagright rule hit';
      const ruleId = typeof hit.ruleId === 'string' ? ` (${hit.ruleId})` : '';
      const description = typeof hit.ruleDescription === 'string' ? `: ${hit.ruleDescription}` : '';
      return {
        rule: `flagright:${String(hit.ruleInstanceId ?? hit.ruleId ?? 'rule')}`,
        description: `${name}${ruleId}${description}`,
      };
    }),
    ...(typeof answer.transactionId === 'string' ? { reference: answer.transactionId } : {}),
    raw: answer,
  };
};

/**
 * Flagright's public API with `x-api-key`: `POST /transactions` to screen, `GET /transactions/{id}`
 * to fetch a verdict later. Users: Flagright checks by default that originUserId and
 * destinationUserId exist. We send stable ids (the Toqio customer id; a hash of the beneficiary)
 * with `validateOriginUserId=false&validateDestinationUserId=false` (documented query flags)
 * rather than creating users: Toqio is the system of record for customers, and a Flagright user
 * needs facts we do not have (createdTimestamp, names, KYC), which we would have to invent. A
 * customer that syncs its users to Flagright sets FLAGRIGHT_VALIDATE_USERS=true.
 */
export const flagrightProvider = (settings: { url: string; apiKey: string; validateUsers?: boolean }): ProviderPort => {
  const base = settings.url.replace(/\/+$/, '');
  const flags = settings.validateUsers ? '' : '?validateOriginUserId=false&validateDestinationUserId=false';
  const headers = { 'x-api-key': settings.apiKey };
  return {
    name: 'flagright',
    async screen({ transaction, payload }, signal) {
      const body = flagrightTransaction(transaction, payload);
      return readFlagrightAnswer(
        (await postJson(`${base}/transactions${flags}`, JSON.stringify(body), headers, signal)) as never,
      );
    },
    async recheck(transactionId, signal) {
      const response = await fetch(`${base}/transactions/${encodeURIComponent(transactionId)}`, { headers, signal });
      if (!response.ok) throw new Error(`flagright answered HTTP ${response.status}`);
      let answer: unknown;
      try {
        answer = await response.json();
      } catch {
        throw new ProviderUnreadableError('flagright answer is not JSON');
      }
      return readFlagrightAnswer((answer ?? {}) as never);
    },
  };
};
