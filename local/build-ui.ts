import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** The UI's sources and how esbuild bundles them (the stack's bundling uses the same settings). */
export const UI_SOURCE = 'ui';
export const UI_STATIC_FILES = ['index.html'];
export const UI_BUILD_ARGS = { bundle: true, minify: true, format: 'esm', target: 'es2022' } as const;
/** app.css is bundled too: its `@import` of uPlot's stylesheet is inlined, so the UI still serves one style file. */
export const UI_STYLE_ARGS = { bundle: true, minify: true } as const;

/** Builds the web UI into `outDir` (index.html, app.css, app.js): what the admin function serves. */
export const buildUi = async (outDir: string, root = process.cwd()): Promise<string> => {
  const out = resolve(root, outDir);
  mkdirSync(out, { recursive: true });
  await build({
    ...UI_BUILD_ARGS,
    entryPoints: [join(root, UI_SOURCE, 'app.ts')],
    outfile: join(out, 'app.js'),
    logLevel: 'warning',
  });
  await build({
    ...UI_STYLE_ARGS,
    entryPoints: [join(root, UI_SOURCE, 'app.css')],
    outfile: join(out, 'app.css'),
    logLevel: 'warning',
  });
  for (const file of UI_STATIC_FILES) copyFileSync(join(root, UI_SOURCE, file), join(out, file));
  return out;
};
