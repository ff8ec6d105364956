import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { dlqName, QUEUES, type QueueKey } from '#lib/queues.js';
import { FUNCTIONS, type FunctionName } from '#lib/routes.js';
import { SECRETS } from '#lib/secrets.js';
import { stageConfigFromContext } from '#lib/stage-config.js';
import { TABLES, type TableKey } from '#lib/tables.js';
import { TmProxyStack } from '#lib/tm-proxy-stack.js';

/** The region and account every local ARN is built in (DynamoDB Local and fauxqs use this account too). */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/**
 * The stack's template for a stage given as it would be in cdk.json, synthesised without bundling
 * (as the infra tests do): the functions' environments and IAM policies are read from it.
 */
export const synthesiseTemplate = (stage: string, settings: Record<string, unknown>): CfnTemplate => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = stageConfigFromContext(stage, { [stage]: settings });
  return Template.fromStack(new TmProxyStack(app, `TmProxy-${stage}`, { config })).toJSON() as CfnTemplate;
};

/** CDK's logical ids: the construct path's ids joined, then 8 hex digits of hash. */
const logicalIdPattern = (stem: string) => new RegExp(`^${stem}[0-9A-F]{8}$`);

/** The logical id of a resource whose id starts with `stem` (exactly one must exist). */
export const logicalIdOf = (template: CfnTemplate, stem: string, type?: string): string => {
  const pattern = logicalIdPattern(stem);
  const found = Object.entries(template.Resources).filter(
    ([id, resource]) => pattern.test(id) && (!type || resource.Type === type),
  );
  if (found.length !== 1) throw new Error(`expected one resource ${stem}<hash> in the template, found ${found.length}`);
  return (found[0] as [string, CfnResource])[0];
};

/** The logical id of a function of the route table (the stack names them `<Name>Function`). */
export const functionLogicalId = (template: CfnTemplate, name: FunctionName) =>
  logicalIdOf(template, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, 'AWS::Lambda::Function');

