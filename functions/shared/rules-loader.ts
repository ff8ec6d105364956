import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { compileRuleSet, type RulesEngine } from '#domain/rules/engine.js';

/**
 * The data of a rule set file. A bundle carries each rules/*.yaml as the JSON the build parsed it
 * into (rules/<name>.json beside it, see lib/rule-sets.ts), so a Lambda never loads the YAML parser
 * at cold start (about 112 KB of code, plus the parse); run from the sources (npm start, tests)
 * there is no JSON and the YAML is parsed, the parser imported only then.
 */
export const readRuleSetFile = async (file: string): Promise<unknown> => {
  const path = isAbsolute(file) ? file : resolve(process.cwd(), file);
  const json = path.replace(/\.ya?ml$/, '.json');
  if (json.endsWith('.json') && existsSync(json)) return JSON.parse(readFileSync(json, 'utf8'));
  const { parse } = await import('yaml');
  return parse(readFileSync(path, 'utf8'));
};

/**
 * Reads and compiles a rule set file once, listing every problem it has. In Lambda the bundle
 * carries rules/ next to the handler (see the function construct), locally it is read from the
 * project folder.
 */
export const loadRulesEngine = async (file: string): Promise<RulesEngine> => {
  return compileRuleSet(await readRuleSetFile(file));
};
