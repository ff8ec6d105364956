import { createDocumentClient } from '#adapters/aws-clients.js';
import { ruleSetRepository } from '#adapters/rule-set-repository.js';
import { RULE_SET_NAMES } from '#domain/rules/requests.js';
import { ensureSeeded } from '#domain/rules/rule-set-workflow.js';
import { readRuleSetFile } from '#shared/rules-loader.js';

/**
 * Seeds version 1 of each rule set from rules/ on start, as the admin function does on its first
 * use in AWS: a conditional transaction, so a restart with kept data (`--data`) changes nothing
 * and DynamoDB stays the source of truth after the first start.
 */
export const seedRuleSets = async (
  dynamodbEndpoint: string,
  table: string,
  files: Record<'outbound' | 'inbound', string>,
) => {
  const client = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint });
  try {
    const deps = {
      store: ruleSetRepository(client, table),
      shipped: (set: 'outbound' | 'inbound') => readRuleSetFile(files[set]),
    };
    for (const ruleSet of RULE_SET_NAMES) await ensureSeeded(ruleSet, deps);
  } finally {
    client.destroy();
  }
};
