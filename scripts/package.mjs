// Builds a production bundle (minified, no tests, no source maps) and packages it with vsce into
// artifacts/ml-sight-<version>.vsix. The .vscodeignore allowlist decides what goes in.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'artifacts', `${pkg.name}-${pkg.version}.vsix`);
mkdirSync(dirname(out), { recursive: true });
execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production', '--no-tests'], {
  stdio: 'inherit',
  cwd: root,
});
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@vscode/vsce/vsce'),
    'package',
    '--no-dependencies',
    '--skip-license',
    '--no-rewrite-relative-links',
    '-o',
    out,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], cwd: root },
);
console.log(`packaged ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
