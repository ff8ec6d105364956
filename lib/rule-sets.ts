import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import * as z from 'zod';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The `version` of a shipped rule set file (rules/default.yaml, the one validate loads by
 * default). The stack and the local stack give it to health, which reports it without compiling rules.
 */
export const shippedRuleSetVersion = (file = 'rules/default.yaml'): string =>
  z.object({ version: z.string().min(1) }).parse(parse(readFileSync(join(ROOT, file), 'utf8'))).version;
