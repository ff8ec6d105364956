import { AccountMappingSchema } from '#domain/onepipe.js';
import { registerUnmatched } from '#domain/onepipe-notifications.js';
import type { AdminOperations } from '#shared/admin-router.js';
import { NotFoundError } from '#shared/errors.js';
import { json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { Wiring } from '#shared/wiring.js';

type OnepipeOperations = Pick<
  AdminOperations,
  'listAccountMappings' | 'getAccountMapping' | 'putAccountMapping' | 'deleteAccountMapping' | 'listUnmatchedCredits'
>;

const accountNumberOf = (params: Record<string, string>) => {
  const accountNumber = String(params.accountNumber ?? '').trim();
  if (!/^[A-Za-z0-9-]{4,34}$/.test(accountNumber)) throw new NotFoundError(`No account ${accountNumber}`);
  return accountNumber;
};

/** Supervisors map OnePipe virtual accounts to Toqio customers; mapping one registers its parked credits. */
export const onepipeOperations = (deps: Wiring): OnepipeOperations => ({
  listAccountMappings: async () => json(200, { items: await deps.onepipe.listMappings() }),
  getAccountMapping: async ({ params }) => {
    const mapping = await deps.onepipe.getMapping(accountNumberOf(params));
    if (!mapping) throw new NotFoundError(`No mapping for account ${params.accountNumber}`);
    return json(200, mapping);
  },
  putAccountMapping: async ({ params, raw, principal }) => {
    const accountNumber = accountNumberOf(params);
    const body = parseJsonBody(raw, AccountMappingSchema, 16 * 1024);
    const mapping = { ...body, accountNumber };
    await deps.onepipe.putMapping({ ...mapping, updatedAt: new Date().toISOString(), updatedBy: principal.name });
    const registered = await registerUnmatched(mapping, deps.notificationDeps);
    logger.info('account mapped', { accountNumber, by: principal.name, registered: registered.length });
    return json(200, { ...mapping, registeredCredits: registered });
  },
  deleteAccountMapping: async ({ params, principal }) => {
    const accountNumber = accountNumberOf(params);
    if (!(await deps.onepipe.deleteMapping(accountNumber)))
      throw new NotFoundError(`No mapping for account ${accountNumber}`);
    logger.info('account mapping removed', { accountNumber, by: principal.name });
    return { statusCode: 204 };
  },
  listUnmatchedCredits: async () => {
    const items = await deps.onepipe.listAllUnmatched();
    return json(200, {
      items: items.map(({ rawJson: _raw, ...record }) => record),
    });
  },
});
