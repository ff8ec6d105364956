/**
 * Starts DynamoDB Local (in memory) and fauxqs as one child process for tests and the bench.
 * Prints one JSON line with the endpoints, then runs until SIGTERM, SIGINT, or its stdin closes
 * (so the services die with the process that started them, and no Java is left behind).
 */
// First: turns off the AWS SDK's Node.js version warning before any SDK client exists.
import './sdk-notices.js';
import { startDynamoDbLocal } from './dynamodb.js';
import { freePort } from './ports.js';
import { startLocalSqs } from './sqs.js';

const dynamo = await startDynamoDbLocal({ port: await freePort() });
const sqs = await startLocalSqs({ port: 0 });
let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await sqs.stop().catch(() => undefined);
  await dynamo.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint })}\n`);
