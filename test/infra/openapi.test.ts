import { readFileSync } from 'node:fs';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { ADMIN_ROUTES } from '../../functions/shared/admin-routes.js';
import { buildOpenApi } from '../../lib/openapi.js';
import { ROUTES } from '../../lib/routes.js';

describe('the OpenAPI document', () => {
  const generated = buildOpenApi();

  it('is committed as generated (run npm run openapi after changing a schema or route)', () => {
    expect(JSON.parse(readFileSync('docs/openapi.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  it("passes Redocly's recommended rules with no error, so a client generator can consume it", async () => {
    const problems = await lintFromString({
      source: JSON.stringify(generated),
      absoluteRef: 'docs/openapi.json',
      config: await createConfig({ extends: ['recommended'] }),
    });
    const errors = problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`);
    expect(errors).toEqual([]);
  });

  it('documents exactly the routes of the route tables', () => {
    const documented = Object.entries(generated.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((key) => key !== 'servers')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routed = [...ROUTES, ...ADMIN_ROUTES].map((route) => `${route.method} ${route.path}`);
    expect(documented.sort()).toEqual(routed.sort());
  });

  it('describes the validate body with the schema the handler uses (id required, extra fields allowed)', () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking a JSON document
    const body = (generated.paths['/transaction/validate'] as Record<string, any>).post.requestBody.content[
      'application/json'
    ].schema;
    expect(body.required).toEqual(['id']);
    expect(body.additionalProperties).toEqual({});
    expect(body.properties.total).toMatchObject({ type: 'number' });
  });
});
