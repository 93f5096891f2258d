// Shared by `npm start` and `npm test`: installs the npm packages on first use (a fresh clone), so a newcomer
// needs no other command. Uses only Node built-ins.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function ensureDeps(root, { system = false } = {}) {
  if (system) {
    const r = spawnSync('bash', [join(root, 'scripts/ensure-system.sh')], { stdio: 'inherit' });
    if (r.status !== 0) {
      process.exit(r.status ?? 1);
    }
  }
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    console.log('Installing npm packages (npm ci)…');
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      process.exit(r.status ?? 1);
    }
  }
}
