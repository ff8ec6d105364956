import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FunctionSpec, TableAccess } from '../routes.js';
import { GUARD } from './policy-checks.js';

/** The project root (bin/, lib/, functions/ live here); bundling entries are resolved from it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Shell commands that build the web UI into a bundle (same esbuild settings as local/build-ui.ts). */
const uiBuildCommands = (inputDir: string, outDir: string) => [
  `mkdir -p "${outDir}"`,
  `"${join(inputDir, 'node_modules', '.bin', 'esbuild')}" "${join(inputDir, 'ui', 'app.ts')}" --bundle --minify ` +
    `--format=esm --target=es2022 --outfile="${join(outDir, 'app.js')}" --log-level=warning`,
  `"${join(inputDir, 'node_modules', '.bin', 'esbuild')}" "${join(inputDir, 'ui', 'app.css')}" --bundle --minify ` +
    `--outfile="${join(outDir, 'app.css')}" --log-level=warning`,
  `cp "${join(inputDir, 'ui', 'index.html')}" "${outDir}/"`,
];

/**
 * How every function is bundled (local esbuild): minified ESM for Node.js 22, the AWS SDK left to
 * the Lambda runtime. scripts/bench-cold.ts builds the very same bundles to measure cold starts.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  // Stack traces need only the mappings: without the sources' text the map is about 70% smaller,
  // and --enable-source-maps reads the whole map at cold start.
  sourcesContent: false,
  // ESM bundles have no `require`; some dependencies (AWS SDK internals) still call it.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  mainFields: ['module', 'main'],
  // The Lambda Node.js 22 runtime carries AWS SDK v3 (also NodejsFunction's default; stated for the bench).
  // The YAML parser is left out: a bundle carries its rule sets as JSON (lib/rule-sets.ts), so it is
  // only imported when running from the sources; about 8 ms less to load validate's bundle.
  externalModules: ['@aws-sdk/*', 'yaml'],
} as const;

/** Props of a project function: its spec from the route table plus shared environment. */
export interface ProjectFunctionProps {
  spec: FunctionSpec;
  environment?: Record<string, string>;
  logRetention?: RetentionDays;
  /** Concurrency reserved for (and the most allowed to) this function; unset shares the account's pool. */
  reservedConcurrentExecutions?: number;
}

/**
 * Every Lambda of tm-proxy: Node.js 22 on arm64, ESM bundle by local esbuild (no Docker),
 * X-Ray tracing, JSON logs with a retention, source maps. `bind*` grant exactly the access a
 * function needs and set the environment variable that names the resource, together.
 */
