import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RuleSetError } from '../../functions/domain/rules/engine.js';
import { loadRulesEngine } from '../../functions/shared/rules-loader.js';
import { writeRuleSetsAsJson } from '../../lib/rule-sets.js';

describe('rule set files in a bundle', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rules-'));
    cpSync('rules', dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each YAML rule set as JSON holding the same data', () => {
    const written = writeRuleSetsAsJson(dir);
    expect(written.sort()).toEqual([join(dir, 'default.json'), join(dir, 'inbound.json')]);
    for (const name of ['default', 'inbound']) {
      expect(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'))).toEqual(
        parse(readFileSync(join(dir, `${name}.yaml`), 'utf8')),
      );
    }
  });

  it('compiles the same rules from the JSON as from the YAML', async () => {
    const fromYaml = await loadRulesEngine(join(dir, 'default.yaml'));
    writeRuleSetsAsJson(dir);
    const fromJson = await loadRulesEngine(join(dir, 'default.yaml'));
    expect(fromJson.version).toBe(fromYaml.version);
    expect(fromJson.rules).toEqual(fromYaml.rules);
  });

  it('reads the JSON beside the YAML when there is one', async () => {
    writeRuleSetsAsJson(dir);
    const json = JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8')) as { version: string };
    writeFileSync(join(dir, 'default.json'), JSON.stringify({ ...json, version: 'from-the-json' }));
    expect((await loadRulesEngine(join(dir, 'default.yaml'))).version).toBe('from-the-json');
  });

  it('still lists every problem of a broken rule set read from JSON', async () => {
    writeFileSync(
      join(dir, 'broken.yaml'),
      [
        'version: broken-1',
        'rules:',
        '  - { id: one, description: d, condition: "tx.nope(", outcome: REJECT }',
        '  - { id: two, description: d, condition: "unknownVar > 1", outcome: REVIEW }',
      ].join('\n'),
    );
    writeRuleSetsAsJson(dir);
    const loading = loadRulesEngine(join(dir, 'broken.yaml'));
    await expect(loading).rejects.toThrow(RuleSetError);
    await expect(loading).rejects.toThrow(/rule one[\s\S]*rule two/);
  });

  it('refuses a rule set JSON cannot carry as it is, instead of changing its meaning', () => {
    writeFileSync(
      join(dir, 'odd.yaml'),
      'version: odd-1\nrules:\n  - { id: a, description: d, condition: "true", outcome: REVIEW, score: .inf }\n',
    );
    expect(() => writeRuleSetsAsJson(dir)).toThrow(/odd\.yaml holds values JSON cannot represent/);
  });
});
