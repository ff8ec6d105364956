import { startServices } from './services.mjs';

/**
 * Starts the real DynamoDB Local and fauxqs once for the whole run. Test files reach them
 * through TEST_DYNAMODB_ENDPOINT / TEST_SQS_ENDPOINT and create their own tables and queues.
 */
export default async function globalSetup() {
  const services = await startServices();
  process.env.TEST_DYNAMODB_ENDPOINT = services.dynamodbEndpoint;
  process.env.TEST_SQS_ENDPOINT = services.sqsEndpoint;
  globalThis.__tmProxyServices = services;
}
