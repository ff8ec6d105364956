import { dynamodbAuthorisations } from '../../local/bundled/aws-recorder.js';
import { evaluate, unusedGrants } from '../../local/bundled/iam-policy.js';
import type { PolicyStatement } from '../../local/bundled/template.js';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/t-decisions';
const OTHER = 'arn:aws:dynamodb:us-east-1:000000000000:table/t-counters';
const HISTORY = 'arn:aws:dynamodb:us-east-1:000000000000:table/t-history';

/** The shape CDK's table.grant writes: actions on the table and its indexes. */
const readWrite = (table: string, actions = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']) =>
  ({ Effect: 'Allow', Action: actions, Resource: [table, `${table}/index/*`] }) satisfies PolicyStatement;

describe('the IAM policy check', () => {
  it('allows a call an Allow statement names, on the table or one of its indexes', () => {
    const policy = [readWrite(TABLE)];
    expect(evaluate(policy, { action: 'dynamodb:PutItem', resource: TABLE }).effect).toBe('allowed');
    expect(evaluate(policy, { action: 'dynamodb:Query', resource: `${TABLE}/index/byStatus` }).effect).toBe('allowed');
  });

  it('reports a call whose action the policy lacks as denied', () => {
    const policy = [readWrite(TABLE, ['dynamodb:GetItem', 'dynamodb:Query'])];
    expect(evaluate(policy, { action: 'dynamodb:UpdateItem', resource: TABLE }).effect).toBe('implicitly denied');
  });

  it('reports a call on another table, or on an index the policy does not cover, as denied', () => {
    expect(evaluate([readWrite(TABLE)], { action: 'dynamodb:GetItem', resource: OTHER }).effect).toBe(
      'implicitly denied',
    );
    const tableOnly: PolicyStatement[] = [{ Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [TABLE] }];
    expect(evaluate(tableOnly, { action: 'dynamodb:Query', resource: `${TABLE}/index/byStatus` }).effect).toBe(
      'implicitly denied',
    );
    const oneIndex: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [`${TABLE}/index/byCustomer`] },
    ];
    expect(evaluate(oneIndex, { action: 'dynamodb:Query', resource: `${TABLE}/index/byStatus` }).effect).toBe(
      'implicitly denied',
    );
  });

  it('matches action wildcards case-insensitively and resource wildcards exactly', () => {
    const policy: PolicyStatement[] = [
      {
        Effect: 'Allow',
        Action: ['dynamodb:Get*', 'kms:GenerateDataKey*'],
        Resource: ['arn:aws:dynamodb:*:*:table/t-*'],
      },
    ];
    expect(evaluate(policy, { action: 'DynamoDB:getitem', resource: TABLE }).effect).toBe('allowed');
    expect(evaluate(policy, { action: 'dynamodb:PutItem', resource: TABLE }).effect).toBe('implicitly denied');
    expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: TABLE.toUpperCase() }).effect).toBe(
      'implicitly denied',
    );
  });

  it('lets an explicit Deny win over any Allow (the append-only history)', () => {
    const policy: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['dynamodb:UpdateItem', 'dynamodb:PartiQL*'], Resource: [HISTORY] },
    ];
    expect(evaluate(policy, { action: 'dynamodb:UpdateItem', resource: HISTORY }).effect).toBe('explicitly denied');
    expect(evaluate(policy, { action: 'dynamodb:PartiQLUpdate', resource: HISTORY }).effect).toBe('explicitly denied');
    expect(evaluate(policy, { action: 'dynamodb:UpdateItem', resource: TABLE }).effect).toBe('allowed');
  });

  it('evaluates conditions on the request context, and refuses to guess an operator it does not know', () => {
    const onlyInTransactions: PolicyStatement[] = [
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem'],
        Resource: [TABLE],
        Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:EnclosingOperation': ['TransactWriteItems'] } },
      },
    ];
    const [inTransaction] = dynamodbAuthorisations('TransactWriteItems', {
      TransactItems: [{ Put: { TableName: 't-decisions' } }],
    });
    expect(evaluate(onlyInTransactions, inTransaction as never).effect).toBe('allowed');
    expect(evaluate(onlyInTransactions, { action: 'dynamodb:PutItem', resource: TABLE }).effect).toBe(
      'implicitly denied',
    );
    const tlsOnly: PolicyStatement[] = [
      { Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      readWrite(TABLE),
    ];
    expect(evaluate(tlsOnly, { action: 'dynamodb:GetItem', resource: TABLE }).effect).toBe('allowed');
    const unknown: PolicyStatement[] = [
      {
        Effect: 'Allow',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020' } },
      },
    ];
    expect(() => evaluate(unknown, { action: 'dynamodb:GetItem', resource: TABLE })).toThrow(/DateGreaterThan/);
  });

  it('lists the grants no call used', () => {
    const policy = [readWrite(TABLE, ['dynamodb:GetItem', 'dynamodb:Scan'])];
    expect(unusedGrants(policy, [{ action: 'dynamodb:GetItem', resource: TABLE }])).toEqual([
      { action: 'dynamodb:GetItem', resource: `${TABLE}/index/*` },
      { action: 'dynamodb:Scan', resource: TABLE },
      { action: 'dynamodb:Scan', resource: `${TABLE}/index/*` },
    ]);
  });
});

describe('what IAM authorises for a DynamoDB call', () => {
  it('authorises each item of a transaction as its own action on its own table', () => {
    const requests = dynamodbAuthorisations('TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 't-decisions' } },
        { Update: { TableName: 't-counters' } },
        { ConditionCheck: { TableName: 't-counters' } },
        { Delete: { TableName: 't-history' } },
      ],
    });
    expect(requests.map((request) => [request.action, request.resource])).toEqual([
      ['dynamodb:PutItem', TABLE],
      ['dynamodb:UpdateItem', OTHER],
      ['dynamodb:ConditionCheckItem', OTHER],
      ['dynamodb:DeleteItem', HISTORY],
    ]);
    // So a transaction that updates the history is refused by the history's Deny.
    const history: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['dynamodb:DeleteItem'], Resource: [HISTORY] },
    ];
    expect(requests.map((request) => evaluate(history, request).effect)).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'explicitly denied',
    ]);
  });

  it('authorises a batch as the batch action on each table, and a query on an index as the index', () => {
    expect(
      dynamodbAuthorisations('BatchGetItem', { RequestItems: { 't-decisions': {}, 't-counters': {} } }).map(
        (request) => [request.action, request.resource],
      ),
    ).toEqual([
      ['dynamodb:BatchGetItem', TABLE],
      ['dynamodb:BatchGetItem', OTHER],
    ]);
    expect(dynamodbAuthorisations('Query', { TableName: 't-decisions', IndexName: 'byStatus' })).toEqual([
      { action: 'dynamodb:Query', resource: `${TABLE}/index/byStatus`, context: {} },
    ]);
    expect(
      dynamodbAuthorisations('TransactGetItems', { TransactItems: [{ Get: { TableName: 't-counters' } }] }),
    ).toEqual([
      { action: 'dynamodb:GetItem', resource: OTHER, context: { 'dynamodb:EnclosingOperation': 'TransactGetItems' } },
    ]);
  });
});
