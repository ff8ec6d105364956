import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type FunctionUrl, FunctionUrlAuthType, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Api } from './constructs/api.js';
import { Data } from './constructs/data.js';
import { Monitoring } from './constructs/monitoring.js';
import { OutboxPipe } from './constructs/outbox-pipe.js';
import { GUARD } from './constructs/policy-checks.js';
import { ProjectFunction } from './constructs/project-function.js';
import { Queues } from './constructs/queues.js';
import { DLQ_RETENTION_SECONDS, QUEUES, type QueueKey } from './queues.js';
import { FUNCTIONS, type FunctionName, type FunctionSpec, ROUTES, type TableAccess, type Trigger } from './routes.js';
import { shippedRuleSetVersion } from './rule-sets.js';
import { SECRETS, type SecretKey, type SecretSpec } from './secrets.js';
import { durationSeconds, type StageConfig, stageEnvironment } from './stage-config.js';
import { TABLES, type TableKey } from './tables.js';

/** The version of the rule set validate ships with (health reports it without compiling rules). */
const SHIPPED_RULE_SET_VERSION = shippedRuleSetVersion();

export interface TmProxyStackProps extends StackProps {
  config: StageConfig;
}

/** tm-proxy in one stack: the API Toqio calls, its functions, tables, queues and secret. */
export class TmProxyStack extends Stack {
  readonly api: Api;
  readonly functions: Record<FunctionName, ProjectFunction>;
  adminUrl?: FunctionUrl;
  /** Each stream consumer's on-failure queue, by function (alarmed in Monitoring). */
  private readonly streamFailureQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: TmProxyStackProps) {
    super(scope, id, props);
    const { config } = props;
    const data = new Data(this, 'Data');
    const queues = new Queues(this, 'Queues');
    new OutboxPipe(this, 'OutboxPipe', { table: data.tables.deliveries, queue: queues.queues.deliveries });
    // One secret per group of values, so each function is granted only the ones it reads.
    const secrets = {} as Record<SecretKey, Secret>;
    for (const [key, spec] of Object.entries(SECRETS) as [SecretKey, SecretSpec][]) {
      const template = Object.fromEntries(
        spec.fields.filter((field) => field !== spec.generated).map((field) => [field, '']),
      );
      const secret = new Secret(this, spec.id, {
        description: `tm-proxy: ${spec.description}. JSON fields ${spec.fields.join(', ')}; read at cold start.`,
        generateSecretString: {
          secretStringTemplate: JSON.stringify(template),
          // The one generated value (or an unused filler field): Secrets Manager needs a key to generate.
          generateStringKey: spec.generated ?? 'GENERATED_UNUSED',
          excludePunctuation: true,
          passwordLength: 48,
        },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason: 'The values are issued by partners (Toqio, OnePipe) and rotated with them by hand; see the README.',
      });
      secrets[key] = secret;
    }

    // Each function gets only the settings its configuration schema reads (the route table's `settings`).
    const stageSettings = stageEnvironment(config);
    const functions = {} as Record<FunctionName, ProjectFunction>;
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const fn = new ProjectFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        spec,
        environment: Object.fromEntries(
          (spec as FunctionSpec).settings.flatMap((name) => {
            const value = stageSettings[name];
            return value === undefined ? [] : [[name, value]];
          }),
        ),
        // validate keeps its own share of the account's concurrency; admin can never take more than its cap.
        ...(name === 'validate' ? { reservedConcurrentExecutions: config.validateReservedConcurrency } : {}),
        ...(name === 'admin' ? { reservedConcurrentExecutions: config.adminMaxConcurrency } : {}),
      });
      for (const [table, access] of Object.entries(spec.tables) as [TableKey, TableAccess][]) {
        fn.bindTable(data.tables[table], TABLES[table].envVar, access);
      }
      for (const [queue, access] of Object.entries((spec as FunctionSpec).queues ?? {}) as [
        QueueKey,
        'send' | 'sendWithDlq',
      ][]) {
        fn.bindQueue(queues.queues[queue], QUEUES[queue].envVar);
        if (access === 'sendWithDlq') fn.bindDeadLetterQueue(queues.deadLetterQueues[queue], QUEUES[queue].dlqEnvVar);
      }
      if ((spec as FunctionSpec).reportsRuleSetVersion) fn.bindRuleSetVersion(SHIPPED_RULE_SET_VERSION);
      for (const key of (spec as FunctionSpec).secrets ?? []) {
        const secret: SecretSpec = SECRETS[key];
        if (secret.inUse?.(stageSettings) ?? true) fn.bindSecret(secrets[key], secret.envVar);
      }
      const url = this.attachTrigger(name, fn, spec.trigger, queues, data, config.adminUrlAuth);
      if (url) this.adminUrl = url;
      functions[name] = fn;
    }
    this.functions = functions;
    this.api = new Api(this, 'Api', { routes: ROUTES, functions, throttle: config.throttle });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        'HTTP APIs have no API keys: each handler checks its caller (Toqio API key, signatures) in constant time.',
    });

    new Monitoring(this, 'Monitoring', {
      api: this.api.httpApi,
      validate: functions.validate,
      deliver: functions.deliver,
      deliveriesDlq: queues.deadLetterQueues.deliveries,
      streamFailureQueues: this.streamFailureQueues,
      alarmEmail: config.alarmEmail,
      // When a case starts to show at risk (PENDING_SLA_WARNING, by default the last fifth of the SLA).
      pendingWarningSeconds: Math.round(
        durationSeconds(config.pendingSla) -
          (config.pendingSlaWarning && durationSeconds(config.pendingSlaWarning) > 0
            ? durationSeconds(config.pendingSlaWarning)
            : durationSeconds(config.pendingSla) / 5),
      ),
    });

    if (this.adminUrl) {
      new CfnOutput(this, 'AdminUrl', { value: this.adminUrl.url, description: 'Analysts open this (token sign-in)' });
    }
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Give Toqio: <ApiUrl>transaction/validate' });
    for (const [key, secret] of Object.entries(secrets) as [SecretKey, Secret][]) {
      new CfnOutput(this, `${SECRETS[key].id}Name`, {
        value: secret.secretName,
        description: `Fill before the first call: ${SECRETS[key].fields.join(', ')}`,
      });
    }
    new CfnOutput(this, 'DeliveriesDlqUrl', { value: queues.deadLetterQueues.deliveries.queueUrl });
  }

  /** Connects a function to what invokes it, from its trigger in the route table. */
  private attachTrigger(
    name: FunctionName,
    fn: ProjectFunction,
    trigger: Trigger,
    queues: Queues,
    data: Data,
    urlAuth: StageConfig['adminUrlAuth'],
  ): FunctionUrl | undefined {
    switch (trigger.kind) {
      case 'http':
        return undefined; // routes are added by the Api construct
      case 'sqs':
        fn.addEventSource(
          new SqsEventSource(queues.queues[trigger.queue], {
            batchSize: trigger.batchSize,
            maxConcurrency: trigger.maxConcurrency,
            maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
            reportBatchItemFailures: true,
          }),
        );
        return undefined;
      case 'dynamodbStream': {
        // Where a batch goes after its retries: a pointer to its records (shard, sequence numbers),
        // kept 14 days, so a record the function could not handle is never silently dropped.
        const failures = new Queue(this, `${fn.node.id}StreamFailuresDlq`, {
          retentionPeriod: Duration.seconds(DLQ_RETENTION_SECONDS),
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          // Marks it a dead-letter queue (CT.SQS.PR.1): nothing consumes it but an operator.
          redriveAllowPolicy: { redrivePermission: RedrivePermission.ALLOW_ALL },
        });
        this.streamFailureQueues[name] = failures;
        Validations.of(failures).acknowledge({
          id: 'AwsSolutions::AwsSolutions-SQS3',
          reason:
            "It is the dead-letter queue of the stream's event source mapping (its on-failure destination), read by operators.",
        });
        // No filter criteria: a filtered-out record is dropped without a trace, and telling a
        // decision with no rows from one with rows needs list matching the filter syntax lacks.
        fn.addEventSource(
          new DynamoEventSource(data.tables[trigger.table], {
            startingPosition: StartingPosition.TRIM_HORIZON,
            batchSize: trigger.batchSize,
            maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
            bisectBatchOnError: true,
            retryAttempts: trigger.retryAttempts,
            reportBatchItemFailures: true,
            onFailure: new SqsDlq(failures),
          }),
        );
        return undefined;
      }
      case 'schedule':
        new Rule(this, `${fn.node.id}Schedule`, {
          description: `Runs ${fn.node.id} every ${trigger.everyMinutes} minute(s)`,
          schedule: Schedule.rate(Duration.minutes(trigger.everyMinutes)),
          targets: [new LambdaFunction(fn, { retryAttempts: 2 })],
        });
        return undefined;
      case 'functionUrl':
        // The UI and API share the URL's origin, so no CORS is configured: browsers refuse every
        // other origin. Callers authenticate with a bearer token checked in the function; with
        // adminUrlAuth AWS_IAM, Lambda first refuses every request not signed by a permitted principal.
        if (urlAuth === 'NONE') {
          const reason =
            'The analysts reach the admin URL with a bearer token checked in constant time, rate-limited per address; stages that require more set adminUrlAuth: AWS_IAM (README, Security).';
          Validations.of(fn).acknowledge(
            { id: `${GUARD}::lambda_function_url_auth_check`, reason },
            { id: `${GUARD}::lambda_function_public_access_prohibited_check`, reason },
          );
        }
        return fn.addFunctionUrl({
          authType: urlAuth === 'AWS_IAM' ? FunctionUrlAuthType.AWS_IAM : FunctionUrlAuthType.NONE,
        });
    }
  }
}
