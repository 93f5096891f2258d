// `npm run test:electron`: the extension-host suites in desktop VS Code downloaded by @vscode/test-electron, for
// contributors whose machines can reach the VS Code download servers (`npm test` does not use this: it runs the
// same suites in code-server, which needs no download). Runs the single-folder and multi-root kinds
// (test/ext/single, test/ext/multi) on the minimum engine version (1.100.3) and on the current stable release.
// The untrusted kind needs workspace trust switched on without its modal prompt, which only the code-server
// harness does (test/harness/run-ext-tests.mjs). Needs a display: on a headless Linux machine run it under
// `xvfb-run -a npm run test:electron`.
//   MLSIGHT_VSCODE_VERSIONS=1.100.3,stable   the versions to run
//   MLSIGHT_WORKSPACE_KINDS=single,multi     the kinds to run
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function runKind(root: string, version: string, kind: string): Promise<{ passed: number; failed: number }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-electron-ws-'));
  const workspace = kind === 'multi' ? path.join(tmp, 'alpha') : tmp;
  fs.cpSync(path.join(root, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  let open = workspace;
  if (kind === 'multi') {
    fs.cpSync(path.join(root, 'test', 'fixtures', 'workspace'), path.join(tmp, 'beta'), { recursive: true });
    open = path.join(tmp, 'two-folders.code-workspace');
    fs.writeFileSync(open, JSON.stringify({ folders: [{ path: 'alpha' }, { path: 'beta' }] }));
  }
  const results = path.join(root, 'test-results', `electron-${version}-${kind}.json`);
  fs.mkdirSync(path.dirname(results), { recursive: true });
  fs.rmSync(results, { force: true });
  try {
    await runTests({
      version,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'dist', 'test', 'ext', 'index.js'),
      launchArgs: [open, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
      extensionTestsEnv: {
        MLSIGHT_WORKSPACE_KIND: kind,
        MLSIGHT_TEST_RESULTS: results,
        MLSIGHT_REPO_ROOT: root,
        MLSIGHT_TEST_WORKSPACE: workspace,
      },
    }).catch(() => undefined); // a failing run exits non-zero; its results file says what failed
    return fs.existsSync(results)
      ? (JSON.parse(fs.readFileSync(results, 'utf8')) as { passed: number; failed: number })
      : { passed: 0, failed: 1 };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const versions = (process.env.MLSIGHT_VSCODE_VERSIONS ?? '1.100.3,stable').split(',');
  const kinds = (process.env.MLSIGHT_WORKSPACE_KINDS ?? 'single,multi').split(',');
  let passed = 0,
    failed = 0;
  for (const version of versions) {
    for (const kind of kinds) {
      const r = await runKind(root, version, kind);
      console.log(`VS Code ${version}, ${kind}: ${r.passed} passed, ${r.failed} failed`);
      passed += r.passed;
      failed += r.failed;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed || !passed ? 1 : 0;
}

main().then(
  code => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
