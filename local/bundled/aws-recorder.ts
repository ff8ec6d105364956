import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { closeServer, listenOnLoopback } from '../ports.js';
import { queueArn, tableArn } from './template.js';

/**
 * One authorisation request IAM evaluates for an AWS API call: the action and the resource. A call
 * can be several (a transaction is one per item, a batch one per table).
 */
export interface AwsCall {
  /** The function whose role made the call (or on whose behalf Lambda made it: its SQS event source). */
  function: string;
  /** The IAM action, e.g. dynamodb:PutItem. */
  action: string;
  /** The resource ARN, e.g. arn:aws:dynamodb:us-east-1:000000000000:table/x/index/byStatus. */
  resource: string;
  /** The API operation on the wire, e.g. TransactWriteItems. */
  operation: string;
  /** Request context keys a policy condition may read (dynamodb:EnclosingOperation for transaction items). */
  context: Record<string, string>;
}

type Service = 'dynamodb' | 'sqs' | 'secretsmanager';

/** Where calls are forwarded to: DynamoDB Local, fauxqs (and its URL of each queue by name), the Secrets Manager stand-in. */
export interface Upstreams extends Record<Service, string> {
  queueUrls: Record<string, string>;
}

const TRANSACT_WRITE_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** SQS authorises a batch operation as its single-message action on the queue (SQS developer guide). */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/**
 * What IAM authorises for one DynamoDB call (the Service Authorization Reference and the developer
 * guide's "Using IAM with DynamoDB transactions"):
 * - a single-item call, Query or Scan: its own action on the table, on `table/T/index/I` with IndexName;
 * - TransactWriteItems: each item's own action on its table (Put: PutItem, Update: UpdateItem,
 *   Delete: DeleteItem, ConditionCheck: ConditionCheckItem), with dynamodb:EnclosingOperation set;
 *   TransactGetItems: GetItem per item. There is no dynamodb:TransactWriteItems action to grant;
 * - BatchGetItem / BatchWriteItem: their own action (dynamodb:BatchGetItem, dynamodb:BatchWriteItem)
 *   on each table of RequestItems; IAM does not ask for GetItem, PutItem or DeleteItem there, which is
 *   why the history table's Deny names BatchWriteItem besides UpdateItem and DeleteItem.
 */
export const dynamodbAuthorisations = (operation: string, body: Record<string, unknown>) => {
  const on = (table: unknown, index?: unknown) =>
    `${tableArn(String(table))}${index === undefined ? '' : `/index/${String(index)}`}`;
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return ((body.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, detail]) => ({
        action: operation === 'TransactGetItems' ? 'dynamodb:GetItem' : (TRANSACT_WRITE_ACTIONS[kind] ?? kind),
        resource: on(detail.TableName),
        context: { 'dynamodb:EnclosingOperation': operation },
      })),
    );
  }
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys((body.RequestItems as Record<string, unknown> | undefined) ?? {}).map((table) => ({
      action: `dynamodb:${operation}`,
      resource: on(table),
      context: {},
    }));
  }
  return [
    {
      action: `dynamodb:${operation}`,
      resource: body.TableName === undefined ? '*' : on(body.TableName, body.IndexName),
      context: {},
    },
  ];
};

/** The queue's ARN from its URL (the last path segment is the queue's name). */
const queueArnOf = (url: unknown) => queueArn(String(url).split('/').pop() ?? '');

/** The service a SigV4-signed request is for: its credential scope names it (…/us-east-1/dynamodb/aws4_request). */
const serviceOf = (req: IncomingMessage): Service | undefined => {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '')?.[1];
  return scope === 'dynamodb' || scope === 'sqs' || scope === 'secretsmanager' ? scope : undefined;
};

/** The operation and parameters of a call, AWS JSON protocol (X-Amz-Target) or the query protocol (Action=). */
const readCall = (req: IncomingMessage, body: string): { operation: string; params: Record<string, unknown> } => {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    return {
      operation: target.split('.').pop() ?? target,
      params: body ? (JSON.parse(body) as Record<string, unknown>) : {},
    };
  }
  const form = new URLSearchParams(body);
  return { operation: form.get('Action') ?? 'Unknown', params: Object.fromEntries(form) };
};

export interface RecordingProxy {
  /** The endpoint to give the function for every service (AWS_ENDPOINT_URL_DYNAMODB, _SQS, _SECRETS_MANAGER). */
  url: string;
  close(): Promise<void>;
}

/**
 * A recording HTTP proxy for one function's AWS calls: each call is read at the wire (the service
 * from the signature's scope, the operation from X-Amz-Target or Action, the resources from the
 * body), turned into the authorisation requests IAM would evaluate, recorded, and forwarded
 * unchanged to the local service. Queue URLs name this proxy as their host (the SDK sends a queue's
 * calls to its URL's host, as in AWS, where the URL's host is the SQS endpoint); on the way each is
 * replaced by fauxqs' URL of the queue of that name.
 */
export const startRecordingProxy = async (
  functionName: string,
  upstreams: Upstreams,
  record: (call: AwsCall) => void,
): Promise<RecordingProxy> => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const service = serviceOf(req);
      let body = Buffer.concat(chunks).toString('utf8');
      if (!service) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `unsigned or unknown service: ${req.headers.authorization ?? ''}` }));
        return;
      }
      const upstream = new URL(upstreams[service]);
      const { operation, params } = readCall(req, body);
      const add = (action: string, resource: string, context: Record<string, string> = {}) =>
        record({ function: functionName, action, resource, operation, context });
      if (service === 'dynamodb') {
        for (const call of dynamodbAuthorisations(operation, params)) add(call.action, call.resource, call.context);
      } else if (service === 'sqs') {
        add(`sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`, params.QueueUrl ? queueArnOf(params.QueueUrl) : '*');
        const local =
          upstreams.queueUrls[
            String(params.QueueUrl ?? '')
              .split('/')
              .pop() ?? ''
          ];
        if (local && req.headers['x-amz-target']) body = JSON.stringify({ ...params, QueueUrl: local });
        else if (local)
          body = new URLSearchParams({ ...(params as Record<string, string>), QueueUrl: local }).toString();
      } else {
        add(`secretsmanager:${operation}`, String(params.SecretId ?? '*'));
      }
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(Buffer.byteLength(body)) };
      const forward = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `upstream ${service} failed: ${error.message}` }));
      });
      forward.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
};
