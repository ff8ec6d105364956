import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FunctionSpec } from '../routes.js';

/** The project root (bin/, lib/, functions/ live here); bundling entries are resolved from it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Shell commands that build the web UI into a bundle (same esbuild settings as local/build-ui.ts). */
const uiBuildCommands = (inputDir: string, outDir: string) => [
  `mkdir -p "${outDir}"`,
  `"${join(inputDir, 'node_modules', '.bin', 'esbuild')}" "${join(inputDir, 'ui', 'app.ts')}" --bundle --minify ` +
    `--format=esm --target=es2022 --outfile="${join(outDir, 'app.js')}" --log-level=warning`,
  `cp "${join(inputDir, 'ui', 'index.html')}" "${join(inputDir, 'ui', 'app.css')}" "${outDir}/"`,
];

/** Props of a project function: its spec from the route table plus shared environment. */
export interface ProjectFunctionProps {
  spec: FunctionSpec;
  environment?: Record<string, string>;
  logRetention?: RetentionDays;
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
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'tm-proxy',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // ESM bundles have no `require`; some dependencies (AWS SDK internals) still call it.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        mainFields: ['module', 'main'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // Files read at cold start (the rule sets) travel next to the handler.
          afterBundling: (inputDir: string, outputDir: string) => [
            ...(spec.assets ?? []).map((asset) => `cp -r "${join(inputDir, asset)}" "${join(outputDir, asset)}"`),
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
  }

  /** Grants read or read/write on a table (and its indexes) and sets its name variable. */
  bindTable(table: ITable, envVar: string, access: 'read' | 'readWrite' | 'append'): this {
    if (access === 'read') table.grantReadData(this);
    else if (access === 'append') {
      // Append-only: no UpdateItem or DeleteItem, so nothing can rewrite history.
      table.grant(this, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem');
      table.encryptionKey?.grantEncryptDecrypt(this);
    } else table.grantReadWriteData(this);
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

  /** Grants sending to a queue and sets its URL variable. */
  bindQueue(queue: IQueue, envVar: string): this {
    queue.grantSendMessages(this);
    this.addEnvironment(envVar, queue.queueUrl);
    return this;
  }

  /** Grants consuming a queue (the event source also does this) and moving messages to its DLQ. */
  bindDeadLetterQueue(dlq: IQueue, envVar: string): this {
    dlq.grantSendMessages(this);
    this.addEnvironment(envVar, dlq.queueUrl);
    return this;
  }

  /** Grants reading the secret and sets SECRETS_ARN (the config loader reads it at cold start). */
  bindSecret(secret: ISecret): this {
    secret.grantRead(this);
    this.addEnvironment('SECRETS_ARN', secret.secretArn);
    return this;
  }
}