/** What `Ref` and `Fn::GetAtt` of each resource resolve to. */
export interface References {
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

/** The local resources the template's references stand for. */
export interface LocalNames {
  /** Local table names by key. */
  tables: Record<TableKey, string>;
  /** Local queue names by key (each DLQ is `dlqName(name)`, as locally created). */
  queues: Record<QueueKey, string>;
  /**
   * The origin of queue URLs (in AWS the regional SQS endpoint, https://sqs.<region>.amazonaws.com):
   * the SDK sends a queue's calls to its URL's host, so this is the SQS endpoint the caller is given.
   */
  sqsOrigin: string;
}

export const tableArn = (name: string) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
export const queueArn = (name: string) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
export const queueUrl = (origin: string, name: string) => `${origin}/${LOCAL_ACCOUNT}/${name}`;
/** Secrets Manager ARNs end in a dash and six random characters; the logical id's tail stands in for them. */
export const secretArn = (logicalId: string) =>
  `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${logicalId.slice(0, -8)}-${logicalId.slice(-6)}`;

/**
 * References resolved to the local resources: tables to their local names and ARNs, queues to URLs
 * on `sqsOrigin` and their ARNs, secrets to ARNs the local Secrets Manager stand-in serves. Anything
 * else gets an ARN of its own logical id (log groups, keys, roles: nothing locally calls them).
 */
export const localReferences = (template: CfnTemplate, names: LocalNames): References => {
  const kinds = new Map<string, { kind: 'table' | 'queue' | 'secret'; name: string }>();
  for (const [key, spec] of Object.entries(TABLES) as [TableKey, (typeof TABLES)[TableKey]][]) {
    kinds.set(logicalIdOf(template, `Data${spec.id}`, 'AWS::DynamoDB::Table'), {
      kind: 'table',
      name: names.tables[key],
    });
  }
  for (const [key, spec] of Object.entries(QUEUES) as [QueueKey, (typeof QUEUES)[QueueKey]][]) {
    kinds.set(logicalIdOf(template, `Queues${spec.id}`, 'AWS::SQS::Queue'), { kind: 'queue', name: names.queues[key] });
    kinds.set(logicalIdOf(template, `Queues${spec.id}Dlq`, 'AWS::SQS::Queue'), {
      kind: 'queue',
      name: dlqName(names.queues[key]),
    });
  }
  for (const spec of Object.values(SECRETS)) {
    const id = logicalIdOf(template, spec.id, 'AWS::SecretsManager::Secret');
    kinds.set(id, { kind: 'secret', name: secretArn(id) });
  }
  const known = (logicalId: string) => {
    if (!template.Resources[logicalId]) throw new Error(`the template has no resource ${logicalId}`);
    return kinds.get(logicalId);
  };
  const otherArn = (logicalId: string) =>
    `arn:aws:${template.Resources[logicalId]?.Type.split('::')[1]?.toLowerCase()}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
  return {
    ref(logicalId) {
      const resource = known(logicalId);
      if (!resource) return logicalId;
      return resource.kind === 'queue' ? queueUrl(names.sqsOrigin, resource.name) : resource.name;
    },
    getAtt(logicalId, attribute) {
      const resource = known(logicalId);
      if (resource?.kind === 'table' && attribute === 'Arn') return tableArn(resource.name);
      if (resource?.kind === 'table' && attribute === 'StreamArn') return `${tableArn(resource.name)}/stream/local`;
      if (resource?.kind === 'queue' && attribute === 'Arn') return queueArn(resource.name);
      if (resource?.kind === 'queue' && attribute === 'QueueName') return resource.name;
      if (resource?.kind === 'queue' && attribute === 'QueueUrl') return queueUrl(names.sqsOrigin, resource.name);
      if (resource?.kind === 'secret' && (attribute === 'Id' || attribute === 'Arn')) return resource.name;
      if (!resource && attribute === 'Arn') return otherArn(logicalId);
      throw new Error(`no local value for Fn::GetAtt ${logicalId}.${attribute}`);
    },
  };
};

const PSEUDO: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * A CloudFormation value with its intrinsic functions resolved (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split, pseudo parameters). Anything else throws: a value this cannot resolve is a
 * value the local run would get wrong.
 */
export const resolveValue = (value: unknown, refs: References): string => {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const object = (value ?? {}) as Record<string, unknown>;
  const [fn, args] = Object.entries(object)[0] ?? [];
  if (Object.keys(object).length === 1 && fn === 'Ref') {
    const name = String(args);
    return PSEUDO[name] ?? refs.ref(name);
  }
  if (fn === 'Fn::GetAtt') {
    const [id, attribute] = Array.isArray(args) ? args : String(args).split('.');
    return refs.getAtt(String(id), String(attribute));
  }
  if (fn === 'Fn::Join') {
    const [separator, parts] = args as [string, unknown[]];
    return parts.map((part) => resolveValue(part, refs)).join(separator);
  }
  if (fn === 'Fn::Select') {
    const [index, list] = args as [number, unknown];
    const items = Array.isArray(list) ? list.map((item) => resolveValue(item, refs)) : resolveList(list, refs);
    return items[Number(index)] ?? '';
  }
  if (fn === 'Fn::Sub') {
    const [text, variables] = (Array.isArray(args) ? args : [args, {}]) as [string, Record<string, unknown>];
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in variables) return resolveValue(variables[name], refs);
      if (PSEUDO[name]) return PSEUDO[name];
      const [id, attribute] = name.split('.');
      return attribute ? refs.getAtt(String(id), attribute) : refs.ref(String(id));
    });
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
};

const resolveList = (value: unknown, refs: References): string[] => {
  const [fn, args] = Object.entries((value ?? {}) as Record<string, unknown>)[0] ?? [];
  if (fn === 'Fn::Split') {
    const [separator, text] = args as [string, unknown];
    return resolveValue(text, refs).split(separator);
  }
  throw new Error(`cannot resolve the list ${JSON.stringify(value)}`);
};

/** A function's environment variables, exactly as its template sets them, references resolved. */
export const functionEnvironment = (
  template: CfnTemplate,
  name: FunctionName,
  refs: References,
): Record<string, string> => {
  const fn = template.Resources[functionLogicalId(template, name)];
  const variables = ((fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, resolveValue(value, refs)]));
};

/** Every function's environment from the template. */
export const functionEnvironments = (
  template: CfnTemplate,
  refs: References | ((name: FunctionName) => References),
): Record<FunctionName, Record<string, string>> =>
  Object.fromEntries(
    (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => [
      name,
      functionEnvironment(template, name, typeof refs === 'function' ? refs(name) : refs),
    ]),
  ) as Record<FunctionName, Record<string, string>>;

/** An IAM policy statement as the template holds it, its references resolved. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (value: unknown, refs: References): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map((item) => resolveValue(item, refs));

/**
 * The identity policy statements of a function's execution role: every AWS::IAM::Policy attached to
 * the role (and any inline policies of the role itself), references resolved.
 */
export const functionPolicy = (template: CfnTemplate, name: FunctionName, refs: References): PolicyStatement[] => {
  const fn = template.Resources[functionLogicalId(template, name)];
  const role = (fn?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  if (!role) throw new Error(`${name} has no role of this stack`);
  const roleResource = template.Resources[role];
  if ((roleResource?.Properties?.ManagedPolicyArns as unknown[] | undefined)?.length) {
    throw new Error(`${name}'s role has managed policies, which this check cannot read`);
  }
  const documents: { Statement: unknown[] }[] = [
    ...((roleResource?.Properties?.Policies as { PolicyDocument: { Statement: unknown[] } }[] | undefined) ?? []).map(
      (policy) => policy.PolicyDocument,
    ),
    ...Object.values(template.Resources)
      .filter(
        (resource) =>
          resource.Type === 'AWS::IAM::Policy' &&
          ((resource.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).some((entry) => entry.Ref === role),
      )
      .map((resource) => resource.Properties?.PolicyDocument as { Statement: unknown[] }),
  ];
  return documents.flatMap((document) =>
    document.Statement.map((raw) => {
      const statement = raw as Record<string, unknown>;
      const resolved: PolicyStatement = { Effect: statement.Effect as 'Allow' | 'Deny' };
      if (statement.Sid) resolved.Sid = String(statement.Sid);
      const action = list(statement.Action, refs);
      const notAction = list(statement.NotAction, refs);
      const resource = list(statement.Resource, refs);
      const notResource = list(statement.NotResource, refs);
      if (action) resolved.Action = action;
      if (notAction) resolved.NotAction = notAction;
      if (resource) resolved.Resource = resource;
      if (notResource) resolved.NotResource = notResource;
      if (statement.Condition) {
        resolved.Condition = Object.fromEntries(
          Object.entries(statement.Condition as Record<string, Record<string, unknown>>).map(([operator, keys]) => [
            operator,
            Object.fromEntries(
              Object.entries(keys).map(([key, value]) => [
                key,
                Array.isArray(value) ? value.map((item) => resolveValue(item, refs)) : resolveValue(value, refs),
              ]),
            ),
          ]),
        );
      }
      return resolved;
    }),
  );
};
