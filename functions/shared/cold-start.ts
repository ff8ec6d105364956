import * as z from 'zod';
import { createDocumentClient, createSecrets, createSqs } from '#adapters/aws-clients.js';
import { secretFetcher } from '#adapters/secrets.js';
import { type AnyConfig, loadConfig } from './config.js';
import { logger } from './logger.js';
import { tracer } from './tracer.js';

// Zod compiles a fast path for each object schema on its first parse (with `new Function`); at cold
// start every schema is parsed about once, and compiling cost validate ~25 ms of its start-up (the
// configuration alone). Interpreted, the first parse is cheap and later ones barely slower.
z.config({ jitless: true });

/**
 * This function's configuration, read once: its own schema, its bound secrets fetched from Secrets
 * Manager (a client is created only when a secret is bound), and the log level applied.
 */
export const functionConfig = async <S extends z.ZodObject>(schema: S): Promise<z.infer<S>> => {
  let fetch: ((arn: string) => Promise<Record<string, string>>) | undefined;
  const config = await loadConfig(schema, (arn, region) => {
    fetch ??= secretFetcher(createSecrets({ region }));
    return fetch(arn);
  });
  logger.setLogLevel((config as AnyConfig).LOG_LEVEL);
  return config;
};

/** The DynamoDB document client, each call an X-Ray subsegment (a no-op when tracing is off). */
export const documentClientFor = (config: { AWS_REGION: string; DYNAMODB_ENDPOINT?: string | undefined }) =>
  tracer.captureAWSv3Client(
    createDocumentClient({ region: config.AWS_REGION, dynamodbEndpoint: config.DYNAMODB_ENDPOINT }),
  );

/** SQS, its module loaded on the first send (createSqs), each call an X-Ray subsegment. */
export const sqsFor = (config: { AWS_REGION: string; SQS_ENDPOINT?: string | undefined }) =>
  createSqs({ region: config.AWS_REGION, sqsEndpoint: config.SQS_ENDPOINT }, (client) =>
    tracer.captureAWSv3Client(client),
  );

/**
 * The name given to an adapter for a table or queue this function does not bind (an adapter may
 * serve several functions): not a valid AWS name, so a call that reaches it fails loudly, as IAM
 * would refuse it anyway.
 */
export const notBound = (resource: string) => `not-bound-to-this-function:${resource}`;

type Lambda<E, R> = (event: E, context: import('aws-lambda').Context) => Promise<R>;

/** A value built on its first use, once; a failed build is tried again on the next use. */
export const onFirstUse = <T>(build: () => Promise<T>) => {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
};

/**
 * The deployed handler of a function: built from its own configuration on the first call (or by
 * `prepare()`, which scripts/bench-cold.ts times), once; a failed build is tried again on the next
 * call. Building lazily keeps each module's `buildHandler` importable by tests without the
 * function's environment.
 */
export const builtOnFirstCall = <E, R>(build: () => Promise<Lambda<E, R>>) => {
  const prepare = onFirstUse(build);
  const handler: Lambda<E, R> = async (event, context) => (await prepare())(event, context);
  return Object.assign(handler, { prepare });
};
