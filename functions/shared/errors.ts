/** A field a request got wrong, as clients see it. */
export interface FieldProblem {
  path: string;
  message: string;
}

import {
  ConflictError,
  DomainError,
  type ErrorKind,
  ForbiddenError,
  NotConfiguredError,
  NotFoundError,
  UnauthorizedError,
} from '#domain/shared/errors.js';

export { ConflictError, DomainError, ForbiddenError, NotConfiguredError, NotFoundError, UnauthorizedError };

/** Errors a caller can act on. The status table below is the only mapping to HTTP. */
export class BadRequestError extends DomainError {
  readonly kind = 'bad-request';
  override name = 'BadRequestError';
  constructor(
    message: string,
    readonly code = 'BAD_REQUEST',
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}
export class PayloadTooLargeError extends DomainError {
  readonly kind = 'payload-too-large';
  override name = 'PayloadTooLargeError';
}
/** Too many failed attempts from one source; `retryAfterSeconds` says when to try again. */
export class TooManyRequestsError extends DomainError {
  readonly kind = 'too-many-requests';
  override name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The one mapping of error kinds to HTTP statuses and codes. */
const STATUS: Record<ErrorKind, { status: number; code: string }> = {
  'bad-request': { status: 400, code: 'BAD_REQUEST' },
  /** A listing cursor the caller crafted, or one that no longer fits the query. */
  'invalid-cursor': { status: 400, code: 'INVALID_CURSOR' },
  unauthorized: { status: 401, code: 'UNAUTHORIZED' },
  forbidden: { status: 403, code: 'FORBIDDEN' },
  'not-found': { status: 404, code: 'NOT_FOUND' },
  conflict: { status: 409, code: 'CONFLICT' },
  'payload-too-large': { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  'too-many-requests': { status: 429, code: 'TOO_MANY_REQUESTS' },
  'not-configured': { status: 503, code: 'NOT_CONFIGURED' },
};

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldProblem[]; requestId?: string };
}

/** Maps any thrown value to a status and a body; unknown errors never leak their message. */
export const toErrorResponse = (error: unknown, requestId?: string): { status: number; body: ErrorBody } => {
  // By class and kind only: an error that merely calls itself `ConflictError` is not one.
  const known = error instanceof DomainError && Object.hasOwn(STATUS, error.kind) ? STATUS[error.kind] : undefined;
  if (!known || !(error instanceof DomainError)) {
    return {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal error', ...(requestId ? { requestId } : {}) } },
    };
  }
  const code = error instanceof BadRequestError ? error.code : known.code;
  const fields = error instanceof BadRequestError && error.fields.length > 0 ? { fields: error.fields } : {};
  return { status: known.status, body: { error: { code, message: error.message, ...fields } } };
};
