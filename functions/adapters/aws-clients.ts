import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Endpoints and region for the SDK clients; endpoints are set only locally. */
export interface ClientSettings {
  region: string;
  dynamodbEndpoint?: string | undefined;
  sqsEndpoint?: string | undefined;
}

// Local emulators accept any credentials; in AWS the Lambda role's credentials are used.
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export const createDocumentClient = (settings: ClientSettings): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: settings.region,
      ...(settings.dynamodbEndpoint ? { endpoint: settings.dynamodbEndpoint, credentials: localCredentials } : {}),
    }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } },
  );

export const createSqsClient = (settings: ClientSettings): SQSClient =>
  new SQSClient({
    region: settings.region,
    ...(settings.sqsEndpoint ? { endpoint: settings.sqsEndpoint, credentials: localCredentials } : {}),
  });

export const createSecretsClient = (settings: ClientSettings): SecretsManagerClient =>
  new SecretsManagerClient({ region: settings.region });