export class ProjectFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const { spec } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to this function's log group only.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `tm-proxy ${spec.entry}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: join(PROJECT_ROOT, spec.entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment: {
        // About 20 ms per cold start (npm run bench:cold, README) buys stack traces that name the
        // source line: kept everywhere except where a partner waits on the cold start (validate).
        ...(spec.runtimeSourceMaps === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
        POWERTOOLS_SERVICE_NAME: 'tm-proxy',
        ...props.environment,
      },
      bundling: {
        ...BUNDLING,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.externalModules],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // Files read at cold start (the rule sets) travel next to the handler; the rule sets
          // also as JSON, so the function needs no YAML parser at cold start (lib/rule-sets.ts).
          afterBundling: (inputDir: string, outputDir: string) => [
            ...(spec.assets ?? []).map((asset) => `cp -r "${join(inputDir, asset)}" "${join(outputDir, asset)}"`),
            ...((spec.assets ?? []).includes('rules')
              ? [
                  `"${join(inputDir, 'node_modules', '.bin', 'tsx')}" "${join(inputDir, 'scripts', 'rule-sets-json.ts')}" ` +
                    `"${join(outputDir, 'rules')}"`,
                ]
              : []),
            ...(spec.servesUi ? uiBuildCommands(inputDir, join(outputDir, 'ui-dist')) : []),
          ],
        },
      },
    });
    const ack = (finding: string, reason: string) =>
      Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
    ack('IAM5[Resource::*]', 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level scope.');
    Validations.of(this).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'The runtime is fixed at Node.js 22 (the supported LTS the project tests against), not the newest one.',
    });
    // AWS Control Tower proactive controls (cfn-guard, policy-checks.ts).
    Validations.of(this).acknowledge({
      id: `${GUARD}::lambda_inside_vpc_check`,
      reason:
        'No VPC: the function reaches only DynamoDB, SQS, Secrets Manager and partners over HTTPS with IAM and TLS; a VPC would add NAT or endpoints and cold-start cost and protect nothing more.',
    });
    Validations.of(logGroup).acknowledge(
      {
        id: `${GUARD}::cloudwatch_log_group_retention_period_check`,
        reason:
          'Function logs are operational and masked; the record (decisions, case history, deliveries) is in DynamoDB with PITR. Three months limits cost and personal data kept in logs.',
      },
      {
        id: `${GUARD}::cloudwatch_log_group_encrypted_check`,
        reason:
          'CloudWatch Logs encrypts at rest with its own keys; logs mask IBANs, names, e-mails and secrets, so a customer-managed key would add cost and a key policy for no data that needs it.',
      },
    );
  }

  /**
   * Grants access to a table (and its indexes) and sets its name variable. Only 'readWriteDelete'
   * may delete; 'append' (the history) may neither update, delete nor batch-write: IAM has no
   * condition key for a write's condition expression, so "never overwrite an entry" is enforced by
   * `attribute_not_exists` on every history put in code, and IAM takes away every other way.
   */
  bindTable(table: ITable, envVar: string, access: TableAccess): this {
    const read = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:ConditionCheckItem',
    ];
    // The item actions of each level, not CDK's grantReadData / grantReadWriteData: those add
    // DescribeTable, the stream reads, BatchWriteItem and kms:DescribeKey, which no function calls
    // (the bundled IAM check, README Security).
    const writes = {
      read: [],
      append: ['dynamodb:PutItem'],
      readWrite: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      readWriteDelete: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    }[access];
    table.grant(this, ...read, ...writes);
    if (access === 'read') table.encryptionKey?.grantDecrypt(this);
    else table.encryptionKey?.grantEncryptDecrypt(this);
    if (access === 'append') {
      // An explicit deny outlives any broader grant someone adds later.
      this.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.DENY,
          actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQL*'],
          resources: [table.tableArn],
        }),
      );
    }
    const role = this.role;
    if (role) {
      const ack = (finding: string, reason: string) =>
        Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
      ack(
        `IAM5[Resource::<${Stack.of(this).getLogicalId(table.node.defaultChild as never)}.Arn>/index/*]`,
        "Query on the table's own indexes; the grant names this table only.",
      );
      ack(
        'IAM5[Action::kms:GenerateDataKey*]',
        "Encrypting items with the table's customer-managed key (only that key).",
      );
      ack('IAM5[Action::kms:ReEncrypt*]', "Re-encrypting with the table's customer-managed key (only that key).");
    }
    this.addEnvironment(envVar, table.tableName);
    return this;
  }

  /**
   * Grants sending to a queue and sets its URL variable. SendMessage only (SendMessageBatch is
   * authorised as SendMessage): grantSendMessages would add GetQueueAttributes and GetQueueUrl, which
   * the functions never call (the bundled IAM check, README Security). The queues use SQS-managed
   * encryption, so there is no key to grant.
   */
  bindQueue(queue: IQueue, envVar: string): this {
    queue.grant(this, 'sqs:SendMessage');
    this.addEnvironment(envVar, queue.queueUrl);
    return this;
  }

  /** Grants moving messages to a queue's DLQ (consuming the queue is the event source's grant). */
  bindDeadLetterQueue(dlq: IQueue, envVar: string): this {
    dlq.grant(this, 'sqs:SendMessage');
    this.addEnvironment(envVar, dlq.queueUrl);
    return this;
  }

  /** Sets the version of the shipped rule set, for a function that reports it without compiling the rules. */
  bindRuleSetVersion(version: string): this {
    this.addEnvironment('RULE_SET_VERSION', version);
    return this;
  }

  /**
   * Grants reading one secret and sets the variable carrying its ARN (the config loader reads it at
   * cold start). GetSecretValue only: grantRead would add DescribeSecret, which no function calls.
   */
  bindSecret(secret: ISecret, envVar: string): this {
    this.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    // The secrets use Secrets Manager's own key today; a customer-managed one would need decrypting too.
    secret.encryptionKey?.grantDecrypt(this);
    this.addEnvironment(envVar, secret.secretArn);
    return this;
  }
}
