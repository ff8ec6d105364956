import { readFlagrightAnswer } from '#adapters/providers/flagright.js';
import { ProviderUnreadableError } from '#domain/providers/verdicts.js';
import {
  buildProviderRequest,
  HttpProviderConfigSchema,
  readProviderVerdict,
} from '../../functions/domain/providers/http-mapping.js';
import { agreementReport, combine, type ProviderOutcome } from '../../functions/domain/providers/verdicts.js';
import { checkSignature, mapWebhookStatus, signProviderWebhook } from '../../functions/domain/providers/webhook.js';
import type { Evaluation } from '../../functions/domain/rules/engine.js';

const rules = (status: Evaluation['status'], outcome?: 'REJECT' | 'REVIEW'): Evaluation => ({
  status,
  hits: outcome ? [{ rule: 'r', description: 'd', outcome }] : [],
  errors: [],
  ruleSetVersion: '1',
});
const said = (status: 'APPROVED' | 'REJECTED' | 'PENDING'): ProviderOutcome => ({
  kind: 'verdict',
  provider: 'acme',
  verdict: { status, reasons: status === 'APPROVED' ? [] : [{ rule: 'acme:7', description: 'sanctions match' }] },
  latencyMs: 5,
});
const failed: ProviderOutcome = {
  kind: 'failed',
  provider: 'acme',
  error: 'HTTP 503',
  timedOut: false,
  breakerOpen: false,
  latencyMs: 5,
};
const run = (
  mode: 'primary' | 'both' | 'shadow',
  evaluation: Evaluation,
  outcome: ProviderOutcome,
  fallback: 'PENDING' | 'REJECTED' | 'APPROVED' = 'PENDING',
) => combine({ mode, rules: evaluation, outcome, fallback, timeoutMs: 1500 });

