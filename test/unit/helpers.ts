import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';

/** A fresh temporary workspace folder, removed after the test run. */
export function tempWorkspace(prefix = 'mlsight-unit-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeRunLog(
  folder: string,
  runId: string,
  lines: (object | string)[],
  opts: { trailingNewline?: boolean } = {},
): string {
  const dir = path.join(folder, '.mlsight', 'runs', runId);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'events.jsonl');
  const text =
    lines.map(l => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') +
    (opts.trailingNewline === false ? '' : '\n');
  fs.writeFileSync(file, text);
  return file;
}

export function appendRunLog(file: string, lines: (object | string)[], trailingNewline = true): void {
  fs.appendFileSync(
    file,
    lines.map(l => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + (trailingNewline ? '\n' : ''),
  );
}

/** Path of a compiled helper script next to the compiled tests (dist/test/unit/fixtures/*.js). */
export function fixtureScript(name: string): string {
  return path.join(__dirname, 'fixtures', `${name}.js`);
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Runs the `mlsight` CLI in-process: exit code, stdout, stderr and stdout parsed as JSON (undefined if it is not). */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string; json: any }> {
  let out = '',
    err = '';
  const code = await main(
    args,
    s => {
      out += s;
    },
    s => {
      err += s;
    },
  );
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}
