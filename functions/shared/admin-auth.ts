import type { AdminRole, Config } from './config.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';
import { secretsEqual } from './http.js';

export interface Principal {
  name: string;
  role: AdminRole;
}

/**
 * Finds the caller of `Authorization: Bearer <token>`. Every configured token is compared, in
 * constant time, whether or not an earlier one matched, so timing reveals nothing.
 */
export const authenticate = (authorization: string | undefined, tokens: Config['ADMIN_TOKENS']): Principal => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthorizedError('Sign in with your token (Authorization: Bearer <token>)');
  let found: Principal | undefined;
  for (const entry of tokens ?? []) {
    if (secretsEqual(match[1], entry.token) && !found) found = { name: entry.name, role: entry.role };
  }
  if (!found) throw new UnauthorizedError('Unknown or revoked token');
  return found;
};

/** Supervisors may do everything analysts may. */
export const requireRole = (principal: Principal, role: AdminRole): void => {
  if (role === 'supervisor' && principal.role !== 'supervisor') {
    throw new ForbiddenError(`This needs the supervisor role; ${principal.name} is an ${principal.role}`);
  }
};
