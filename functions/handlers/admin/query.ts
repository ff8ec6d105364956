import type * as z from 'zod';
import { BadRequestError } from '#shared/errors.js';

/** Validates a query string with zod; 400 naming each bad parameter. */
export const parseQuery = <T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> => {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new BadRequestError('Invalid query parameters', 'VALIDATION_FAILED', fields);
};
