import { type AdminOperations, type AdminRequest, adminRouter } from '../../functions/shared/admin-router.js';
import { ADMIN_ROUTES, type AdminOperation } from '../../functions/shared/admin-routes.js';
import type { HttpResult } from '../../functions/shared/http.js';
import { httpApiEvent, lambdaContext } from '../../local/events.js';

const TOKENS = [
  { name: 'ana', role: 'analyst' as const, token: 'analyst-token-0001' },
  { name: 'sam', role: 'supervisor' as const, token: 'supervisor-token-0001' },
];

/** Every operation answers with what the router handed it, so a test sees which route ran. */
const calls: { operation: AdminOperation; request: AdminRequest }[] = [];
const operations = Object.fromEntries(
  ADMIN_ROUTES.map((route) => [
    route.operation,
    async (request: AdminRequest): Promise<HttpResult> => {
      calls.push({ operation: route.operation, request });
      return { statusCode: 200, body: route.operation };
    },
  ]),
) as AdminOperations;

const route = adminRouter({
  tokens: TOKENS,
  operations,
  openApi: async () => ({ openapi: '3.1.0' }),
  ui: async (method, path) => ({ statusCode: 200, body: `ui ${method} ${path}` }),
});

const call = (method: string, path: string, token?: string) =>
  route(
    httpApiEvent({ method, path, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    lambdaContext('admin'),
  );

beforeEach(() => {
  calls.length = 0;
});

describe('adminRouter', () => {
  it('runs the operation of the route, with decoded path parameters and the principal', async () => {
    const answer = await call('POST', '/api/cases/tx%2F1%20a/claim', 'analyst-token-0001');
    expect(answer.body).toBe('claimCase');
    expect(calls[0]?.request.params).toEqual({ transactionId: 'tx/1 a' });
    expect(calls[0]?.request.principal).toEqual({ name: 'ana', role: 'analyst' });
  });

  it('prefers a literal route to a parameter route and ignores trailing slashes', async () => {
    expect((await call('POST', '/api/deliveries/retry-dead', 'supervisor-token-0001')).body).toBe(
      'retryDeadDeliveries',
    );
    expect((await call('GET', '/api/cases//', 'analyst-token-0001')).body).toBe('listCases');
  });

  it('refuses a malformed escape with 400 before it looks at the caller', async () => {
    await expect(call('GET', '/api/cases/%ZZ')).rejects.toMatchObject({ kind: 'bad-request', code: 'INVALID_PATH' });
  });

  it('answers 404 for an unknown route and 401 without a token, running nothing', async () => {
    await expect(call('GET', '/api/nothing-here', 'analyst-token-0001')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(call('GET', '/api/cases')).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(calls).toEqual([]);
  });

  it("refuses an analyst a supervisor's route with 403 and lets a supervisor do an analyst's", async () => {
    await expect(call('POST', '/api/deliveries/d-1/retry', 'analyst-token-0001')).rejects.toMatchObject({
      kind: 'forbidden',
    });
    expect(calls).toEqual([]);
    expect((await call('GET', '/api/me', 'supervisor-token-0001')).body).toBe('whoAmI');
  });

  it('serves the OpenAPI document without a token and the UI outside /api/', async () => {
    expect(JSON.parse(String((await call('GET', '/api/openapi.json')).body))).toEqual({ openapi: '3.1.0' });
    expect((await call('GET', '/')).body).toBe('ui GET /');
    expect((await call('HEAD', '/app.js')).body).toBe('ui HEAD /app.js');
  });
});
