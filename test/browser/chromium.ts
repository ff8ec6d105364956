/**
 * The Chromium the browser tests drive through playwright-core (which downloads no browser):
 * the system's (Debian's `/usr/bin/chromium`) when there is one, otherwise the one shipped inside
 * the `@sparticuz/chromium` npm package, so a machine with only Node.js and Java (whose packages
 * bring the libraries it links: NSS, fontconfig) runs them after `npm install`.
 *
 * `TM_PROXY_CHROMIUM=npm` forces the npm one, `TM_PROXY_CHROMIUM=system` requires the system one,
 * `CHROMIUM_PATH` names any other binary. `npx tsx test/browser/chromium.ts` launches the one the
 * tests would use and prints which it is (CI does, before `npm test`).
 */
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import npmChromium from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Quiet and offline whichever binary runs: no first-run UI, no updates, no calls home. */
const TEST_ARGS = [
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Flags @sparticuz/chromium recommends for Lambda that a test browser must not take: one process
 * for everything is only needed under Lambda's seccomp rules, and the browser security it switches
 * off (same-origin policy, mixed content) is what the UI's tests rely on, as analysts' browsers do.
 */
const LAMBDA_ONLY_ARGS = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content']);

/** The browser the tests launch, and where it came from (printed by CI). */
export interface TestChromium {
  executablePath: string;
  args: string[];
  source: string;
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const npmChromiumVersion = (): string => {
  // The package's exports do not include its package.json: find it beside the entry point.
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
};

/**
 * Decompresses the npm Chromium once per version into the system temp directory. The package
 * inflates into `os.tmpdir()` and reuses whatever `chromium` it finds there, so it inflates into a
 * private directory that is then renamed into place in one step: parallel runs never launch a
 * half-written binary, and another version's binary is never taken for this one.
 */
const inflateNpmChromium = async (version: string): Promise<string> => {
  const home = join(tmpdir(), `tm-proxy-chromium-${version}`);
  const binary = join(home, 'chromium');
  if (isExecutable(binary)) return binary;
  const staging = mkdtempSync(join(tmpdir(), 'tm-proxy-chromium-inflating-'));
  const previousTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    await npmChromium.executablePath();
  } finally {
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
  }
  chmodSync(staging, 0o755); // mkdtemp's 0700 would hide it from other users of this machine
  try {
    renameSync(staging, home);
  } catch (error) {
    // Another run moved its copy into place first: use that one.
    rmSync(staging, { recursive: true, force: true });
    if (!isExecutable(binary)) throw error;
  }
  return binary;
};

/** Picks the Chromium for this machine (see the module comment); the npm one is decompressed on first use. */
export const testChromium = async (env: NodeJS.ProcessEnv = process.env): Promise<TestChromium> => {
  const choice = env.TM_PROXY_CHROMIUM;
  if (choice !== undefined && choice !== '' && choice !== 'npm' && choice !== 'system') {
    throw new Error(`TM_PROXY_CHROMIUM must be npm or system, not ${JSON.stringify(choice)}`);
  }
  const systemArgs = ['--no-sandbox', '--disable-gpu', ...TEST_ARGS];
  if (env.CHROMIUM_PATH) {
    return { executablePath: env.CHROMIUM_PATH, args: systemArgs, source: `CHROMIUM_PATH (${env.CHROMIUM_PATH})` };
  }
  if (choice !== 'npm' && isExecutable(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, args: systemArgs, source: `the system's (${SYSTEM_CHROMIUM})` };
  }
  if (choice === 'system') throw new Error(`TM_PROXY_CHROMIUM=system, but there is no ${SYSTEM_CHROMIUM}`);
  const version = npmChromiumVersion();
  // No WebGL: the UI draws none, and it spares the software GPU's unsafe mode.
  npmChromium.setGraphicsMode = false;
  const args = npmChromium.args.filter((arg) => !LAMBDA_ONLY_ARGS.has(arg));
  return {
    executablePath: await inflateNpmChromium(version),
    args: [...args, ...TEST_ARGS],
    source: `npm @sparticuz/chromium ${version}${choice === 'npm' ? ' (TM_PROXY_CHROMIUM=npm)' : ` (no ${SYSTEM_CHROMIUM})`}`,
  };
};

/** Launches the test Chromium headless. */
export const launchTestChromium = async (): Promise<{ browser: Browser; source: string }> => {
  const { executablePath, args, source } = await testChromium();
  return { browser: await chromium.launch({ executablePath, args }), source };
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { browser, source } = await launchTestChromium();
  console.log(`browser tests use Chromium ${browser.version()}: ${source}`);
  await browser.close();
}
