import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueueKey } from '#lib/queues.js';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '#lib/routes.js';
import { SECRETS } from '#lib/secrets.js';
import {
  type FunctionHost,
  type LocalResources,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
} from '../stack.js';
import { type AwsCall, type RecordingProxy, startRecordingProxy } from './aws-recorder.js';
import { bundleFunction, provideRuntimeModules } from './bundle.js';
import { type FunctionProcess, functionProcess } from './function-process.js';
import { startHttpsSink } from './https-sink.js';
import { startSecretsManager } from './secrets-manager.js';
import {
  type CfnTemplate,
  functionEnvironment,
  functionLogicalId,
  functionPolicy,
  LOCAL_REGION,
  localReferences,
  logicalIdOf,
  type PolicyStatement,
  queueUrl,
  synthesiseTemplate,
} from './template.js';

export interface BundledOptions {
  /** The stage the template is synthesised for (default `local`). */
  stage?: string;
  /** Stage settings as in cdk.json; toqioWebhookBaseUrl is always the local Toqio sink. */
  stageSettings?: Record<string, unknown>;
  /** Each line a function writes (default: printed with the function's name). */
  onOutput?: (name: FunctionName, line: string) => void;
}

/** What a bundled run exposes besides the stack: for the IAM check and the test suite. */
export interface BundledFunctions extends FunctionHost {
  template: CfnTemplate;
  /** Every AWS call each function made (one entry per authorisation request), in order. */
  calls: AwsCall[];
  /** Each function's environment: exactly what its process got. */
  environments: Record<FunctionName, Record<string, string>>;
  /** Each function's IAM policy statements from the template, resolved to the local resources. */
  policies: Record<FunctionName, PolicyStatement[]>;
  processes: Record<FunctionName, FunctionProcess>;
  /** Where the bundles are (one asset directory per function). */
  workDir: string;
}

/**
 * What the Lambda runtime itself sets in a function's environment (the documented runtime
 * variables), with the AWS endpoints pointed at this function's recording proxy and the runtime's
 * CA bundle replaced by the local sink's certificate. Nothing comes from the developer's shell.
 */
