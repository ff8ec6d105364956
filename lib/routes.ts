import type { TableKey } from './tables.js';

/**
 * The one route table. The CDK stack creates a Lambda per function and an HTTP API route per
 * route from it; the local gateway serves the very same handler modules from it.
 */
export interface FunctionSpec {
  /** Handler module, relative to the project root; it exports `handler`. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** DynamoDB access this function needs: least privilege is derived from this. */
  tables: Partial<Record<TableKey, 'read' | 'readWrite'>>;
  /** Project files the bundle must carry (read at cold start). */
  assets?: string[];
}

export const FUNCTIONS = {
  validate: {
    entry: 'functions/handlers/validate.ts',
    description: 'Decides Toqio outbound payments (POST /transaction/validate)',
    memoryMb: 1024,
    timeoutSeconds: 10,
    tables: { decisions: 'readWrite', counters: 'readWrite' },
    assets: ['rules'],
  },
  health: {
    entry: 'functions/handlers/health.ts',
    description: 'Liveness and storage check (GET /health)',
    memoryMb: 256,
    timeoutSeconds: 5,
    tables: { decisions: 'read' },
    assets: ['rules'],
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  function: FunctionName;
  /** What the caller must present; checked in the handler (HTTP APIs have no API keys). */
  auth: 'toqio-api-key' | 'none';
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/transaction/validate', function: 'validate', auth: 'toqio-api-key' },
  { method: 'GET', path: '/health', function: 'health', auth: 'none' },
];

/** Matches a concrete path against a route path; returns the path parameters or undefined. */
export const matchPath = (routePath: string, path: string): Record<string, string> | undefined => {
  const want = routePath.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (!actual) return undefined;
      params[part.slice(1, -1)] = decodeURIComponent(actual);
    } else if (part !== actual) return undefined;
  }
  return params;
};
