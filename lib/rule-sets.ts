import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import * as z from 'zod';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The `version` of a shipped rule set file (rules/default.yaml, the one validate loads by
 * default). The stack and the local stack give it to health, which reports it without compiling rules.
 */
export const shippedRuleSetVersion = (file = 'rules/default.yaml'): string =>
  z.object({ version: z.string().min(1) }).parse(parse(readFileSync(join(ROOT, file), 'utf8'))).version;

/**
 * Writes each rule set in `dir` (a bundle's copy of rules/) as JSON beside its YAML: the function
 * reads the JSON at cold start instead of loading the YAML parser (functions/shared/rules-loader.ts).
 * Only the parsing moves to the build; the rules are still checked and compiled when the function
 * starts. A value JSON cannot carry the same (`.inf`, `.nan`) stops the build rather than change meaning.
 */
export const writeRuleSetsAsJson = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => {
      const data: unknown = parse(readFileSync(join(dir, name), 'utf8'));
      const text = JSON.stringify(data);
      if (!isDeepStrictEqual(JSON.parse(text), data)) {
        throw new Error(`${join(dir, name)} holds values JSON cannot represent as they are`);
      }
      const out = join(dir, name.replace(/\.ya?ml$/, '.json'));
      writeFileSync(out, text);
      return out;
    });
