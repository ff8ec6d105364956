import {
  type MappingRecord,
  mappingFields,
  mappingHistoryEntry,
  newMappingRecord,
  proposeChange,
} from '#domain/onepipe/account-mappings.js';
import { registerUnmatched } from '#domain/onepipe/notifications.js';
import { accountMappingSchema, completeMapping } from '#domain/onepipe/save-transaction.js';
import type { AdminOperations } from '#shared/admin-router.js';
import { ConflictError, ForbiddenError, NotFoundError } from '#shared/errors.js';
import { json, parseJsonBody } from '#shared/http.js';
import { logger } from '#shared/logger.js';
import type { AdminDeps, OnepipeOperation } from './deps.js';

type OnepipeOperations = Pick<AdminOperations, OnepipeOperation>;

const accountNumberOf = (params: Record<string, string>) => {
  const accountNumber = String(params.accountNumber ?? '').trim();
  if (!/^[A-Za-z0-9-]{4,34}$/.test(accountNumber)) throw new NotFoundError(`No account ${accountNumber}`);
  return accountNumber;
};

/**
 * Supervisors map OnePipe virtual accounts to Toqio customers. A new account is mapped at once
 * (and its parked credits registered); a change to an existing mapping is a proposal that a
 * different supervisor approves. Every step is in the mapping's history.
 */
export const onepipeOperations = (deps: AdminDeps): OnepipeOperations => {
  const settings = deps.notificationDeps.settings;
  /** A stored mapping as the UI shows it: complete, or the fields Toqio would miss. */
  const view = (record: MappingRecord) => {
    const complete = completeMapping(record, settings);
    return {
      ...record,
      complete: 'mapping' in complete,
      ...('problems' in complete ? { problems: complete.problems } : {}),
    };
  };
  return {
    listAccountMappings: async () => {
      const { mappings, proposals } = await deps.onepipe.listMappings();
      const pending = new Map(proposals.map((proposal) => [proposal.target, proposal]));
      return json(200, {
        items: mappings.map((record) => ({
          ...view(record),
          pendingChange: pending.get(record.accountNumber) ?? null,
        })),
      });
    },
    getAccountMapping: async ({ params }) => {
      const accountNumber = accountNumberOf(params);
      const record = await deps.onepipe.getMappingRecord(accountNumber);
      if (!record) throw new NotFoundError(`No mapping for account ${accountNumber}`);
      const [pendingChange, history] = await Promise.all([
        deps.onepipe.getProposal(accountNumber),
        deps.onepipe.mappingHistory(accountNumber),
      ]);
      return json(200, { ...view(record), pendingChange: pendingChange ?? null, history });
    },
    putAccountMapping: async ({ params, raw, principal }) => {
      const accountNumber = accountNumberOf(params);
      const input = parseJsonBody(raw, accountMappingSchema(settings), 16 * 1024);
      const now = new Date();
      const current = await deps.onepipe.getMappingRecord(accountNumber);
      if (current) {
        const proposal = proposeChange(current, { kind: 'UPDATE', mapping: input }, principal.name, now);
        await deps.onepipe.proposeChange(
          proposal,
          mappingHistoryEntry(accountNumber, {
            action: 'MAPPING_CHANGE_PROPOSED',
            actor: principal.name,
            now,
            before: mappingFields(current),
            after: { ...input, accountNumber },
          }),
        );
        logger.info('account mapping change proposed', { accountNumber, by: principal.name });
        return json(202, { status: 'PROPOSED', pendingChange: proposal });
      }
      const record = newMappingRecord(accountNumber, input, principal.name, now, 1);
      const created = await deps.onepipe.createMapping(
        record,
        mappingHistoryEntry(accountNumber, {
          action: 'MAPPING_CREATED',
          actor: principal.name,
          now,
          after: mappingFields(record),
        }),
      );
      if (!created) throw new ConflictError(`Account ${accountNumber} was mapped meanwhile; propose a change instead`);
      const registered = await registerUnmatched({ ...input, accountNumber }, deps.notificationDeps);
      logger.info('account mapped', { accountNumber, by: principal.name, registered: registered.length });
      return json(200, { ...record, registeredCredits: registered });
    },
    deleteAccountMapping: async ({ params, principal }) => {
      const accountNumber = accountNumberOf(params);
      const current = await deps.onepipe.getMappingRecord(accountNumber);
      if (!current) throw new NotFoundError(`No mapping for account ${accountNumber}`);
      const now = new Date();
      const proposal = proposeChange(current, { kind: 'DELETE' }, principal.name, now);
      await deps.onepipe.proposeChange(
        proposal,
        mappingHistoryEntry(accountNumber, {
          action: 'MAPPING_CHANGE_PROPOSED',
          actor: principal.name,
          now,
          before: mappingFields(current),
          details: { change: 'DELETE' },
        }),
      );
      logger.info('account mapping removal proposed', { accountNumber, by: principal.name });
      return json(202, { status: 'PROPOSED', pendingChange: proposal });
    },
    approveAccountMapping: async ({ params, principal }) => {
      const accountNumber = accountNumberOf(params);
      const proposal = await deps.onepipe.getProposal(accountNumber);
      if (!proposal) throw new NotFoundError(`No pending change for account ${accountNumber}`);
      if (proposal.proposedBy === principal.name)
        throw new ForbiddenError('A mapping change needs a second supervisor: you proposed it');
      const current = await deps.onepipe.getMappingRecord(accountNumber);
      if (!current || current.version !== proposal.baseVersion)
        throw new ConflictError(`The mapping of ${accountNumber} changed since the proposal; propose again`);
      const now = new Date();
      const next =
        proposal.change === 'UPDATE'
          ? newMappingRecord(
              accountNumber,
              accountMappingSchema(settings).parse(proposal.mapping),
              principal.name,
              now,
              current.version + 1,
            )
          : undefined;
      const applied = await deps.onepipe.applyChange(
        proposal,
        next,
        mappingHistoryEntry(accountNumber, {
          action: next ? 'MAPPING_CHANGED' : 'MAPPING_REMOVED',
          actor: principal.name,
          now,
          before: mappingFields(current),
          ...(next ? { after: mappingFields(next) } : {}),
          details: { proposedBy: proposal.proposedBy, proposedAt: proposal.proposedAt },
        }),
      );
      if (!applied) throw new ConflictError(`The mapping of ${accountNumber} or its proposal changed meanwhile`);
      const registered = next
        ? await registerUnmatched(
            { ...accountMappingSchema(settings).parse(proposal.mapping), accountNumber },
            deps.notificationDeps,
          )
        : [];
      logger.info('account mapping change approved', { accountNumber, by: principal.name, change: proposal.change });
      return json(200, {
        status: next ? 'CHANGED' : 'REMOVED',
        ...(next ? { mapping: next } : {}),
        registeredCredits: registered,
      });
    },
    listUnmatchedCredits: async () => {
      const items = await deps.onepipe.listAllUnmatched();
      return json(200, {
        items: items.map(({ rawJson: _raw, ...record }) => record),
      });
    },
  };
};
