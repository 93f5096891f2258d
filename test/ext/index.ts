// Loaded by the VS Code extension host (extensionTestsPath). The host calls run(); when it settles the host
// exits 0 (resolved) or 1 (rejected). Results also go to $MLSIGHT_TEST_RESULTS as JSON, so the harness can
// refuse a run that passed nothing.
//
// One folder of suites per workspace kind (test/harness/run-ext-tests.mjs opens the workspace and says which in
// MLSIGHT_WORKSPACE_KIND): single/ (one trusted folder), multi/ (a multi-root workspace), untrusted/ (restricted
// mode), bench/ (extension-host benchmarks, run by `npm run bench`). Suites do not skip themselves by workspace:
// this runner checks that the workspace is the kind its folder is for, and fails otherwise.
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import * as vscode from 'vscode';
import Mocha from 'mocha';
import { measurements } from './measure';

// Every reporter line is prefixed so the harness can pick mocha's output out of the workbench log stream.
Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
  for (const line of util.format(...args).split('\n')) {
    console.log(`[mocha] ${line}`);
  }
};

export const WORKSPACE_KINDS = ['single', 'multi', 'untrusted', 'bench'] as const;
export type WorkspaceKind = (typeof WORKSPACE_KINDS)[number];

/**
 * Suites that must run before the others of their kind, in this order; every other suite of the folder follows.
 * single: the foundation suite checks activation from a cold host (sql.js not loaded yet) and the first store.
 */
const FIRST: Record<WorkspaceKind, string[]> = { single: ['foundation.test.js'], multi: [], untrusted: [], bench: [] };

/** Why the open workspace is not the kind the suites expect (undefined when it is). */
function workspaceMismatch(kind: WorkspaceKind): string | undefined {
  const folders = vscode.workspace.workspaceFolders?.length ?? 0;
  const trusted = vscode.workspace.isTrusted;
  switch (kind) {
    case 'single':
    case 'bench':
      return folders === 1 && trusted
        ? undefined
        : `expected one trusted folder, got ${folders} folder(s), trusted=${trusted}`;
    case 'multi':
      return folders >= 2 && trusted
        ? undefined
        : `expected a trusted multi-root workspace, got ${folders} folder(s), trusted=${trusted}`;
    case 'untrusted':
      return folders >= 1 && !trusted
        ? undefined
        : `expected an untrusted folder, got ${folders} folder(s), trusted=${trusted}`;
  }
}

/** The suite files of a kind, in the order they run. */
export function suiteFiles(dir: string, kind: WorkspaceKind): string[] {
  const all = fs.readdirSync(dir).filter(f => f.endsWith('.test.js'));
  const first = FIRST[kind].filter(f => all.includes(f));
  return [...first, ...all.filter(f => !first.includes(f)).sort()];
}

export function run(): Promise<void> {
  const kind = (process.env.MLSIGHT_WORKSPACE_KIND || 'single') as WorkspaceKind;
  if (!WORKSPACE_KINDS.includes(kind)) {
    return Promise.reject(new Error(`unknown MLSIGHT_WORKSPACE_KIND ${kind}`));
  }
  const mismatch = workspaceMismatch(kind);
  if (mismatch) {
    return Promise.reject(new Error(`the ${kind} suites cannot run here: ${mismatch}`));
  }
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  if (process.env.MLSIGHT_TEST_GREP) {
    mocha.grep(process.env.MLSIGHT_TEST_GREP);
  }
  const dir = path.join(__dirname, kind);
  for (const f of suiteFiles(dir, kind)) {
    mocha.addFile(path.join(dir, f));
  }
  const tests: { title: string; state: string; error?: string }[] = [];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const runner = mocha.run(failures => {
      const count = (s: string) => tests.filter(t => t.state === s).length;
      const summary = {
        kind,
        passed: count('passed'),
        failed: count('failed'),
        skipped: count('pending'),
        durationMs: Date.now() - t0,
        measurements,
        node: process.version,
        vscodeVersion: vscode.version,
        tests,
      };
      const file = process.env.MLSIGHT_TEST_RESULTS;
      if (file) {
        fs.writeFileSync(file, JSON.stringify(summary, null, 2));
      }
      if (failures > 0 || summary.passed === 0) {
        reject(new Error(`${failures} test(s) failed`));
      } else {
        resolve();
      }
    });
    runner.on('pass', t => tests.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err) =>
      tests.push({ title: t.fullTitle(), state: 'failed', error: String((err as Error | undefined)?.stack ?? err) }),
    );
    runner.on('pending', t => tests.push({ title: t.fullTitle(), state: 'pending' }));
  });
}
