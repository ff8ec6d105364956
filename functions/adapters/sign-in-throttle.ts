import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** Failed sign-ins per source address, counted in fixed windows (one counter item each, expired by TTL). */
export interface SignInThrottle {
  /** Seconds until `source` may try again; 0 when it may try now. */
  blockedFor(source: string, now: Date): Promise<number>;
  /** Counts one failed sign-in from `source` (an atomic ADD: parallel guesses all count). */
  recordFailure(source: string, now: Date): Promise<void>;
}

/** The counters table already expires items by TTL (`expiresAt`); these live under `signin-failures#`. */
export const signInThrottle = (
  client: DynamoDBDocumentClient,
  table: string,
  settings: { maxFailures: number; windowSeconds: number },
): SignInThrottle => {
  const windowOf = (now: Date) => Math.floor(now.getTime() / 1000 / settings.windowSeconds);
  const keyOf = (source: string, window: number) => `signin-failures#${source.slice(0, 100)}#${window}`;
  return {
    async blockedFor(source, now) {
      const window = windowOf(now);
      const result = await client.send(
        new GetCommand({ TableName: table, Key: { pk: keyOf(source, window) }, ConsistentRead: true }),
      );
      const failures = Number(result.Item?.failures ?? 0);
      if (failures < settings.maxFailures) return 0;
      return Math.max(1, (window + 1) * settings.windowSeconds - Math.floor(now.getTime() / 1000));
    },
    async recordFailure(source, now) {
      const window = windowOf(now);
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: keyOf(source, window) },
          UpdateExpression: 'ADD failures :one SET expiresAt = :expires',
          ExpressionAttributeValues: { ':one': 1, ':expires': (window + 2) * settings.windowSeconds },
        }),
      );
    },
  };
};