const runtimeEnvironment = (
  name: FunctionName,
  physicalName: string,
  spec: FunctionSpec,
  dir: string,
  endpoint: string,
  certificateFile: string,
): Record<string, string> => ({
  PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
  LANG: 'en_US.UTF-8',
  TZ: ':UTC',
  _HANDLER: 'index.handler',
  LAMBDA_TASK_ROOT: dir,
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION,
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: physicalName,
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${physicalName}`,
  AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${name}`,
  // The template's LoggingFormat JSON makes the runtime set this.
  AWS_LAMBDA_LOG_FORMAT: 'JSON',
  // The role's temporary credentials (any value: the local services do not check them).
  AWS_ACCESS_KEY_ID: 'ASIALOCALBUNDLEDRUN0',
  AWS_SECRET_ACCESS_KEY: 'local-bundled-run-secret-access-key',
  AWS_SESSION_TOKEN: 'local-bundled-run-session-token',
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
  AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  AWS_ENDPOINT_URL_SQS: endpoint,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
  NODE_EXTRA_CA_CERTS: certificateFile,
  // The functions run on Node.js 22 in AWS; locally the SDK's warning about Node.js 20 is noise.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/**
 * `npm start -- --bundled` and the bundled test suite: every function bundled as the stack bundles
 * it, run from its own asset directory in its own Node.js process, with exactly the environment its
 * template gives it (references resolved to the local tables, queues and secrets) plus what the
 * Lambda runtime sets. Its secrets are fetched at cold start from a local Secrets Manager stand-in,
 * every AWS call goes through a recording proxy of its own (for the IAM check), and Toqio is the
 * local sink behind HTTPS.
 */
export const bundledFunctions =
  (options: BundledOptions = {}) =>
  async (resources: LocalResources): Promise<BundledFunctions> => {
    const stage = options.stage ?? 'local';
    const workDir = mkdtempSync(join(tmpdir(), 'tm-proxy-bundled-'));
    const closers: (() => Promise<void>)[] = [];
    const processes = {} as Record<FunctionName, FunctionProcess>;
    const stop = async () => {
      await Promise.all(Object.values(processes).map((process_) => process_.stop()));
      for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
      rmSync(workDir, { recursive: true, force: true });
    };
    try {
      provideRuntimeModules(workDir);
      const sink = await startHttpsSink(workDir, resources.toqioSink);
      closers.push(sink.close);
      const template = synthesiseTemplate(stage, {
        ...options.stageSettings,
        toqioWebhookBaseUrl: `${sink.url}/local/toqio`,
      });
      const names = Object.fromEntries(
        Object.entries(resources.queues).map(([key, queue]) => [key, queue.url.split('/').pop() ?? '']),
      ) as Record<QueueKey, string>;
      const calls: AwsCall[] = [];
      const upstreams = {
        dynamodb: resources.dynamodbEndpoint,
        sqs: resources.sqsEndpoint,
        secretsmanager: '',
        queueUrls: Object.fromEntries(
          Object.values(resources.queues).flatMap((queue) => [
            [queue.url.split('/').pop() ?? '', queue.url],
            [queue.dlqUrl.split('/').pop() ?? '', queue.dlqUrl],
          ]),
        ),
      };
      const proxies = {} as Record<FunctionName, RecordingProxy>;
      for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
        proxies[name] = await startRecordingProxy(name, upstreams, (call) => calls.push(call));
        closers.push(proxies[name].close);
      }
      const refsFor = (name: FunctionName) =>
        localReferences(template, { tables: resources.tables, queues: names, sqsOrigin: proxies[name].url });
      // A filled secret holds the local values (those `npm start` uses); the signing secret is generated.
      const secretValues = (fields: readonly string[]) =>
        Object.fromEntries(
          fields.map((field) => [
            field,
            field === 'WEBHOOK_SIGNING_SECRET' ? randomBytes(24).toString('hex') : (process.env[field] ?? ''),
          ]),
        );
      const secrets = await startSecretsManager(
        Object.fromEntries(
          Object.values(SECRETS).map((spec) => [
            refsFor('validate').ref(logicalIdOf(template, spec.id, 'AWS::SecretsManager::Secret')),
            secretValues(spec.fields),
          ]),
        ),
      );
      closers.push(secrets.close);
      upstreams.secretsmanager = secrets.url;

      const specs = Object.entries(FUNCTIONS) as [FunctionName, FunctionSpec][];
      const bundles = await Promise.all(
        specs.map(([name, spec]) => bundleFunction(spec.entry, join(workDir, name), spec)),
      );
      const environments = {} as Record<FunctionName, Record<string, string>>;
      const policies = {} as Record<FunctionName, PolicyStatement[]>;
      for (const [index, [name, spec]] of specs.entries()) {
        const dir = (bundles[index] as { dir: string }).dir;
        const physicalName = `TmProxy-${stage}-${functionLogicalId(template, name)}`;
        environments[name] = {
          ...runtimeEnvironment(name, physicalName, spec, dir, proxies[name].url, sink.certificateFile),
          ...functionEnvironment(template, name, refsFor(name)),
        };
        policies[name] = functionPolicy(template, name, refsFor(name));
        processes[name] = functionProcess({
          name,
          dir,
          env: environments[name],
          timeoutSeconds: spec.timeoutSeconds,
          onOutput: (_, line) => (options.onOutput ? options.onOutput(name, line) : console.log(`[${name}] ${line}`)),
        });
      }
      return {
        template,
        calls,
        environments,
        policies,
        processes,
        workDir,
        invoke: (name, event) => processes[name].invoke(event),
        // Lambda's event source polls the queue with the function's role: through its proxy, recorded as its calls.
        eventSource: (name, queue) => ({
          endpoint: proxies[name].url,
          queueUrl: queueUrl(proxies[name].url, queue.url.split('/').pop() ?? ''),
        }),
        stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  };

/** The local stack with every function run from its bundle (see bundledFunctions). */
export const startBundledStack = async (
  options: LocalStackOptions & BundledOptions = {},
): Promise<LocalStack & { functions: BundledFunctions }> => {
  let functions: BundledFunctions | undefined;
  const stack = await startLocalStack({
    ...options,
    functions: async (resources) => {
      functions = await bundledFunctions(options)(resources);
      return functions;
    },
  });
  return { ...stack, functions: functions as BundledFunctions };
};
