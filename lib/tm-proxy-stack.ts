import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Api } from './constructs/api.js';
import { Data } from './constructs/data.js';
import { ProjectFunction } from './constructs/project-function.js';
import { Queues } from './constructs/queues.js';
import { FUNCTIONS, type FunctionName, ROUTES } from './routes.js';
import type { StageConfig } from './stage-config.js';
import { TABLES, type TableKey } from './tables.js';

export interface TmProxyStackProps extends StackProps {
  config: StageConfig;
}

/** tm-proxy in one stack: the API Toqio calls, its functions, tables, queues and secret. */
export class TmProxyStack extends Stack {
  readonly api: Api;
  readonly functions: Record<FunctionName, ProjectFunction>;

  constructor(scope: Construct, id: string, props: TmProxyStackProps) {
    super(scope, id, props);
    const { config } = props;
    const data = new Data(this, 'Data');
    const queues = new Queues(this, 'Queues');
    const secret = new Secret(this, 'Secrets', {
      description:
        'tm-proxy secrets as JSON: fill TOQIO_API_KEY (from Toqio), ADMIN_TOKENS (name:role:token,...), ' +
        'ONEPIPE_CLIENT_SECRET and ONEPIPE_API_KEY. Functions read it at cold start.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          TOQIO_API_KEY: '',
          ADMIN_TOKENS: '',
          ONEPIPE_CLIENT_SECRET: '',
          ONEPIPE_API_KEY: '',
        }),
        generateStringKey: 'INTERNAL_SIGNING_KEY',
        excludePunctuation: true,
        passwordLength: 48,
      },
    });

    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: 'The values are issued by partners (Toqio, OnePipe) and rotated with them by hand; see the README.',
    });

    const environment = {
      STAGE: config.stage,
      TOQIO_WEBHOOK_BASE_URL: config.toqioWebhookBaseUrl,
      TOQIO_API_KEY_HEADER: config.toqioApiKeyHeader,
      VALIDATE_BUDGET_MS: String(config.validateBudgetMs),
      LOG_LEVEL: config.logLevel,
    };
    const functions = {} as Record<FunctionName, ProjectFunction>;
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const fn = new ProjectFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, { spec, environment });
      for (const [table, access] of Object.entries(spec.tables) as [TableKey, 'read' | 'readWrite'][]) {
        fn.bindTable(data.tables[table], TABLES[table].envVar, access);
      }
      // Every function validates the same configuration at cold start, so every one gets all table names.
      for (const [table, tableSpec] of Object.entries(TABLES) as [TableKey, (typeof TABLES)[TableKey]][]) {
        fn.addEnvironment(tableSpec.envVar, data.tables[table].tableName);
      }
      fn.bindSecret(secret);
      functions[name] = fn;
    }
    this.functions = functions;
    this.api = new Api(this, 'Api', { routes: ROUTES, functions, throttle: config.throttle });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        'HTTP APIs have no API keys: each handler checks its caller (Toqio API key, signatures) in constant time.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Give Toqio: <ApiUrl>transaction/validate' });
    new CfnOutput(this, 'SecretName', {
      value: secret.secretName,
      description: 'Fill this secret before the first call',
    });
    new CfnOutput(this, 'DeliveriesDlqUrl', { value: queues.deadLetterQueues.deliveries.queueUrl });
  }
}
