import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DomainError } from '#domain/shared/errors.js';

/** A listing cursor this API did not issue, or one that no longer fits the query (HTTP 400). */
export class InvalidCursorError extends DomainError {
  readonly kind = 'invalid-cursor';
  override name = 'InvalidCursorError';
}

/** The longest key value a cursor may carry: ids are far shorter, DynamoDB's key limit is 2,048 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Checks a cursor sent back by a caller before it becomes DynamoDB's ExclusiveStartKey: base64url
 * JSON of exactly the index's key attributes, each a non-empty string, `fixed` ones equal to the
 * query's own values (a start key from another partition is refused by DynamoDB with a 500).
 */
export const checkCursor = (
  cursor: string | undefined,
  keys: readonly string[],
  fixed: Record<string, string> = {},
): void => {
  if (cursor === undefined || cursor === '') return;
  const refuse = (why: string) =>
    new InvalidCursorError(`cursor is not one this API issued (${why}); start again without it`);
  if (cursor.length > 4 * MAX_KEY_BYTES || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse('not base64url');
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not JSON');
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw refuse('not a key');
  const entries = Object.entries(key);
  if (entries.length !== keys.length || !keys.every((name) => Object.hasOwn(key, name))) {
    throw refuse('wrong attributes');
  }
  for (const [name, value] of entries) {
    if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > MAX_KEY_BYTES) {
      throw refuse(`bad ${name}`);
    }
    if (Object.hasOwn(fixed, name) && fixed[name] !== value) throw refuse(`${name} does not match the query`);
  }
};

/**
 * Runs a listing whose inputs came from the caller. DynamoDB refusing them (a start key outside the
 * query's range, a value it cannot store) is the caller's error, not an outage: it becomes a 400.
 */
export const refusedInputAsBadRequest = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    // The SDK has no class for ValidationException; its name is DynamoDB's documented error code.
    if (error instanceof DynamoDBServiceException && error.name === 'ValidationException') {
      throw new InvalidCursorError(`DynamoDB refused this listing's cursor or filters: ${error.message}`);
    }
    throw error;
  }
};
