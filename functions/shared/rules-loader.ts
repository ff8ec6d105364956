import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { compileRuleSet, type RulesEngine } from '#domain/rules/engine.js';

/**
 * Reads and compiles a rule set file once. In Lambda the bundle carries rules/ next to the
 * handler (see the function construct), locally it is read from the project folder.
 */
export const loadRulesEngine = (file: string): RulesEngine => {
  const path = isAbsolute(file) ? file : resolve(process.cwd(), file);
  return compileRuleSet(parse(readFileSync(path, 'utf8')));
};
