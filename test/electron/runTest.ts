// `npm run test:electron`: the same extension-host suite (dist/test/ext/suite) in desktop VS Code, downloaded by
// @vscode/test-electron — for contributors whose machines can reach the VS Code download servers. Runs it on the
// minimum engine version (1.100.3) and on the current stable release, like rust-analyzer does.
// (`npm test` does not use this: it runs the suite in code-server, which needs no download.)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const versions = (process.env.MLSIGHT_VSCODE_VERSIONS ?? '1.100.3,stable').split(',');
  for (const version of versions) {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-electron-ws-'));
    fs.cpSync(path.join(root, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
    const results = path.join(root, 'test-results', `electron-${version}.json`);
    fs.mkdirSync(path.dirname(results), { recursive: true });
    try {
      await runTests({
        version,
        extensionDevelopmentPath: root,
        extensionTestsPath: path.join(root, 'dist', 'test', 'ext', 'suite', 'index.js'),
        launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
        extensionTestsEnv: { MLSIGHT_TEST_RESULTS: results, MLSIGHT_REPO_ROOT: root, MLSIGHT_TEST_WORKSPACE: workspace },
      });
      const r = JSON.parse(fs.readFileSync(results, 'utf8'));
      console.log(`VS Code ${version}: ${r.passed} passed, ${r.failed} failed`);
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  }
}

main().catch(err => { console.error(err); process.exit(1); });
