import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addPolicyChecks, GUARD } from '../../lib/constructs/policy-checks.js';
import { QUEUES } from '../../lib/queues.js';
import { FUNCTIONS, type FunctionSpec, ROUTES } from '../../lib/routes.js';
import { SECRETS } from '../../lib/secrets.js';
import { stageConfigFromContext } from '../../lib/stage-config.js';
import { TABLES } from '../../lib/tables.js';
import { TmProxyStack } from '../../lib/tm-proxy-stack.js';

const synth = () => {
  // Bundling is skipped in tests: no esbuild run, the template is what matters.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = stageConfigFromContext('test', {
    test: { toqioWebhookBaseUrl: 'https://core.sandbox.toq.io/webhooks/integration/acme' },
  });
  const stack = new TmProxyStack(app, 'TmProxy-test', { config });
  addPolicyChecks(app);
  const assembly = app.synth();
  return { stack, template: Template.fromStack(stack), assemblyDir: assembly.directory };
};

const { stack, template, assemblyDir } = synth();

/** The IAM actions granted to the role of the function with the given logical id prefix. */
const actionsOf = (functionPrefix: string): string[] => {
  const policies = template.findResources('AWS::IAM::Policy');
  const actions: string[] = [];
  for (const policy of Object.values(policies)) {
    const roles = JSON.stringify(policy.Properties.Roles);
    if (!roles.includes(`${functionPrefix}Role`)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      actions.push(...[statement.Action].flat());
    }
  }
  return [...new Set(actions)].sort();
};

