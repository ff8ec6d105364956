import { readFileSync } from 'node:fs';
import { buildOpenApi } from '../../lib/openapi.js';
import { ADMIN_ROUTES, ROUTES } from '../../lib/routes.js';

describe('the OpenAPI document', () => {
  const generated = buildOpenApi();

  it('is committed as generated (run npm run openapi after changing a schema or route)', () => {
    expect(JSON.parse(readFileSync('docs/openapi.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  it('documents exactly the routes of the route tables', () => {
    const documented = Object.entries(generated.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
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
