import { lookupOwn, type ProviderPort, type ProviderStatus, ProviderUnreadableError } from '#domain/providers.js';
import type { Party } from '#domain/transaction.js';
import { postJson } from './http-provider.js';

/** Flagright's verdicts in our words: FLAG and SUSPEND hold the payment for review. */
export const FLAGRIGHT_STATUS: Record<string, ProviderStatus> = {
  ALLOW: 'APPROVED',
  FLAG: 'PENDING',
  BLOCK: 'REJECTED',
  SUSPEND: 'PENDING',
};

const paymentDetails = (party: Party) =>
  party.iban
    ? {
        method: 'IBAN',
        IBAN: party.iban,
        ...(party.bic ? { BIC: party.bic } : {}),
        ...(party.name ? { name: party.name } : {}),
      }
    : {
        method: 'GENERIC_BANK_ACCOUNT',
        ...(party.accountNumber ? { accountNumber: party.accountNumber } : {}),
        ...(party.name ? { name: party.name } : {}),
      };

/**
 * Flagright's public transactions API: `POST <url>/transactions` with `x-api-key`, the payment in
 * Flagright's schema; its `status` (and `hitRules`) become our verdict.
 */
export const flagrightProvider = (settings: { url: string; apiKey: string }): ProviderPort => ({
  name: 'flagright',
  async screen({ transaction: tx, payload }, signal) {
    const amount = (country: string | null) => ({
      transactionAmount: tx.amount,
      transactionCurrency: tx.currency ?? 'USD',
      ...(country ? { country } : {}),
    });
    const body = {
      transactionId: tx.id,
      type: 'TRANSFER',
      timestamp: Date.parse(String(payload.date ?? '')) || Date.now(),
      originUserId: tx.customer,
      ...(tx.beneficiaryKey ? { destinationUserId: tx.beneficiaryKey } : {}),
      originAmountDetails: amount(tx.source.country),
      destinationAmountDetails: amount(tx.destination.country),
      originPaymentDetails: paymentDetails(tx.source),
      destinationPaymentDetails: paymentDetails(tx.destination),
      ...(tx.concept ? { reference: tx.concept } : {}),
    };
    const answer = (await postJson(
      `${settings.url.replace(/\/+$/, '')}/transactions`,
      JSON.stringify(body),
      { 'x-api-key': settings.apiKey },
      signal,
    )) as {
      status?: string;
      transactionId?: string;
      hitRules?: { ruleId?: string; ruleName?: string; ruleDescription?: string }[];
    };
    const status = typeof answer.status === 'string' ? lookupOwn(FLAGRIGHT_STATUS, answer.status) : undefined;
    if (!status) throw new ProviderUnreadableError(`flagright answered status ${JSON.stringify(answer.status)}`);
    return {
      status,
      reasons: (answer.hitRules ?? []).map((hit) => ({
        rule: `flagright:${hit.ruleId ?? 'rule'}`,
        description: hit.ruleDescription ?? hit.ruleName ?? 'Flagright rule hit',
      })),
      ...(answer.transactionId ? { reference: answer.transactionId } : {}),
      raw: answer,
    };
  },
});
