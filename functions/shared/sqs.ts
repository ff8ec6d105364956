import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod';
import { logger } from './logger.js';
import { metrics } from './metrics.js';
import { tracer } from './tracer.js';

export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

/**
 * The one factory for SQS consumers: each record is parsed with its own zod schema and handled
 * on its own (Powertools batch); failures are reported as batchItemFailures so only they return
 * to the queue (the function's event source must enable ReportBatchItemFailures).
 */
export const sqsHandler = <TSchema extends z.ZodType>(
  schema: TSchema,
  handle: (message: z.infer<TSchema>, record: SQSRecord) => Promise<void>,
) => {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch {
      throw new InvalidMessageError(`message ${record.messageId} is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new InvalidMessageError(`message ${record.messageId}: ${parsed.error.message}`);
    try {
      await handle(parsed.data, record);
    } catch (error) {
      // Each failed record is named in the log (the batch error alone says only how many failed).
      logger.error('record failed; it returns to the queue', {
        messageId: record.messageId,
        message: parsed.data as Record<string, unknown>,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error as Error,
      });
      throw error;
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true })) // no key outlives its invocation
    .use(logMetrics(metrics))
    .handler(async (event, context) => processPartialResponse(event, recordHandler, processor, { context }));
};

/** The one factory for scheduled (EventBridge) functions: logging and metrics around one job. */
export const scheduledHandler = <T>(job: () => Promise<T>) =>
  middy<unknown, T>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true })) // no key outlives its invocation
    .use(logMetrics(metrics))
    .handler(async () => {
      const result = await job();
      logger.info('scheduled job done', { result: result as Record<string, unknown> });
      return result;
    });
