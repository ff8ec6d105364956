/**
 * Refusals a caller can act on, by kind. Domain code throws these (or subclasses that say what
 * was refused, such as CaseConflictError); one table in functions/shared/errors.ts maps each kind
 * to an HTTP status. Matched by class or kind, never by a name string.
 */
export const ERROR_KINDS = [
  'bad-request',
  'invalid-cursor',
  'unauthorized',
  'forbidden',
  'not-found',
  'conflict',
  'payload-too-large',
  'too-many-requests',
  'not-configured',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
}

export class NotFoundError extends DomainError {
  readonly kind = 'not-found';
  override name = 'NotFoundError';
}
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  override name = 'ConflictError';
}
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
  override name = 'ForbiddenError';
}
export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized';
  override name = 'UnauthorizedError';
}
export class NotConfiguredError extends DomainError {
  readonly kind = 'not-configured';
  override name = 'NotConfiguredError';
}
