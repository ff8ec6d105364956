import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, startLocalStack } from '../../local/stack.js';

/**
 * The local stack on the DynamoDB Local and fauxqs started by the global setup, with tables
 * and queues of its own (a unique prefix), so test files never see each other's data.
 */
export const startTestStack = (): Promise<LocalStack> => {
  const dynamodbEndpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  const sqsEndpoint = process.env.TEST_SQS_ENDPOINT;
  if (!dynamodbEndpoint || !sqsEndpoint) throw new Error('run through jest: the global setup starts the services');
  return startLocalStack({
    port: 0,
    adminPort: 0,
    prefix: `t${randomUUID().slice(0, 8)}`,
    dynamodbEndpoint,
    sqsEndpoint,
  });
};

export const testDocumentClient = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );

export const TOQIO_KEY = 'local-toqio-api-key-change-me';

/** What the validate route answers: a decision, or an error (tests read whichever they expect). */
export interface ValidateResponseBody {
  status: string;
  transactionId: string;
  reasons: { rule: string; description: string }[];
  error: { code: string; message: string; fields: { path: string; message: string }[] };
}

/** POSTs JSON (or raw text) to the validate route with Toqio's key unless told otherwise. */
export const validate = async (
  apiUrl: string,
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': TOQIO_KEY },
) => {
  const response = await fetch(`${apiUrl}/transaction/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ValidateResponseBody };
};
