import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The floor of scripts/bench-cold.ts: the least any of our functions does at cold start. It
 * creates the AWS SDK clients and the Powertools logger, tracer and metrics, and reads its secret.
 */
const logger = new Logger({ serviceName: 'tm-proxy' });
const metrics = new Metrics({ namespace: 'TmProxy', serviceName: 'tm-proxy' });
const tracer = new Tracer({ serviceName: 'tm-proxy' });
const documentClient = tracer.captureAWSv3Client(DynamoDBDocumentClient.from(new DynamoDBClient({})));
const sqsClient = tracer.captureAWSv3Client(new SQSClient({}));
const secretArn = process.env.TOQIO_SECRET_ARN;
const secret = secretArn
  ? await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }))
  : undefined;
const values: Record<string, string> = JSON.parse(secret?.SecretString ?? '{}');

export const handler = async () => {
  logger.info('floor', { fields: Object.keys(values).length });
  metrics.addMetric('floor', 'Count', 1);
  return { documentClient: Boolean(documentClient), sqsClient: Boolean(sqsClient) };
};
