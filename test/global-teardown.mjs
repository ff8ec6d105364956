/** Stops what global-setup started: no Java process outlives the test run. */
export default async function globalTeardown() {
  await globalThis.__tmProxyServices?.stop();
}
