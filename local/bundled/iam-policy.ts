import type { PolicyStatement } from './template.js';

/** An authorisation request: what IAM evaluates for each AWS call (see aws-recorder.ts). */
export interface AuthorisationRequest {
  action: string;
  resource: string;
  /** Condition keys of the request (aws:SecureTransport, dynamodb:EnclosingOperation, …). */
  context?: Record<string, string>;
}

export type Decision =
  | { effect: 'allowed'; by: PolicyStatement }
  | { effect: 'explicitly denied'; by: PolicyStatement }
  | { effect: 'implicitly denied' };

/** IAM's wildcards: `*` any run of characters, `?` one character. */
const wildcard = (pattern: string, caseInsensitive: boolean) =>
  new RegExp(
    `^${pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
    caseInsensitive ? 'i' : '',
  );

/** Action names are case-insensitive in IAM; resource ARNs are not. */
export const matchesAction = (pattern: string, action: string) => wildcard(pattern, true).test(action);
export const matchesResource = (pattern: string, resource: string) => wildcard(pattern, false).test(resource);

/** Calls that are made on every request (AWS's own context), the same for each local call. */
const DEFAULT_CONTEXT: Record<string, string> = {
  // The SDK calls AWS over HTTPS; locally the recorded calls are plain HTTP on loopback.
  'aws:SecureTransport': 'true',
};

const KNOWN_OPERATORS = new Set([
  'Null',
  'Bool',
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
]);

/** One condition operator on one key, with IAM's set operators and IfExists. */
const conditionHolds = (operator: string, key: string, expected: string[], context: Record<string, string>) => {
  const [qualifier, bare] = operator.includes(':') ? operator.split(':') : [undefined, operator];
  const ifExists = bare?.endsWith('IfExists') ?? false;
  const base = ifExists ? bare?.slice(0, -'IfExists'.length) : bare;
  if (!KNOWN_OPERATORS.has(base ?? ''))
    throw new Error(`condition operator ${operator} is not understood by this check`);
  const actual = context[key];
  if (base === 'Null') return (actual === undefined) === (expected[0] === 'true');
  if (actual === undefined) return ifExists || qualifier === 'ForAllValues';
  const test = (value: string) => {
    switch (base) {
      case 'StringEquals':
      case 'ArnEquals':
        return expected.includes(value);
      case 'StringNotEquals':
      case 'ArnNotEquals':
        return !expected.includes(value);
      case 'StringEqualsIgnoreCase':
        return expected.some((item) => item.toLowerCase() === value.toLowerCase());
      case 'StringLike':
      case 'ArnLike':
        return expected.some((item) => matchesResource(item, value));
      case 'StringNotLike':
      case 'ArnNotLike':
        return !expected.some((item) => matchesResource(item, value));
      default:
        // Bool
        return expected.includes(value);
    }
  };
  return test(actual);
};

/**
 * Whether a statement applies to a request. A condition this check cannot evaluate throws: better
 * a failed test than a guess either way.
 */
export const statementApplies = (statement: PolicyStatement, request: AuthorisationRequest): boolean => {
  const actionMatches = statement.Action
    ? statement.Action.some((pattern) => matchesAction(pattern, request.action))
    : !(statement.NotAction ?? []).some((pattern) => matchesAction(pattern, request.action));
  if (!actionMatches) return false;
  const resourceMatches = statement.Resource
    ? statement.Resource.some((pattern) => matchesResource(pattern, request.resource))
    : !(statement.NotResource ?? []).some((pattern) => matchesResource(pattern, request.resource));
  if (!resourceMatches) return false;
  const context = { ...DEFAULT_CONTEXT, ...request.context };
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, value]) =>
      conditionHolds(operator, key, Array.isArray(value) ? value : [value], context),
    ),
  );
};

/**
 * IAM's evaluation of one identity policy: an explicit Deny wins, else any Allow allows, else the
 * request is implicitly denied. (No resource policies, boundaries or SCPs: the stack has none that
 * narrow its functions' calls.)
 */
export const evaluate = (statements: readonly PolicyStatement[], request: AuthorisationRequest): Decision => {
  const deny = statements.find((statement) => statement.Effect === 'Deny' && statementApplies(statement, request));
  if (deny) return { effect: 'explicitly denied', by: deny };
  const allow = statements.find((statement) => statement.Effect === 'Allow' && statementApplies(statement, request));
  return allow ? { effect: 'allowed', by: allow } : { effect: 'implicitly denied' };
};

/** A grant of a policy: one action pattern of an Allow statement on one resource pattern. */
export interface Grant {
  action: string;
  resource: string;
}

/** The grants of a policy's Allow statements that none of `requests` used (matched and was allowed by). */
export const unusedGrants = (
  statements: readonly PolicyStatement[],
  requests: readonly AuthorisationRequest[],
): Grant[] =>
  statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      (statement.Action ?? []).flatMap((action) =>
        (statement.Resource ?? ['*']).map((resource) => ({ action, resource })),
      ),
    )
    .filter(
      (grant) =>
        !requests.some(
          (request) =>
            matchesAction(grant.action, request.action) &&
            matchesResource(grant.resource, request.resource) &&
            evaluate(statements, request).effect === 'allowed',
        ),
    );
