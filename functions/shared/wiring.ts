import { createDocumentClient, createSecretsClient } from '#adapters/aws-clients.js';
import { decisionRepository } from '#adapters/decision-repository.js';
import { secretFetcher } from '#adapters/secrets.js';
import { type Config, getConfig } from './config.js';
import { logger } from './logger.js';
import { loadRulesEngine } from './rules-loader.js';

/**
 * Builds the process's dependencies once per cold start: configuration (with secrets), SDK
 * clients, repositories and the compiled rules. Handlers await `wiring()` at module scope.
 */
const build = async () => {
  const config: Config = await getConfig((arn) =>
    secretFetcher(createSecretsClient({ region: process.env.AWS_REGION ?? 'us-east-1' }))(arn),
  );
  logger.setLogLevel(config.LOG_LEVEL);
  const settings = {
    region: config.AWS_REGION,
    dynamodbEndpoint: config.DYNAMODB_ENDPOINT,
    sqsEndpoint: config.SQS_ENDPOINT,
  };
  const documentClient = createDocumentClient(settings);
  return {
    config,
    documentClient,
    decisions: decisionRepository(documentClient, {
      decisions: config.DECISIONS_TABLE,
      counters: config.COUNTERS_TABLE,
    }),
    rules: loadRulesEngine(config.RULES_FILE),
  };
};

let built: ReturnType<typeof build> | undefined;
export const wiring = () => {
  built ??= build();
  return built;
};
export type Wiring = Awaited<ReturnType<typeof build>>;

/** Forgets the built dependencies (the local gateway's --reload and tests use it). */
export const resetWiring = () => {
  built = undefined;
};
