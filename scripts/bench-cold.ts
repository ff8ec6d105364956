/**
 * npm run bench:cold: the cold start of every function, measured the way Lambda pays it. Each
 * function is bundled as the stack bundles it (lib/constructs/project-function.ts BUNDLING), its
 * assets copied beside it, and imported in fresh Node processes from its own directory, with the
 * environment the synthesised template gives it and its secrets served by a local stand-in of
 * Secrets Manager. Import time includes building the handler (configuration, secrets, clients,
 * rules). A floor is measured in the same run: a bundle that only creates the SDK clients and the
 * Powertools logger, tracer and metrics and reads one secret (scripts/bench-cold/floor.ts).
 * `--runs N` (default 7) sets the runs per bundle; `--only admin,validate` measures those functions
 * (and the floor) alone, to try a change quickly. Each bundle's esbuild metafile is written beside
 * it (.local/bench-cold/<function>/meta.json), and the environment it is imported with (env.json).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { PROJECT_ROOT } from '#lib/constructs/project-function.js';
import { QUEUES, type QueueKey } from '#lib/queues.js';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '#lib/routes.js';
import { SECRETS } from '#lib/secrets.js';
import { TABLES, type TableKey } from '#lib/tables.js';
import { bundleFunction } from '../local/bundled/bundle.js';
import { startSecretsManager } from '../local/bundled/secrets-manager.js';
import {
  functionEnvironments,
  LOCAL_REGION,
  localReferences,
  logicalIdOf,
  synthesiseTemplate,
} from '../local/bundled/template.js';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = Math.max(5, runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7);
const onlyFlag = process.argv.indexOf('--only');
const ONLY = onlyFlag > 0 ? (process.argv[onlyFlag + 1] ?? '').split(',') : undefined;
const unknown = (ONLY ?? []).filter((name) => !(name in FUNCTIONS));
if (ONLY && (ONLY.length === 0 || unknown.length > 0)) {
  console.error(
    `--only takes function names (${Object.keys(FUNCTIONS).join(', ')}); unknown: ${unknown.join(', ') || '(none given)'}`,
  );
  process.exit(2);
}
const OUT = join(PROJECT_ROOT, '.local', 'bench-cold');

/** The template, synthesised without bundling, with its references resolved to names of the bench's own. */
const template = synthesiseTemplate('bench', {
  toqioWebhookBaseUrl: 'https://core.sandbox.toq.io/webhooks/integration/acme',
});
const refs = localReferences(template, {
  tables: Object.fromEntries(Object.keys(TABLES).map((key) => [key, `tm-proxy-bench-${key}`])) as Record<
    TableKey,
    string
  >,
  queues: Object.fromEntries(Object.keys(QUEUES).map((key) => [key, `tm-proxy-bench-${key}`])) as Record<
    QueueKey,
    string
  >,
  sqsOrigin: `https://sqs.${LOCAL_REGION}.amazonaws.com`,
});

/** Secret values a deployed stack would hold once filled in: the required fields, nothing else. */
const SECRET_VALUES: Record<string, string> = {
  TOQIO_API_KEY: 'bench-toqio-api-key-0001',
  ADMIN_TOKENS: 'ana:analyst:bench-token-of-ana-0001',
  WEBHOOK_SIGNING_SECRET: 'whsec_benchbenchbenchbenchbench',
};

interface Bundle {
  name: string;
  dir: string;
  bytes: number;
  rulesEngine: boolean;
  ruleFiles: boolean;
  /** The AWS SDK client modules the bundle loads at import (others it loads on first use, if ever). */
  sdkAtImport: string[];
  env: Record<string, string>;
}

