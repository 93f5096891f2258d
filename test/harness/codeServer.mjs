// Starts a real VS Code (code-server from npm: server + web workbench + the Node extension host) on 127.0.0.1
// and drives it with Debian's Chromium through playwright-core. Used by the extension-host tests, the UI tests,
// the benchmarks and `npm start`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CODE_SERVER =
  process.env.MLSIGHT_CODE_SERVER_BIN || join(ROOT, '.vscode-test/code-server/node_modules/.bin/code-server');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
// Without the networking flags Chromium keeps trying to reach Google's hosts, which this network refuses.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const started = Date.now();
export const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
export const log = (...a) => console.log(`[harness ${elapsed()}s]`, ...a);

/** Quiet, deterministic user settings for a throwaway profile. */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'window.commandCenter': false,
};

export function ensureCodeServer() {
  if (!existsSync(CODE_SERVER)) {
    throw new Error(
      `code-server is not installed at ${CODE_SERVER}: run "bash scripts/setup-code-server.sh" (npm test does it for you)`,
    );
  }
}

/**
 * Starts code-server in its own process group with an OS-chosen port and every data folder in one temp dir.
 * Environment variables in `env` reach the extension host.
 */
export async function startCodeServer({
  workspace,
  env: extraEnv = {},
  settings = {},
  trust = false,
  args: extraArgs = [],
  verbose = !!process.env.VERBOSE,
  port = 0,
  extensionsDir,
}) {
  ensureCodeServer();
  const tmp = mkdtempSync(join(tmpdir(), 'mlsight-vscode-'));
  const dirs = {
    tmp,
    userData: join(tmp, 'user-data'),
    ext: extensionsDir ?? join(tmp, 'extensions'),
    cfg: join(tmp, 'config'),
    data: join(tmp, 'data'),
  };
  for (const d of [join(dirs.userData, 'User'), dirs.ext, dirs.cfg, dirs.data, join(tmp, 'tmp'), join(tmp, 'cache')]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(
    join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify(
      { ...BASE_SETTINGS, ...(trust ? { 'security.workspace.trust.enabled': true } : {}), ...settings },
      null,
      2,
    ),
  );
  const common = [
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.ext,
    '--config',
    join(dirs.cfg, 'config.yaml'),
    ...(trust ? [] : ['--disable-workspace-trust']),
  ];
  const env = {
    ...process.env,
    EXTENSIONS_GALLERY: '{}',
    XDG_CONFIG_HOME: dirs.cfg,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: join(tmp, 'cache'),
    TMPDIR: join(tmp, 'tmp'),
    ...extraEnv,
  };
  const child = spawn(
    CODE_SERVER,
    ['--bind-addr', `127.0.0.1:${port}`, '--ignore-last-opened', ...common, ...extraArgs, resolve(workspace)],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const listeners = [];
  const onData = chunk => {
    const s = chunk.toString();
    out += s;
    if (out.length > 2_000_000) {
      out = out.slice(-1_000_000);
    }
    if (verbose) {
      process.stdout.write(s.replace(/\n$/, '').replace(/^/gm, '[code-server] ') + '\n');
    }
    for (const l of listeners) {
      l(out);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const boundPort = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('code-server did not start within 60 s:\n' + out)), 60_000);
    listeners.push(o => {
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(o);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    child.on('exit', code => {
      clearTimeout(timer);
      rej(new Error(`code-server exited early (${code}):\n${out}`));
    });
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.once('exit', killGroup);
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    await new Promise(r => {
      if (child.exitCode !== null || child.signalCode) {
        return r();
      }
      child.once('exit', r);
      setTimeout(r, 5000);
    });
    killGroup();
    if (!process.env.KEEP_TMP) {
      rmSync(tmp, { recursive: true, force: true });
    }
  };
  return { child, port: boundPort, dirs, common, env, stop, output: () => out, onOutput: l => listeners.push(l) };
}

/** Installs a .vsix into the server's extensions dir with code-server's CLI. */
export async function installVsix(server, vsix) {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(CODE_SERVER, [...server.common, '--install-extension', vsix, '--force'], {
    env: server.env,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`--install-extension failed:\n${r.stdout}${r.stderr}`);
  }
  return (r.stdout + r.stderr).trim().split('\n').pop();
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  }
  const { chromium } = await import('playwright-core');
  const home = mkdtempSync(join(tmpdir(), 'mlsight-browser-'));
  mkdirSync(join(home, 'tmp'));
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    TMPDIR: join(home, 'tmp'),
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, env });
  browser.on('disconnected', () => rmSync(home, { recursive: true, force: true }));
  return browser;
}

/** The workbench URL; payload URIs use the vscode-remote scheme with the page's own host:port as authority. */
export function workbenchUrl(port, { folder, workspaceFile, extensionDevelopmentPath, extensionTestsPath }) {
  const authority = `127.0.0.1:${port}`;
  const remote = p => `vscode-remote://${authority}${resolve(p)}`;
  const payload = [];
  if (extensionDevelopmentPath) {
    payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  }
  if (extensionTestsPath) {
    payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  }
  payload.push(['skipWelcome', 'true']);
  const q = new URLSearchParams(workspaceFile ? { workspace: resolve(workspaceFile) } : { folder: resolve(folder) });
  q.set('payload', JSON.stringify(payload));
  return `http://${authority}/?${q}`;
}