describe('combining rules and provider', () => {
  it('primary: the provider decides; only a REJECT rule can make it stricter', () => {
    expect(run('primary', rules('PENDING_EXTERNAL_APPROVAL', 'REVIEW'), said('APPROVED')).status).toBe('APPROVED');
    expect(run('primary', rules('REJECTED', 'REJECT'), said('APPROVED')).status).toBe('REJECTED');
    expect(run('primary', rules('APPROVED'), said('PENDING')).status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(run('primary', rules('APPROVED'), said('REJECTED')).reasons).toEqual([
      { rule: 'acme:7', description: 'sanctions match' },
    ]);
  });

  it('both: the stricter of rules and provider wins', () => {
    expect(run('both', rules('PENDING_EXTERNAL_APPROVAL', 'REVIEW'), said('APPROVED')).status).toBe(
      'PENDING_EXTERNAL_APPROVAL',
    );
    expect(run('both', rules('APPROVED'), said('REJECTED')).status).toBe('REJECTED');
  });

  it('shadow: the rules decide, the provider is only recorded (with agreement)', () => {
    const result = run('shadow', rules('APPROVED'), said('REJECTED'));
    expect(result).toMatchObject({ status: 'APPROVED', reasons: [], providerStatus: 'REJECTED', agreed: false });
  });

  it('applies the fallback when the provider fails, and says so', () => {
    const result = run('primary', rules('APPROVED'), failed);
    expect(result.status).toBe('PENDING_EXTERNAL_APPROVAL');
    expect(result.reasons[0]).toMatchObject({
      rule: 'PROVIDER_UNAVAILABLE',
      description: expect.stringContaining('fallback PENDING'),
    });
    expect(
      run('primary', rules('APPROVED'), { ...failed, timedOut: true }, 'REJECTED').reasons[0]?.description,
    ).toMatch(/within 1500 ms.*REJECTED/);
    expect(run('primary', rules('APPROVED'), { ...failed, breakerOpen: true }).reasons[0]?.description).toMatch(
      /circuit open/,
    );
  });

  it('reports agreement, disagreements and missing answers', () => {
    const report = agreementReport([
      { transactionId: 'a', createdAt: '1', rulesStatus: 'APPROVED', providerStatus: 'APPROVED' },
      { transactionId: 'b', createdAt: '2', rulesStatus: 'APPROVED', providerStatus: 'REJECTED' },
      { transactionId: 'c', createdAt: '3', rulesStatus: 'APPROVED', providerStatus: 'NO_ANSWER' },
    ]);
    expect(report).toMatchObject({ total: 3, answered: 2, noAnswer: 1, agreed: 1, agreementRate: 0.5 });
    expect(report.disagreements.map((d) => d.transactionId)).toEqual(['b']);
  });
});

describe('generic HTTP provider mapping', () => {
  const config = HttpProviderConfigSchema.parse({
    url: 'https://provider.example/screen',
    auth: { type: 'apiKey', key: 'key-12345678' },
    request: {
      'payment.id': 'tx.id',
      'payment.amount': 'tx.baseAmount',
      'payment.channel': '=toqio',
      'payee.iban': 'tx.destination.iban',
    },
    response: {
      statusPath: 'result.decision',
      statusMap: { ok: 'APPROVED', hold: 'PENDING', deny: 'REJECTED' },
      referencePath: 'id',
      reasonsPath: 'result.flags',
      ruleField: 'code',
      descriptionField: 'text',
    },
  });

  it('builds the request from the mapping, leaving absent values out', () => {
    const body = buildProviderRequest(config.request, {
      tx: { id: 't1', baseAmount: 10.5, destination: { iban: null } },
      payload: {},
    });
    expect(body).toEqual({ payment: { id: 't1', amount: 10.5, channel: 'toqio' } });
  });

  it('reads a verdict, and refuses an answer it cannot map', () => {
    const verdict = readProviderVerdict(
      { id: 'p-9', result: { decision: 'deny', flags: [{ code: 'PEP', text: 'politically exposed' }] } },
      config.response,
      'acme',
    );
    expect(verdict).toMatchObject({
      status: 'REJECTED',
      reference: 'p-9',
      reasons: [{ rule: 'acme:PEP', description: 'politically exposed' }],
    });
    expect(() => readProviderVerdict({ result: { decision: 'maybe' } }, config.response, 'acme')).toThrow(/not mapped/);
    expect(() => readProviderVerdict('<html>', config.response, 'acme')).toThrow(/not mapped/);
  });

  it('validates the declarative configuration', () => {
    expect(() => HttpProviderConfigSchema.parse({ ...config, request: { a: 'tx.id', b: 'elsewhere.x' } })).toThrow(
      /tx\., payload\. or =/,
    );
    expect(() => HttpProviderConfigSchema.parse({ ...config, auth: { type: 'hmac', secret: 'short' } })).toThrow();
  });
});

const webhookMapping = HttpProviderConfigSchema.parse({
  url: 'https://provider.example/screen',
  auth: { type: 'apiKey', key: 'key-12345678' },
  request: {},
  response: { statusPath: 'result.decision', statusMap: { ok: 'APPROVED' } },
}).response;

describe('provider webhook signatures', () => {
  const secret = 'provider-webhook-secret-0123456789';
  const equal = (a: string, b: string) => a === b;
  const now = 1_800_000_000;

  it('accepts a fresh, correct signature and refuses wrong, stale or malformed ones', () => {
    const body = '{"transactionId":"t1","status":"ALLOW"}';
    const header = signProviderWebhook(secret, now, body);
    expect(checkSignature(header, body, { secret, toleranceSeconds: 300, nowSeconds: now + 10, equal })).toMatchObject({
      ok: true,
    });
    expect(checkSignature(header, `${body} `, { secret, toleranceSeconds: 300, nowSeconds: now, equal })).toMatchObject(
      { ok: false, why: expect.stringMatching(/does not match/) },
    );
    expect(checkSignature(header, body, { secret, toleranceSeconds: 300, nowSeconds: now + 301, equal })).toMatchObject(
      { ok: false, why: expect.stringMatching(/window/) },
    );
    expect(checkSignature('v1=abc', body, { secret, toleranceSeconds: 300, nowSeconds: now, equal }).ok).toBe(false);
  });

  it('maps the provider’s words and ours, and nothing else', () => {
    expect(mapWebhookStatus('BLOCK', { BLOCK: 'REJECTED' })).toBe('REJECTED');
    expect(mapWebhookStatus('APPROVED', {})).toBe('APPROVED');
    expect(mapWebhookStatus('MAYBE', {})).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'takes the word %s for no verdict, in a webhook and in an answer',
    (word) => {
      expect(mapWebhookStatus(word, { BLOCK: 'REJECTED' })).toBeUndefined();
      expect(() => readProviderVerdict({ result: { decision: word } }, webhookMapping, 'acme')).toThrow(/not mapped/);
    },
  );
});

describe("reading Flagright's screening answer", () => {
  it('maps its verdict words with own properties only: __proto__, constructor and toString are unreadable', () => {
    expect(
      readFlagrightAnswer({ status: 'ALLOW', hitRules: [{ ruleInstanceId: 'r-1', ruleName: 'Big' }] }),
    ).toMatchObject({
      status: 'APPROVED',
      reasons: [{ rule: 'flagright:r-1', description: 'Big' }],
    });
    for (const word of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(() => readFlagrightAnswer({ status: word })).toThrow(ProviderUnreadableError);
    }
  });
});
