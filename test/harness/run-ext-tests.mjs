// Extension-host tier: runs the mocha suites of one workspace kind (dist/test/ext/<kind>/) INSIDE the real VS Code
// extension host (code-server), opened on a fresh copy of test/fixtures/workspace. Exit 0 only if the host exited 0 AND the
// results file says passed > 0, failed = 0. Prints "N passed, N failed".
//   MLSIGHT_WORKSPACE_KIND=single (default: one folder) | multi (a multi-root workspace of two copies) |
//     untrusted (one folder in restricted mode) | bench (one folder; extension-host benchmarks for `npm run bench`)
//   env: VERBOSE=1, MLSIGHT_TEST_GREP=<regex>, MLSIGHT_TEST_TIMEOUT_MS, KEEP_TMP=1
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { ROOT, launchBrowser, log, startCodeServer, workbenchUrl } from './codeServer.mjs';

const entry = join(ROOT, 'dist/test/ext/index.js');
const KINDS = ['single', 'multi', 'untrusted', 'bench'];
const kind = process.env.MLSIGHT_WORKSPACE_KIND || 'single';
if (!KINDS.includes(kind)) {
  console.error(`MLSIGHT_WORKSPACE_KIND must be one of ${KINDS.join(', ')}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const TIMEOUT = Number(process.env.MLSIGHT_TEST_TIMEOUT_MS || 300_000);
const verbose = !!process.env.VERBOSE;
const resultsDir = join(ROOT, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const resultsFile = join(resultsDir, kind === 'single' ? 'ext-host.json' : `ext-host-${kind}.json`);
rmSync(resultsFile, { force: true });
if (!existsSync(entry)) {
  console.error(`missing ${entry}: run "npm run build" first`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// MLSIGHT_WORKSPACE_KIND=multi opens a .code-workspace with two copies of the fixture folder.
const multi = kind === 'multi';
// MLSIGHT_WORKSPACE_KIND=untrusted turns workspace trust on, so the fixture folder opens in restricted mode.
const untrusted = kind === 'untrusted';
const tmpRoot = mkdtempSync(join(tmpdir(), 'mlsight-ext-ws-'));
const workspace = multi ? join(tmpRoot, 'alpha') : tmpRoot;
cpSync(join(ROOT, 'test/fixtures/workspace'), workspace, { recursive: true });
let workspaceFile;
if (multi) {
  cpSync(join(ROOT, 'test/fixtures/workspace'), join(tmpRoot, 'beta'), { recursive: true });
  workspaceFile = join(tmpRoot, 'two-folders.code-workspace');
  writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: 'alpha' }, { path: 'beta' }] }));
}

let server,
  browser,
  code = 1;
try {
  server = await startCodeServer({
    workspace,
    trust: untrusted,
    env: {
      MLSIGHT_WORKSPACE_KIND: kind,
      MLSIGHT_TEST_RESULTS: resultsFile,
      MLSIGHT_TEST_WORKSPACE: workspace,
      MLSIGHT_TEST_GREP: process.env.MLSIGHT_TEST_GREP || '',
      MLSIGHT_REPO_ROOT: ROOT,
    },
  });
  log(`code-server on 127.0.0.1:${server.port}`);
  let done;
  const exited = new Promise(r => {
    done = r;
  });
  server.onOutput(o => {
    const m = /Extension Host Process exited with code: (\d+)/.exec(o);
    if (m) {
      setTimeout(() => done({ code: Number(m[1]), via: 'server log' }), 2000);
    }
  });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.exposeFunction('codeAutomationLog', (type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    if (text.startsWith('[mocha] ')) {
      console.log(text.slice(8));
    } else if (verbose) {
      console.log(`[workbench ${type}] ${text}`);
    }
  });
  await context.exposeFunction('codeAutomationExit', c => done({ code: c, via: 'workbench' }));
  const page = await context.newPage();
  page.on('pageerror', e => {
    if (verbose) {
      console.error('[pageerror]', e.message);
    }
  });
  if (verbose) {
    page.on('console', m => console.log(`[page ${m.type()}] ${m.text()}`));
  }
  page.on('crash', () => done({ code: 1, via: 'page crash' }));
  await page.goto(
    workbenchUrl(server.port, {
      folder: workspace,
      workspaceFile,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: entry,
    }),
  );
  const res = await Promise.race([
    exited,
    new Promise(r => setTimeout(() => r({ code: 'timeout', via: 'harness timeout' }), TIMEOUT)),
  ]);
  log(`extension host exited with ${res.code} (${res.via})`);
  if (existsSync(resultsFile)) {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    log(`${r.kind ?? kind} suites: VS Code ${r.vscodeVersion}, node ${r.node}, ${r.durationMs} ms`);
    code = res.code === 0 && r.failed === 0 && r.passed > 0 ? 0 : 1;
    console.log(`${r.passed} passed, ${r.failed} failed`);
  } else {
    console.error('the test run wrote no results file');
    if (!verbose) {
      console.error(server.output().slice(-4000));
    }
    writeFileSync(resultsFile, JSON.stringify({ passed: 0, failed: 1, error: 'no results' }));
    console.log('0 passed, 1 failed');
  }
} catch (e) {
  console.error(e);
  console.log('0 passed, 1 failed');
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (!process.env.KEEP_TMP) {
    rmSync(tmpRoot, { recursive: true, force: true });
  }
}
process.exit(code);
