/** A field a request got wrong, as clients see it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Errors a caller can act on. The status table below is the only mapping to HTTP. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
  constructor(
    message: string,
    readonly code = 'BAD_REQUEST',
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
export class ConflictError extends Error {
  override name = 'ConflictError';
}
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}
export class NotConfiguredError extends Error {
  override name = 'NotConfiguredError';
}
/** Too many failed attempts from one source; `retryAfterSeconds` says when to try again. */
export class TooManyRequestsError extends Error {
  override name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

const STATUS: Record<string, { status: number; code: string }> = {
  BadRequestError: { status: 400, code: 'BAD_REQUEST' },
  UnauthorizedError: { status: 401, code: 'UNAUTHORIZED' },
  ForbiddenError: { status: 403, code: 'FORBIDDEN' },
  NotFoundError: { status: 404, code: 'NOT_FOUND' },
  ConflictError: { status: 409, code: 'CONFLICT' },
  PayloadTooLargeError: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  TooManyRequestsError: { status: 429, code: 'TOO_MANY_REQUESTS' },
  /** A listing cursor the caller crafted, or one that no longer fits the query. */
  InvalidCursorError: { status: 400, code: 'INVALID_CURSOR' },
  NotConfiguredError: { status: 503, code: 'NOT_CONFIGURED' },
};

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldProblem[]; requestId?: string };
}

/** Maps any thrown value to a status and a body; unknown errors never leak their message. */
export const toErrorResponse = (error: unknown, requestId?: string): { status: number; body: ErrorBody } => {
  // Own properties only: an error named `constructor` or `toString` is not a known kind.
  const known = error instanceof Error && Object.hasOwn(STATUS, error.name) ? STATUS[error.name] : undefined;
  if (!known || !(error instanceof Error)) {
    return {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal error', ...(requestId ? { requestId } : {}) } },
    };
  }
  const code = error instanceof BadRequestError ? error.code : known.code;
  const fields = error instanceof BadRequestError && error.fields.length > 0 ? { fields: error.fields } : {};
  return { status: known.status, body: { error: { code, message: error.message, ...fields } } };
};
