import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from './logger.js';
import { metrics } from './metrics.js';
import { tracer } from './tracer.js';

/**
 * The one factory for DynamoDB stream consumers: records are handled one after another, in the
 * stream's order (a later image of an item is never handled before an earlier one), and a failed
 * record is reported in batchItemFailures, so Lambda retries from it (the event source must enable
 * ReportBatchItemFailures) and, after its retries, sends the batch's pointer to its on-failure queue.
 */
export const dynamodbStreamHandler = (handle: (record: DynamoDBRecord) => Promise<void>) => {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const recordHandler = async (record: DynamoDBRecord) => {
    try {
      await handle(record);
    } catch (error) {
      logger.error('stream record failed; the batch is retried from it', {
        eventId: record.eventID,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        keys: record.dynamodb?.Keys as Record<string, unknown>,
        error: error as Error,
      });
      throw error;
    }
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) =>
      processPartialResponse(event, recordHandler, processor, { context, processInParallel: false }),
    );
};
