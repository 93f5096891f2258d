// Bundles everything with esbuild:
//   dist/extension.js   the extension (node, cjs, `vscode` external)           ← src/extension.ts
//   dist/cli.js         the `mlsight` command line (node, cjs)                   ← src/cli.ts
//   dist/worker.js      worker threads: MLflow readers, drift reports (node, cjs) ← src/worker.ts
//   dist/webview/*.js   one browser bundle per webview                          ← webview-ui/<name>/main.ts
//   dist/sql-wasm.wasm  sql.js's WebAssembly, loaded lazily next to the bundles
//   dist/test/**        unit tests (node_modules external) and extension-host suites
// Flags: --watch (rebuild on change), --production (minify, no source maps), --no-tests.
import * as esbuild from 'esbuild';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  renameSync,
  readFileSync,
  readdirSync,
  existsSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
const withTests = !args.has('--no-tests');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const finalDist = join(root, 'dist');
// A one-off build writes into a fresh folder and swaps it in at the end, so a build never leaves stale bundles
// (a renamed test) and programs still running from dist/ (a test run, code-server) see it change only at once.
const dist = watch ? finalDist : `${finalDist}.build-${process.pid}`;

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
// WebAssembly shipped next to the bundles and loaded lazily: sql.js, web-tree-sitter and the Python grammar.
for (const [from, to] of [
  ['sql.js/dist/sql-wasm.wasm', 'sql-wasm.wasm'],
  ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter.wasm'],
  ['tree-sitter-python/tree-sitter-python.wasm', 'tree-sitter-python.wasm'],
]) {
  copyFileSync(require.resolve(from), join(dist, to));
}

const walk = (dir, pred) =>
  existsSync(dir)
    ? readdirSync(dir).flatMap(n => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? walk(p, pred) : pred(p) ? [p] : [];
      })
    : [];

const define = { __MLSIGHT_VERSION__: JSON.stringify(pkg.version) };
// sql-wasm.wasm is looked up with require.resolve only when it is not next to the bundle (unit tests).
const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define,
  external: [
    'sql.js/dist/sql-wasm.wasm',
    'web-tree-sitter/tree-sitter.wasm',
    'tree-sitter-python/tree-sitter-python.wasm',
  ],
};

const builds = [
  {
    ...node,
    entryPoints: { extension: join(root, 'src/extension.ts') },
    outdir: dist,
    external: ['vscode', ...node.external],
  },
  { ...node, entryPoints: { cli: join(root, 'src/cli.ts') }, outdir: dist },
  { ...node, entryPoints: { worker: join(root, 'src/worker.ts') }, outdir: dist },
];
const webviews = existsSync(join(root, 'webview-ui'))
  ? readdirSync(join(root, 'webview-ui')).filter(n => existsSync(join(root, 'webview-ui', n, 'main.ts')))
  : [];
if (webviews.length) {
  builds.push({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    define,
    entryPoints: Object.fromEntries(webviews.map(n => [n, join(root, 'webview-ui', n, 'main.ts')])),
    outdir: join(dist, 'webview'),
  });
}
if (withTests) {
  const unit = walk(join(root, 'test/unit'), p => p.endsWith('.ts'));
  if (unit.length) {
    builds.push({
      ...node,
      sourcemap: true,
      entryPoints: unit,
      outbase: join(root, 'test'),
      outdir: join(dist, 'test'),
      packages: 'external',
      // unit tests import src/** directly; only third-party packages stay external
    });
  }
  // the fuzz tier (test/fuzz), built like the unit tests: src/** bundled, third-party packages external
  const fuzz = walk(join(root, 'test/fuzz'), p => p.endsWith('.ts'));
  if (fuzz.length) {
    builds.push({
      ...node,
      sourcemap: true,
      entryPoints: fuzz,
      outbase: join(root, 'test'),
      outdir: join(dist, 'test'),
      packages: 'external',
    });
  }
  const ext = walk(join(root, 'test/ext'), p => p.endsWith('.ts'));
  if (ext.length) {
    builds.push({
      ...node,
      sourcemap: true,
      entryPoints: ext,
      outbase: join(root, 'test'),
      outdir: join(dist, 'test'),
      external: ['vscode', 'mocha', ...node.external],
    });
  }
  const bench = walk(join(root, 'bench'), p => p.endsWith('.ts'));
  if (bench.length) {
    builds.push({ ...node, entryPoints: bench, outbase: root, outdir: dist, packages: 'external' });
  }
  const electron = walk(join(root, 'test/electron'), p => p.endsWith('.ts'));
  if (electron.length) {
    builds.push({
      ...node,
      entryPoints: electron,
      outbase: join(root, 'test'),
      outdir: join(dist, 'test'),
      packages: 'external',
    });
  }
}

const t0 = Date.now();
if (watch) {
  for (const b of builds) {
    const ctx = await esbuild.context(b);
    await ctx.watch();
  }
  console.log('esbuild: watching for changes…');
} else {
  await Promise.all(builds.map(b => esbuild.build(b)));
  chmodSync(join(dist, 'cli.js'), 0o755);
  const old = `${finalDist}.old-${process.pid}`;
  if (existsSync(finalDist)) {
    renameSync(finalDist, old);
  }
  renameSync(dist, finalDist);
  rmSync(old, { recursive: true, force: true });
  console.log(`esbuild: built ${builds.length} bundles in ${Date.now() - t0} ms (${relative(root, finalDist)}/)`);
}
