import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

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