/** The SDK client modules an esbuild output imports statically (`import … from`), by service name. */
const sdkClientsAtImport = (metafile: Metafile) =>
  Object.values(metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((entry) => entry.external && entry.kind === 'import-statement' && entry.path.startsWith('@aws-sdk/client-'))
    .map((entry) => entry.path.slice('@aws-sdk/client-'.length))
    .filter((name, index, all) => all.indexOf(name) === index)
    .sort();

/** Bundles one entry the way the stack does (local/bundled/bundle.ts); the source map is written beside it, not counted. */
const bundle = async (name: string, entry: string, spec: FunctionSpec | undefined, env: Record<string, string>) => {
  const built = await bundleFunction(entry, join(OUT, name), spec);
  // The environment it is imported with, to profile one bundle by hand (the secret's endpoint aside).
  writeFileSync(join(built.dir, 'env.json'), JSON.stringify(env, null, 2));
  return {
    name,
    dir: built.dir,
    bytes: built.bytes,
    rulesEngine: Object.keys(built.metafile.inputs).some((input) => input.includes('@marcbachmann/cel-js')),
    ruleFiles: (spec?.assets ?? []).includes('rules'),
    sdkAtImport: sdkClientsAtImport(built.metafile),
    env,
  } satisfies Bundle;
};

/**
 * In a fresh process: import the bundle and build its handler (what Lambda's init does); prints the
 * wall time and the CPU time it took, in ms. The CPU time barely moves when other work shares the
 * machine, where the wall time can move by a third.
 */
const CHILD = `
const started = performance.now();
const cpu = process.cpuUsage();
const module = await import('./index.mjs');
if (typeof module.handler?.prepare === 'function') await module.handler.prepare();
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify([performance.now() - started, (used.user + used.system) / 1000]));
process.exit(0);
`;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

const importOnce = (target: Bundle, extra: Record<string, string | undefined>) =>
  new Promise<Timing>((done, fail) => {
    const env = { ...target.env, ...extra };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: target.dir,
      env: env as Record<string, string>,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('close', (code) =>
      code === 0 && out
        ? done({ wallMs: (JSON.parse(out) as number[])[0] ?? 0, cpuMs: (JSON.parse(out) as number[])[1] ?? 0 })
        : fail(new Error(`${target.name} failed (${code}): ${err.slice(0, 2000)}`)),
    );
  });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const secrets = await startSecretsManager(
  Object.fromEntries(
    Object.values(SECRETS).map((spec) => [
      refs.ref(logicalIdOf(template, spec.id, 'AWS::SecretsManager::Secret')),
      Object.fromEntries(spec.fields.map((field) => [field, SECRET_VALUES[field] ?? ''])),
    ]),
  ),
);
try {
  const envs = functionEnvironments(template, refs);
  const lambdaEnv = (name: string) => ({
    PATH: process.env.PATH ?? '',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    // No invocation segment exists at init; X-Ray would log every SDK call made there.
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
  });
  const bundles: Bundle[] = [
    // The floor reads the secret validate reads, with validate's environment.
    await bundle('floor', 'scripts/bench-cold/floor.ts', undefined, { ...lambdaEnv('floor'), ...envs.validate }),
  ];
  for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, FunctionSpec][]) {
    if (ONLY && !ONLY.includes(name)) continue;
    bundles.push(await bundle(name, spec.entry, spec, { ...lambdaEnv(name), ...envs[name] } as Record<string, string>));
  }
  const withMaps: Record<string, Timing[]> = Object.fromEntries(bundles.map((b) => [b.name, []]));
  const withoutMaps: Record<string, Timing[]> = Object.fromEntries(bundles.map((b) => [b.name, []]));
  const loadBefore = loadavg()[0]?.toFixed(1);
  // Interleaved, so a noisy moment on the machine is shared by every bundle rather than one.
  for (let run = 0; run < RUNS; run++) {
    for (const target of bundles) {
      withMaps[target.name]?.push(await importOnce(target, { NODE_OPTIONS: '--enable-source-maps' }));
      withoutMaps[target.name]?.push(await importOnce(target, { NODE_OPTIONS: undefined }));
    }
  }
  const nodeOptions = (name: string) => bundles.find((b) => b.name === name)?.env.NODE_OPTIONS ?? '';
  const floor = bundles[0] as Bundle;
  const wall = (timings: Timing[] | undefined) => median((timings ?? []).map((timing) => timing.wallMs));
  const cpu = (timings: Timing[] | undefined) => median((timings ?? []).map((timing) => timing.cpuMs));
  const floorMs = wall(withoutMaps.floor);
  const floorMapsMs = wall(withMaps.floor);
  const floorCpuMs = cpu(withoutMaps.floor);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  /** As deployed: each function with the NODE_OPTIONS its template gives it, next to the floor run the same way. */
  const deployedRatio = (target: Bundle) =>
    target.env.NODE_OPTIONS?.includes('--enable-source-maps')
      ? wall(withMaps[target.name]) / floorMapsMs
      : wall(withoutMaps[target.name]) / floorMs;
  /**
   * The same ratio taken run by run (each run imports the floor and then every function within a
   * few seconds), then the median of those ratios: a shared machine whose speed drifts during the
   * bench moves both sides of each ratio alike.
   */
  const pairedRatio = (target: Bundle) => {
    const maps = target.env.NODE_OPTIONS?.includes('--enable-source-maps');
    const own = (maps ? withMaps : withoutMaps)[target.name] ?? [];
    const floorRuns = (maps ? withMaps : withoutMaps).floor ?? [];
    return median(own.map((timing, run) => timing.wallMs / (floorRuns[run]?.wallMs ?? Number.NaN)));
  };
  const rows = bundles.map((target) => {
    const plain = wall(withoutMaps[target.name]);
    const maps = wall(withMaps[target.name]);
    const plainCpu = cpu(withoutMaps[target.name]);
    return {
      function: target.name,
      size: kb(target.bytes),
      'size ×floor': (target.bytes / floor.bytes).toFixed(2),
      'import ms': plain.toFixed(1),
      'import ×floor': (plain / floorMs).toFixed(2),
      'with --enable-source-maps ms': maps.toFixed(1),
      '×floor (maps)': (maps / floorMapsMs).toFixed(2),
      'maps cost ms': (maps - plain).toFixed(1),
      'as deployed ×floor': deployedRatio(target).toFixed(2),
      'run by run': pairedRatio(target).toFixed(2),
      'CPU ms': plainCpu.toFixed(1),
      'CPU ×floor': (plainCpu / floorCpuMs).toFixed(2),
      'rules engine': target.rulesEngine ? 'yes' : 'no',
      'rule files': target.ruleFiles ? 'yes' : 'no',
      'SDK clients at import': target.sdkAtImport.join(' '),
    };
  });
  console.log(
    `Cold start: median of ${RUNS} fresh imports per bundle (Node ${process.version}); NODE_OPTIONS in the template: validate ${nodeOptions('validate') || '(none)'}, deliver ${nodeOptions('deliver') || '(none)'}; ` +
      `load average ${loadBefore} before, ${loadavg()[0]?.toFixed(1)} after, ${cpus().length} cores`,
  );
  console.table(rows);
  const worst = Math.max(...rows.slice(1).map((row) => Number(row['as deployed ×floor'])));
  const worstCpu = Math.max(...rows.slice(1).map((row) => Number(row['CPU ×floor'])));
  const worstPaired = Math.max(...rows.slice(1).map((row) => Number(row['run by run'])));
  const health = rows.find((row) => row.function === 'health');
  console.log(
    `goals: every function within 1.3x the floor's import time, as deployed: ${worst <= 1.3 ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}x; run by run ${worstPaired.toFixed(2)}x; in CPU time ${worstCpu.toFixed(2)}x); ` +
      `health within 2x the floor's size: ${health ? `${Number(health['size ×floor']) <= 2 ? 'met' : 'NOT met'} (${health['size ×floor']}x)` : 'not measured (--only)'}; ` +
      `rules engine only where rules are evaluated: ${rows
        .filter((row) => row['rules engine'] === 'yes')
        .map((row) => row.function)
        .join(', ')}`,
  );
} finally {
  await secrets.close();
}
