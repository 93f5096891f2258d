import { createHash } from 'crypto';
import * as fs from 'fs';
import { Db } from '../store/db';
import { confinePath } from '../paths';

/**
 * The reproducibility check of a run: what someone needs to get the same result again. Each check says what
 * is missing; datasets whose file changed since the run logged them are reported (data versioning).
 */
import type { ReproCheck, ReproReport } from './reproTypes';
export type { ReproCheck, ReproReport } from './reproTypes';

/** Files larger than this are compared by size only (hashing them would stall the editor). */
const MAX_HASH_BYTES = 256 * 1024 * 1024;

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file).on('data', d => h.update(d)).on('end', () => resolve()).on('error', reject);
  });
  return h.digest('hex');
}

export async function checkReproducibility(db: Db, runId: string, workspaceFolder: string): Promise<ReproReport> {
  const run = db.get<{ git_commit: string | null; git_dirty: number | null; source: string }>('SELECT git_commit, git_dirty, source FROM runs WHERE id = ?', [runId]);
  const tag = (k: string) => db.scalar<string>('SELECT value FROM tags WHERE run_id = ? AND key = ?', [runId, k]);
  const params = db.all<{ key: string }>('SELECT key FROM params WHERE run_id = ?', [runId]).map(p => p.key.toLowerCase());
  const datasets = db.all<{ name: string; role: string; path: string | null; digest: string | null }>('SELECT name, role, path, digest FROM datasets WHERE run_id = ?', [runId]);
  const requirements = db.scalar('SELECT 1 FROM artifacts WHERE run_id = ? AND kind = ?', [runId, 'requirements']);
  const checks: ReproCheck[] = [];
  const seed = tag('mlsight.seed') ?? (params.find(k => /(^|[._])(seed|random_state)$/.test(k)) ? 'param' : undefined);
  checks.push({ id: 'seed', ok: seed !== undefined, detail: seed !== undefined ? `seed recorded${seed === 'param' ? ' as a parameter' : `: ${seed}`}` : 'no seed recorded (mlsight.set_seed(…))' });
  checks.push({ id: 'packages', ok: !!requirements, detail: requirements ? 'package versions pinned (requirements.txt)' : 'package versions not recorded' });
  checks.push({ id: 'commit', ok: !!run?.git_commit, detail: run?.git_commit ? `git commit ${run.git_commit.slice(0, 12)}` : 'no git commit recorded' });
  checks.push({ id: 'clean-tree', ok: run?.git_dirty === 0, detail: run?.git_dirty === 1 ? 'uncommitted changes when the run started' : run?.git_dirty === 0 ? 'working tree was clean' : 'working tree state unknown' });
  const hashed = datasets.filter(d => d.digest);
  checks.push({ id: 'datasets', ok: datasets.length > 0 && hashed.length === datasets.length, detail: datasets.length === 0 ? 'no dataset logged (run.log_dataset(…))' : `${hashed.length} of ${datasets.length} datasets hashed` });
  const changed: string[] = [];
  const outside: string[] = []; // dataset paths outside the workspace are never read
  for (const d of hashed) {
    if (!d.path || !d.digest!.startsWith('sha256:')) { continue; }
    const confined = confinePath(d.path, [workspaceFolder]);
    if (!confined.ok) { outside.push(`${d.name} (${d.role}): ${confined.message}`); continue; }
    const file = confined.file;
    let st: fs.Stats;
    try { st = await fs.promises.stat(file); } catch { changed.push(`${d.name} (${d.role}): file missing`); continue; }
    if (!st.isFile()) { continue; }
    if (st.size > MAX_HASH_BYTES) { continue; }
    try {
      if (`sha256:${await sha256File(file)}` !== d.digest) { changed.push(`${d.name} (${d.role}): ${d.path} changed since the run`); }
    } catch { /* unreadable now: not a verdict */ }
  }
  if (hashed.some(d => d.path)) {
    checks.push({ id: 'data-unchanged', ok: changed.length === 0, detail: changed.length ? changed.join('; ') : 'dataset files unchanged since the run' });
    if (outside.length) { checks[checks.length - 1].detail += `; not checked: ${outside.join('; ')}`; }
  }
  return { runId, passed: checks.filter(c => c.ok).length, total: checks.length, checks };
}
