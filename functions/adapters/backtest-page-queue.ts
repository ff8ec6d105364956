import type { BacktestPageMessage } from '#domain/rules/backtest.js';
import type { Sqs } from './aws-clients.js';

/** SendMessageBatch takes at most 10 entries. */
const BATCH = 10;

/** The queue of backtest pages: each message is one page of one scan segment. */
export const backtestPageQueue = (sqs: Sqs, url: string) => ({
  /** Sends every message, trying a batch's refused entries once more; throws if any is still refused. */
  async send(messages: readonly BacktestPageMessage[]) {
    for (let start = 0; start < messages.length; start += BATCH) {
      let entries = messages
        .slice(start, start + BATCH)
        .map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        const batch = entries;
        const result = await sqs.with((client, { SendMessageBatchCommand }) =>
          client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: batch })),
        );
        const failed = new Set((result.Failed ?? []).map((failure) => failure.Id));
        entries = entries.filter((entry) => failed.has(entry.Id));
        if (entries.length > 0 && attempt >= 1) {
          throw new Error(`backtest pages not queued: ${(result.Failed ?? []).map((f) => f.Message).join('; ')}`);
        }
      }
    }
  },
});
