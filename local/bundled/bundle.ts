import { cpSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLING, PROJECT_ROOT } from '#lib/constructs/project-function.js';
import type { FunctionSpec } from '#lib/routes.js';
import { writeRuleSetsAsJson } from '#lib/rule-sets.js';
import { buildUi } from '../build-ui.js';

export interface FunctionBundle {
  /** The asset directory: index.mjs (the handler), its source map, and the assets read at cold start. */
  dir: string;
  /** Size of index.mjs in bytes. */
  bytes: number;
  metafile: Metafile;
}

/**
 * Bundles one handler entry into `dir` the way the stack bundles it (lib/constructs/project-function.ts:
 * the same BUNDLING settings through the same esbuild, then what its afterBundling does: the assets
 * copied beside it, the rule sets also written as JSON, the web UI built into ui-dist/). The esbuild
 * metafile is written beside it as meta.json (open it in https://esbuild.github.io/analyze/).
 */
export const bundleFunction = async (
  entry: string,
  dir: string,
  spec?: Pick<FunctionSpec, 'assets' | 'servesUi'>,
): Promise<FunctionBundle> => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    banner: { js: BUNDLING.banner },
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.externalModules],
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(result.metafile));
  for (const asset of spec?.assets ?? []) cpSync(join(PROJECT_ROOT, asset), join(dir, asset), { recursive: true });
  if (spec?.assets?.includes('rules')) writeRuleSetsAsJson(join(dir, 'rules'));
  if (spec?.servesUi) await buildUi(join(dir, 'ui-dist'), PROJECT_ROOT);
  return { dir, bytes: statSync(join(dir, 'index.mjs')).size, metafile: result.metafile };
};

/**
 * Gives the bundles under `root` what the Lambda Node.js runtime provides beside them, and only that:
 * the AWS SDK v3 (`@aws-sdk/*`, external in every bundle). Any other module a bundle imports without
 * carrying it fails to load here as it would in Lambda, so `root` must lie outside the project (whose
 * node_modules would otherwise be found by walking up).
 */
export const provideRuntimeModules = (root: string): void => {
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(join(PROJECT_ROOT, 'node_modules', '@aws-sdk'), join(root, 'node_modules', '@aws-sdk'), 'dir');
};
