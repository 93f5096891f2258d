// Loaded by the VS Code extension host (extensionTestsPath). The host calls run(); when it settles the host
// exits 0 (resolved) or 1 (rejected). Results also go to $MLSIGHT_TEST_RESULTS as JSON, so the harness can
// refuse a run that passed nothing.
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import Mocha from 'mocha';
import { measurements } from './measure';

// Every reporter line is prefixed so the harness can pick mocha's output out of the workbench log stream.
Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
  for (const line of util.format(...args).split('\n')) { console.log(`[mocha] ${line}`); }
};

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  if (process.env.MLSIGHT_TEST_GREP) { mocha.grep(process.env.MLSIGHT_TEST_GREP); }
  for (const f of fs.readdirSync(__dirname).filter(f => f.endsWith('.test.js')).sort()) { mocha.addFile(path.join(__dirname, f)); }
  const tests: { title: string; state: string; error?: string }[] = [];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const runner = mocha.run(failures => {
      const count = (s: string) => tests.filter(t => t.state === s).length;
      const summary = {
        passed: count('passed'), failed: count('failed'), skipped: count('pending'), durationMs: Date.now() - t0,
        measurements, node: process.version, vscodeVersion: (require('vscode') as typeof import('vscode')).version, tests,
      };
      const file = process.env.MLSIGHT_TEST_RESULTS;
      if (file) { fs.writeFileSync(file, JSON.stringify(summary, null, 2)); }
      if (failures > 0 || summary.passed === 0) { reject(new Error(`${failures} test(s) failed`)); } else { resolve(); }
    });
    runner.on('pass', t => tests.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err) => tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) }));
    runner.on('pending', t => tests.push({ title: t.fullTitle(), state: 'pending' }));
  });
}