describe('TmProxyStack', () => {
  it('passes cdk-nag AwsSolutions with every exception acknowledged and explained', () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8'));
    const nag = report.pluginReports.find((plugin: { pluginName: string }) => plugin.pluginName === 'AwsSolutions');
    expect(nag.violations).toEqual([]);
    for (const suppressed of nag.suppressedViolations) expect(suppressed.reason.length).toBeGreaterThan(20);
  });

  it("passes AWS Control Tower's proactive controls (cfn-guard) with every exception acknowledged beside its resource", () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8'));
    const guard = report.pluginReports.find((plugin: { pluginName: string }) => plugin.pluginName === GUARD);
    expect(guard.violations).toEqual([]);
    const acknowledged: string[] = guard.suppressedViolations.map(
      (suppressed: { ruleName: string; reason: string }) => {
        expect(suppressed.reason.length).toBeGreaterThan(40);
        return suppressed.ruleName;
      },
    );
    // Fixed, not acknowledged: grants on the keys only for AWS services, and DLQs marked as such.
    expect(acknowledged).not.toEqual(expect.arrayContaining(['kms_create_grant_aws_service_check']));
    expect(acknowledged).not.toEqual(expect.arrayContaining(['sqs_dlq_check']));
    expect([...new Set(acknowledged)].sort()).toEqual([
      'api_gw_v2_authorization_type_configured_check',
      'cloudwatch_log_group_encrypted_check',
      'cloudwatch_log_group_retention_period_check',
      'lambda_function_public_access_prohibited_check',
      'lambda_function_url_auth_check',
      'lambda_inside_vpc_check',
    ]);
  });

  it('lets only AWS services create grants on the customer-managed keys', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key.Properties.KeyPolicy.Statement).toContainEqual({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      });
    }
  });

  it('runs every function on Node.js 22, arm64, with X-Ray tracing and JSON logs', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(2);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
      });
    }
  });

  it('lets the validate function read and write decisions and counters, and nothing else in DynamoDB', () => {
    const actions = actionsOf('ValidateFunction');
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem']),
    );
    expect(actions.filter((action) => action.startsWith('dynamodb:') && action.includes('Table'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:*');
  });

  it('gives the health function read-only access', () => {
    const actions = actionsOf('HealthFunction');
    expect(actions).toContain('dynamodb:GetItem');
    expect(
      actions.filter((action) => /Put|Update|Delete|Write/.test(action) && action.startsWith('dynamodb:')),
    ).toEqual([]);
  });

  it('encrypts tables with a customer-managed key, with PITR, deletion protection and RETAIN', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(Object.keys(TABLES).length);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/TableKey/), 'Arn'] },
        },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('indexes cases by status and creation time, projects only what list views read, and expires counters by TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'transactionId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'byCaseStatus',
          KeySchema: [
            { AttributeName: 'caseStatus', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
        Match.objectLike({
          IndexName: 'customerHistory',
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'baseAmount', 'currency', 'reasons'] },
        }),
      ]),
    });
    // The outbox: the deliveries table streams both images to the pipe that feeds the queue.
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'deliveryId', KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: { 'Fn::GetAtt': [Match.stringLikeRegexp('Deliveries'), 'StreamArn'] },
      Target: { 'Fn::GetAtt': [Match.stringLikeRegexp('Deliveries'), 'Arn'] },
      TargetParameters: { InputTemplate: '{"deliveryId":"<$.dynamodb.Keys.deliveryId.S>"}' },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('creates the deliveries queue with SSE and a redrive policy to its DLQ', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: QUEUES.deliveries.visibilityTimeoutSeconds,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: QUEUES.deliveries.maxReceiveCount },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('routes exactly the route table, with throttling and access logs on the stage', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('wires table names, the secret and the stage settings into the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.validate.description,
      Environment: {
        Variables: Match.objectLike({
          DECISIONS_TABLE: { Ref: Match.stringLikeRegexp('Decisions') },
          COUNTERS_TABLE: { Ref: Match.stringLikeRegexp('Counters') },
          TOQIO_SECRET_ARN: { Ref: Match.stringLikeRegexp('ToqioSecret') },
          VALIDATE_BUDGET_MS: '2000',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.deliver.description,
      Environment: {
        Variables: Match.objectLike({
          TOQIO_WEBHOOK_BASE_URL: 'https://core.sandbox.toq.io/webhooks/integration/acme',
        }),
      },
    });
  });

  it('gives each function only the table and queue names it binds, and rule files only where rules are evaluated', () => {
    const variablesOf = (name: keyof typeof FUNCTIONS) => {
      const prefix = `${name[0]?.toUpperCase()}${name.slice(1)}Function`;
      const [fn] = Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([id]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id))
        .map(([, resource]) => resource);
      return Object.keys(fn?.Properties.Environment.Variables ?? {});
    };
    const resourceVariables: string[] = [
      ...Object.values(TABLES).map((table) => table.envVar),
      ...Object.values(QUEUES).flatMap((queue) => [queue.envVar, queue.dlqEnvVar]),
    ];
    expect(variablesOf('health').filter((name) => resourceVariables.includes(name))).toEqual(['DECISIONS_TABLE']);
    expect(variablesOf('health')).toContain('RULE_SET_VERSION');
    expect(
      variablesOf('sweeper')
        .filter((name) => resourceVariables.includes(name))
        .sort(),
    ).toEqual(['DELIVERIES_QUEUE_URL', 'DELIVERIES_TABLE']);
    for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      const spec: FunctionSpec = FUNCTIONS[name];
      const bound = [
        ...Object.keys(spec.tables).map((table) => TABLES[table as keyof typeof TABLES].envVar),
        ...Object.entries(spec.queues ?? {}).flatMap(([queue, access]) => [
          QUEUES[queue as keyof typeof QUEUES].envVar,
          ...(access === 'sendWithDlq' ? [QUEUES[queue as keyof typeof QUEUES].dlqEnvVar] : []),
        ]),
      ];
      expect(
        variablesOf(name)
          .filter((variable) => resourceVariables.includes(variable))
          .sort(),
      ).toEqual(bound.sort());
    }
    const withRules = (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).filter((name) =>
      ((FUNCTIONS[name] as FunctionSpec).assets ?? []).includes('rules'),
    );
    // The admin function carries them to seed version 1 of each rule set on its first use.
    expect(withRules.sort()).toEqual(['admin', 'onepipeNotifications', 'validate']);
  });

  it('keeps secrets out of the template', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/local-toqio-api-key|local-analyst-token/);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'WEBHOOK_SIGNING_SECRET' }),
    });
  });

  it('consumes the deliveries queue in batches, reporting item failures, with capped concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
      MaximumBatchingWindowInSeconds: 1,
    });
  });

  it("feeds ruleStats from the decisions table's stream: oldest first, bisected, failures reported, then to its own DLQ", () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RuleStatsFunction') },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataDecisions'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RuleStatsFunctionStreamFailuresDlq'), 'Arn'] },
        },
      },
    });
    const actions = actionsOf('RuleStatsFunction');
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:PutItem',
        'sqs:SendMessage',
      ]),
    );
    // Its table access is the analytics table's rows: no delete, no transaction, no other table's writes.
    expect(actions.filter((action) => /Delete|TransactWrite|BatchWrite/.test(action))).toEqual([]);
    expect(actionsOf('ValidateFunction').some((action) => action === 'dynamodb:GetRecords')).toBe(false);
  });

  it('lets only the deliver function consume the queue and move messages to the DLQ; validate may only send', () => {
    const deliver = actionsOf('DeliverFunction');
    expect(deliver).toEqual(expect.arrayContaining(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    expect(actionsOf('ValidateFunction').filter((action) => action.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const dlqSenders = policies.filter((policy) => {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      return text.includes('sqs:SendMessage') && /DeliveriesDlq/.test(text);
    });
    expect(dlqSenders.map((policy) => JSON.stringify(policy.Properties.Roles))).toEqual([
      expect.stringContaining('DeliverFunctionRole'),
    ]);
  });

  it('runs the delivery sweeper and the case expiry every minute', () => {
    const rules = template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 minute)' } });
    expect(Object.keys(rules).sort()).toEqual([
      expect.stringMatching(/^ExpireCasesFunctionSchedule/),
      expect.stringMatching(/^SweeperFunctionSchedule/),
    ]);
  });

  it('alarms on DLQ depth (deliveries, and batches ruleStats gave up on), dead deliveries per target, API 5xx, validate p99 and deliver errors', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const byMetric = alarms.map(
      (alarm) => `${alarm.Properties.MetricName}:${JSON.stringify(alarm.Properties.Dimensions ?? [])}`,
    );
    expect(byMetric.filter((entry) => entry.startsWith('ApproximateNumberOfMessagesVisible'))).toEqual([
      expect.stringContaining('DeliveriesDlq'),
      expect.stringContaining('RuleStatsFunctionStreamFailuresDlq'),
    ]);
    expect(byMetric.filter((entry) => entry.startsWith('webhook_dead'))).toEqual([
      expect.stringContaining('toqio'),
      expect.stringContaining('onepipe'),
    ]);
    expect(alarms.map((alarm) => alarm.Properties.MetricName)).toEqual(
      expect.arrayContaining(['5xx', 'Duration', 'Errors']),
    );
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  describe('the append-only case history', () => {
    const [historyId = 'no history table', ...others] = Object.keys(
      template.findResources('AWS::DynamoDB::Table'),
    ).filter((id) => new RegExp(`^Data${TABLES.history.id}[0-9A-F]{8}$`).test(id));
    const READ = [
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ];
    const names = Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[];
    const appenders = names.filter((name) => (FUNCTIONS[name] as FunctionSpec).tables.history === 'append');

    /** The DynamoDB actions a function's role is allowed (or denied) on the history table, wildcards included. */
    const historyActions = (name: string, effect: 'Allow' | 'Deny') => {
      const role = new RegExp(`^${name[0]?.toUpperCase()}${name.slice(1)}FunctionRole[0-9A-F]{8}$`);
      const onHistory = (resource: unknown) => resource === '*' || JSON.stringify(resource).includes(historyId);
      const actions = new Set<string>();
      const policies = {
        ...template.findResources('AWS::IAM::Policy'),
        ...template.findResources('AWS::IAM::ManagedPolicy'),
      };
      for (const policy of Object.values(policies)) {
        const roles: { Ref?: string }[] = policy.Properties.Roles ?? [];
        if (!roles.some((ref) => role.test(String(ref.Ref)))) continue;
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          if (statement.Effect !== effect || ![statement.Resource].flat().some(onHistory)) continue;
          for (const action of [statement.Action].flat()) if (/^(dynamodb:|\*$)/.test(action)) actions.add(action);
        }
      }
      return [...actions].sort();
    };

    it('is one table, appended to by the functions that record case changes', () => {
      expect(others).toEqual([]);
      expect(historyId).toMatch(/^DataHistory/);
      expect(appenders.sort()).toEqual([
        'admin',
        'deliver',
        'expireCases',
        'providerRecheck',
        'providerWebhook',
        'reconcileDegraded',
        'validate',
      ]);
    });

    it('lets each appending function read and put entries, and nothing else (no update, delete or batch write)', () => {
      for (const name of appenders) {
        expect({ name, allowed: historyActions(name, 'Allow') }).toEqual({
          name,
          allowed: [...READ, 'dynamodb:PutItem'].sort(),
        });
      }
    });

    it('lets no other function write to it', () => {
      for (const name of names.filter((fn) => !appenders.includes(fn))) {
        // dynamodb:ListStreams (a stream consumer's) has no resource-level permissions: it is granted on `*`.
        const reads = [...READ, 'dynamodb:ListStreams'];
        expect({ name, allowed: historyActions(name, 'Allow').filter((action) => !reads.includes(action)) }).toEqual({
          name,
          allowed: [],
        });
      }
    });

    it('denies update, delete, batch write and PartiQL explicitly to every appending function, so no later grant can allow them', () => {
      for (const name of appenders) {
        expect({ name, denied: historyActions(name, 'Deny') }).toEqual({
          name,
          denied: expect.arrayContaining([
            'dynamodb:BatchWriteItem',
            'dynamodb:DeleteItem',
            'dynamodb:PartiQL*',
            'dynamodb:UpdateItem',
          ]),
        });
      }
    });
  });

  it('lets no function delete from any table but the admin function from the account mappings', () => {
    const tableIds = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    const deleters: string[] = [];
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Effect !== 'Allow' || ![statement.Action].flat().includes('dynamodb:DeleteItem')) continue;
        const resources = JSON.stringify(statement.Resource);
        for (const id of tableIds.filter((table) => resources.includes(table))) {
          deleters.push(
            `${JSON.stringify(policy.Properties.Roles).match(/(\w+)FunctionRole/)?.[1]}:${id.replace(/[A-F0-9]{8}$/, '')}`,
          );
        }
      }
    }
    expect([...new Set(deleters)]).toEqual(['Admin:DataMappings']);
  });

  it('grants each function only the secrets it reads, and the health function none', () => {
    const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    expect(secretIds).toHaveLength(Object.keys(SECRETS).length);
    const secretsOf = (prefix: string) => {
      const granted = new Set<string>();
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        if (!JSON.stringify(policy.Properties.Roles).includes(`${prefix}Role`)) continue;
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          if (![statement.Action].flat().includes('secretsmanager:GetSecretValue')) continue;
          const resource = JSON.stringify(statement.Resource);
          for (const spec of Object.values(SECRETS)) {
            if (secretIds.some((id) => id.startsWith(spec.id) && resource.includes(id))) granted.add(spec.id);
          }
        }
      }
      return [...granted].sort();
    };
    // GetSecretValue is all the config loader calls: no DescribeSecret (the bundled IAM check, README Security).
    for (const name of Object.keys(FUNCTIONS)) {
      expect(actionsOf(`${name[0]?.toUpperCase()}${name.slice(1)}Function`)).not.toContain(
        'secretsmanager:DescribeSecret',
      );
    }
    expect(secretsOf('HealthFunction')).toEqual([]);
    expect(secretsOf('SweeperFunction')).toEqual([]);
    expect(secretsOf('ExpireCasesFunction')).toEqual([]);
    // The stage decides with the built-in rules alone: nothing reads the provider secret (see below).
    expect(secretsOf('ValidateFunction')).toEqual(['ToqioSecret']);
    expect(secretsOf('ProviderWebhookFunction')).toEqual([]);
    expect(secretsOf('ProviderRecheckFunction')).toEqual([]);
    expect(secretsOf('AdminFunction')).toEqual(['AdminSecret']);
    // Nor, calling OnePipe for nothing (no listener, no credit confirmation), the OnePipe outbound secret.
    expect(secretsOf('OnepipeNotificationsFunction')).toEqual(['OnepipeInboundSecret']);
    expect(secretsOf('DeliverFunction')).toEqual(['ToqioSecret', 'WebhookSigningSecret']);
    // Only the admin function can read the sign-in tokens.
    for (const name of Object.keys(FUNCTIONS).filter((fn) => fn !== 'admin')) {
      expect(secretsOf(`${name[0]?.toUpperCase()}${name.slice(1)}Function`)).not.toContain('AdminSecret');
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.health.description,
      Environment: { Variables: Match.not(Match.objectLike({ TOQIO_SECRET_ARN: Match.anyValue() })) },
    });
  });

  it('reserves concurrency for validate and caps the admin function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.validate.description,
      ReservedConcurrentExecutions: 50,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.admin.description,
      ReservedConcurrentExecutions: 5,
    });
  });

  it('serves the admin function on a Function URL with no cross-origin access', () => {
    const urls = Object.values(template.findResources('AWS::Lambda::Url'));
    expect(urls).toHaveLength(1);
    expect(urls[0]?.Properties.AuthType).toBe('NONE');
    expect(urls[0]?.Properties.Cors).toBeUndefined();
  });

  it('outputs the API URL for Toqio, the admin URL and the secret to fill', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      expect.arrayContaining(['AdminUrl', 'ApiUrl', ...Object.values(SECRETS).map((secret) => `${secret.id}Name`)]),
    );
    expect(stack.api.url).toBeDefined();
  });
});

