// `npm start`: builds ML Sight, generates a fresh demo workspace (scripts/make-demo.mjs: the sources in demo/ plus
// runs, data, a registry, A/B outcomes and a drift watch) in the git-ignored .vscode-test/demo-workspace/, so
// nothing done in the demo touches the checkout, then opens it in a real VS Code:
//   - desktop VS Code when `code` is on PATH:   code --extensionDevelopmentPath=<repo> .vscode-test/demo-workspace
//   - otherwise the local code-server (installed on first use into .vscode-test/), served on 127.0.0.1,
//     with ML Sight loaded from this folder; the URL is printed. Ctrl-C stops it.
// Options: --port N (default 8080, or the next free one), --no-desktop (always use code-server), --keep (reuse the
//          demo workspace of the last start instead of a fresh one),
//          --screenshot FILE (open the page in headless Chromium, show the ML Sight container, save a PNG, exit).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDeps } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = name => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const demo = join(root, '.vscode-test', 'demo-workspace');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.exit(r.status ?? 1);
  }
};
const hasCode =
  !argv.includes('--no-desktop') &&
  !argv.includes('--screenshot') &&
  spawnSync('sh', ['-c', 'command -v code'], { stdio: 'ignore' }).status === 0;
ensureDeps(root, { system: !hasCode });
run(process.execPath, [join(root, 'scripts/build.mjs'), '--no-tests']);
if (!argv.includes('--keep') || !existsSync(demo)) {
  const { makeDemo } = await import('./make-demo.mjs');
  makeDemo(demo);
  console.log(`A fresh demo workspace is in ${demo} (git-ignored; \`npm start -- --keep\` reuses it).`);
}

if (hasCode) {
  console.log('Opening the demo workspace in desktop VS Code with ML Sight loaded from this folder…');
  run('code', ['--extensionDevelopmentPath', root, demo]);
  process.exit(0);
}

run('bash', [join(root, 'scripts/setup-code-server.sh')]);
const freePort = want =>
  new Promise(res => {
    const s = createServer();
    s.once('error', () => res(freePort(want === 0 ? 0 : want + 1)));
    s.listen(want, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const port = await freePort(Number(opt('--port') ?? 8080));

// A profile kept between starts, with ML Sight linked into its extensions folder, so the plain URL works.
const profile = join(root, '.vscode-test', 'demo-profile');
const extDir = join(profile, 'extensions');
mkdirSync(join(profile, 'user-data', 'User'), { recursive: true });
mkdirSync(extDir, { recursive: true });
const link = join(extDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
rmSync(link, { force: true, recursive: true });
symlinkSync(root, link, 'dir');

const { startCodeServer, launchBrowser } = await import('../test/harness/codeServer.mjs');
const server = await startCodeServer({
  workspace: demo,
  port,
  settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  extensionsDir: extDir,
});
const url = `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(demo)}`;

if (argv.includes('--screenshot')) {
  const browser = await launchBrowser();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 860 } })).newPage();
  await page.goto(url);
  await page
    .locator('.activitybar .action-item a[aria-label^="ML Sight"], .activitybar .action-item[aria-label^="ML Sight"]')
    .first()
    .click({ timeout: 60_000 });
  await page.locator('.sidebar .monaco-list-row', { hasText: 'logreg-C1' }).first().waitFor({ timeout: 30_000 });
  await page.locator('.sidebar .monaco-list-row', { hasText: 'rf-200-trees' }).first().click();
  await page.locator('.tabs-container .tab', { hasText: 'Run rf-200-trees' }).waitFor({ timeout: 20_000 });
  await page
    .frameLocator('iframe.webview.ready')
    .frameLocator('#active-frame')
    .locator('#metrics canvas.spark')
    .first()
    .waitFor({ timeout: 20_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: opt('--screenshot') });
  console.log(`screenshot saved to ${opt('--screenshot')}`);
  await browser.close();
  await server.stop();
  process.exit(0);
}

console.log(
  `\nML Sight is running in VS Code (code-server ${existsSync(join(root, '.vscode-test/code-server')) ? '4.100.3' : ''}) on the demo workspace:\n\n    ${url}\n\nOpen it in a browser and click the ML Sight icon in the activity bar. Press Ctrl-C to stop.\n`,
);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.child.on('exit', code => {
  console.log(`code-server exited (${code})`);
  process.exit(code ?? 1);
});
