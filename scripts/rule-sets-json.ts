/**
 * Run by the function construct's bundling (afterBundling): writes the rule sets a bundle carries
 * as JSON beside their YAML. Usage: tsx scripts/rule-sets-json.ts <bundle>/rules
 */
import { writeRuleSetsAsJson } from '#lib/rule-sets.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx scripts/rule-sets-json.ts <rules directory>');
writeRuleSetsAsJson(dir);
