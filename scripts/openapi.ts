/** `npm run openapi`: writes docs/openapi.json from the zod schemas and route tables. */
import { writeFileSync } from 'node:fs';
import { buildOpenApi } from '../lib/openapi.js';

writeFileSync('docs/openapi.json', `${JSON.stringify(buildOpenApi(), null, 2)}\n`);
console.log('wrote docs/openapi.json');
