// Helpers shared by the extension-host suites (a plain module: index.ts only loads *.test.js files).
export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Polls fn until it returns something other than undefined/false, or fails after timeoutMs. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) {
      return v;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(100);
  }
}
