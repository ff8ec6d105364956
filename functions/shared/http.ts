import { createHash, timingSafeEqual } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import {
  BadRequestError,
  type ErrorBody,
  type FieldProblem,
  PayloadTooLargeError,
  TooManyRequestsError,
  toErrorResponse,
  UnauthorizedError,
} from './errors.js';
import { logger } from './logger.js';
import { tracer } from './tracer.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Equal-time comparison of two secrets of any length (hashing first evens the lengths). */
export const secretsEqual = (given: string, expected: string): boolean => {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
};

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/** The raw body as text, however API Gateway delivered it. */
export const rawBody = (event: HttpEvent): string =>
  event.body === undefined || event.body === null
    ? ''
    : event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body;

/** zod issues as `{ path, message }` pairs, with JSON-pointer-like dotted paths. */
export const fieldProblems = (error: z.ZodError): FieldProblem[] =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));

/** Field problems in one line, each with its reason: `path: message; path: message`. */
export const describeFields = (fields: readonly FieldProblem[]) =>
  fields.map((field) => `${field.path}: ${field.message}`).join('; ');

/**
 * Requires a header to carry one of the accepted secrets (the current key, and during a rotation the
 * previous one); answers 401 (never saying which part was wrong) otherwise. Every accepted key is
 * compared, in constant time, whether or not an earlier one matched.
 */
export const requireApiKey = (
  header: () => string,
  accepted: () => readonly (string | undefined)[],
): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: ({ event }) => {
    const given = event.headers[header()];
    const keys = accepted().filter((key): key is string => Boolean(key));
    const matches = keys.map((key) => secretsEqual(given ?? '', key));
    if (!given || !matches.includes(true)) throw new UnauthorizedError('Missing or invalid API key');
  },
});

/** Deepest nesting of objects and arrays a JSON body may have (Toqio's and partners' bodies use 3 or 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * How deep a JSON text nests, counted in one pass over the text (brackets inside strings do not
 * count), stopping as soon as it passes `max`: a body nested 100,000 deep is refused before it is
 * parsed, stored, or later printed by code that recurses.
 */
export const jsonDepthExceeds = (raw: string, max: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < raw.length; index++) {
    const code = raw.charCodeAt(index);
    if (inString) {
      if (code === 92)
        index++; // backslash: skip the escaped character
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 123 || code === 91) {
      if (++depth > max) return true;
    } else if (code === 125 || code === 93) depth--;
  }
  return false;
};

/**
 * Reads a JSON object body and validates it: 413 over the limit, 400 for bad JSON, nesting deeper
 * than MAX_JSON_DEPTH, a non-object or schema errors (naming every field). Nothing has happened
 * yet when this throws.
 */
export const parseJsonBody = <TSchema extends z.ZodType>(
  raw: string,
  schema: TSchema,
  limit: number,
): z.infer<TSchema> => {
  if (Buffer.byteLength(raw, 'utf8') > limit) throw new PayloadTooLargeError(`Body exceeds ${limit} bytes`);
  if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) {
    throw new BadRequestError(`Body nests deeper than ${MAX_JSON_DEPTH} levels`, 'TOO_DEEP');
  }
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw);
  } catch {
    throw new BadRequestError('Body is not valid JSON', 'INVALID_JSON');
  }
  if (typeof parsedJson !== 'object' || parsedJson === null || Array.isArray(parsedJson)) {
    throw new BadRequestError('Body must be a JSON object', 'INVALID_BODY');
  }
  const result = schema.safeParse(parsedJson);
  if (!result.success) {
    const fields = fieldProblems(result.error);
    throw new BadRequestError(
      `Invalid fields: ${fields.map((field) => field.path).join(', ')}`,
      'VALIDATION_FAILED',
      fields,
    );
  }
  return result.data;
};

export interface HttpRequest<TBody> {
  event: HttpEvent;
  context: Context;
  body: TBody;
  raw: string;
}

export interface HttpHandlerOptions<TSchema extends z.ZodType | undefined> {
  /** zod schema for a JSON body; without one the body is not read. */
  body?: TSchema;
  maxBodyBytes?: () => number;
  /** Extra middlewares (auth) run after header normalisation and before body parsing. */
  use?: MiddlewareObj<HttpEvent, HttpResult>[];
  /** A partner's own error envelope, for routes a partner calls (OnePipe expects `{ status, message }`). */
  errorBody?: (body: ErrorBody) => unknown;
}

/**
 * The one factory for API Gateway HTTP API (v2) and Lambda Function URL handlers (same event format): normalised headers, Powertools logger
 * context, size limit, JSON parsing, zod validation and the single error-to-status mapping.
 */
export const httpHandler = <TSchema extends z.ZodType | undefined = undefined>(
  options: HttpHandlerOptions<TSchema>,
  handle: (request: HttpRequest<TSchema extends z.ZodType ? z.infer<TSchema> : undefined>) => Promise<HttpResult>,
) => {
  const errors: MiddlewareObj<HttpEvent, HttpResult> = {
    onError: (request) => {
      const { status, body } = toErrorResponse(request.error, request.context.awsRequestId);
      if (status >= 500) logger.error('request failed', { error: request.error as Error });
      else logger.info('request refused', { status, code: body.error.code });
      const headers: Record<string, string> =
        request.error instanceof TooManyRequestsError ? { 'retry-after': String(request.error.retryAfterSeconds) } : {};
      request.response = json(status, options.errorBody ? options.errorBody(body) : body, headers);
    },
  };
  return middy<HttpEvent, HttpResult>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true })) // no key outlives its invocation
    .use(httpHeaderNormalizer())
    .use(errors)
    .use(options.use ?? [])
    .handler(async (event, context) => {
      const raw = rawBody(event);
      const body = options.body ? parseJsonBody(raw, options.body, options.maxBodyBytes?.() ?? 256 * 1024) : undefined;
      return handle({ event, context, body: body as never, raw });
    });
};