describe('stage configuration', () => {
  it('puts the admin URL behind IAM authentication when the stage asks for it', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const config = stageConfigFromContext('locked', {
      locked: {
        toqioWebhookBaseUrl: 'https://core.sandbox.toq.io/webhooks/integration/acme',
        adminUrlAuth: 'AWS_IAM',
        adminMaxConcurrency: 2,
      },
    });
    const locked = Template.fromStack(new TmProxyStack(app, 'TmProxy-locked', { config }));
    locked.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    locked.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.admin.description,
      ReservedConcurrentExecutions: 2,
    });
  });

  it('binds the provider and OnePipe outbound secrets only to a stage that uses them', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const config = stageConfigFromContext('screened', {
      screened: {
        toqioWebhookBaseUrl: 'https://core.sandbox.toq.io/webhooks/integration/acme',
        provider: { name: 'flagright', flagrightApiUrl: 'https://sandbox-api.flagright.com' },
        onepipe: { listenerUrl: 'https://listener.example.com/onepipe' },
      },
    });
    const screened = Template.fromStack(new TmProxyStack(app, 'TmProxy-screened', { config }));
    const variablesOf = (stackTemplate: Template, name: keyof typeof FUNCTIONS) =>
      Object.values(stackTemplate.findResources('AWS::Lambda::Function')).find(
        (fn) => fn.Properties.Description === FUNCTIONS[name].description,
      )?.Properties.Environment.Variables ?? {};
    const uses = {
      [SECRETS.provider.envVar]: ['validate', 'providerWebhook', 'providerRecheck'],
      [SECRETS.onepipeOutbound.envVar]: ['onepipeNotifications', 'deliver'],
    } as const;
    for (const [envVar, names] of Object.entries(uses)) {
      for (const name of names) {
        expect(variablesOf(screened, name)).toHaveProperty(envVar);
        // The default stage (rules alone, no OnePipe calls): the secret exists, to be filled before
        // the stage uses it, but no function has it.
        expect(variablesOf(template, name)).not.toHaveProperty(envVar);
      }
    }
    expect(variablesOf(screened, 'validate')).toHaveProperty(SECRETS.toqio.envVar);
    for (const spec of [SECRETS.provider, SECRETS.onepipeOutbound]) {
      expect(
        Object.keys(template.findResources('AWS::SecretsManager::Secret')).some((id) => id.startsWith(spec.id)),
      ).toBe(true);
    }
  });

  it('refuses a stage without an https Toqio webhook URL, naming the problem', () => {
    expect(() => stageConfigFromContext('prod', { prod: { toqioWebhookBaseUrl: 'http://x' } })).toThrow(/https/);
    expect(() => stageConfigFromContext('nope', {})).toThrow(/toqioWebhookBaseUrl/);
  });
});
