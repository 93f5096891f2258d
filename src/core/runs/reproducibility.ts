import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { confinePath } from '../paths';
import { Db } from '../store/db';

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
    fs.createReadStream(file)
      .on('data', d => h.update(d))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest('hex');
}

/** Directories with more files than this are not hashed (bounded work on untrusted workspaces). */
const MAX_TREE_FILES = 20_000;

interface DatasetRow {
  name: string;
  role: string;
  path: string | null;
  digest: string | null;
  schema_json: string | null;
}

type DatasetKind = { kind: 'path' } | { kind: 'memory'; sourceFile: { path: string; digest: string } | null };

/**
 * What a dataset's digest is of: a file or directory at `path` (the logger's file schema has a `format`; a
 * directory has no schema), or an object logged from memory (pandas, numpy, torch, pickle), whose content digest is
 * never compared with a file's — its `path` is where it came from, and its source file's own sha256, when recorded
 * (`schema.source_file`), is what is checked.
 */
export function datasetKind(d: Pick<DatasetRow, 'schema_json'>): DatasetKind {
  let schema: Record<string, unknown> | null = null;
  try {
    schema = d.schema_json ? (JSON.parse(d.schema_json) as Record<string, unknown>) : null;
  } catch {
    schema = null;
  }
  if (!schema || typeof schema !== 'object' || 'format' in schema) {
    return { kind: 'path' };
  }
  const sf = schema.source_file as Record<string, unknown> | undefined;
  return {
    kind: 'memory',
    sourceFile:
      sf && typeof sf.path === 'string' && typeof sf.digest === 'string' ? { path: sf.path, digest: sf.digest } : null,
  };
}

/** sha256 of a directory as the logger computes it: over "<posix relpath>\0<sha256 hex>\n" of its files, sorted. */
export async function sha256Tree(dir: string): Promise<string | undefined> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<boolean> => {
    const entries = await fs.promises.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!(await walk(r))) {
          return false;
        }
      } else if (
        e.isFile() ||
        (e.isSymbolicLink() &&
          (await fs.promises.stat(path.join(dir, r)).then(
            s => s.isFile(),
            () => false,
          )))
      ) {
        files.push(r);
      }
      if (files.length > MAX_TREE_FILES) {
        return false;
      }
    }
    return true;
  };
  if (!(await walk(''))) {
    return undefined;
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash('sha256');
  let total = 0;
  for (const rel of files) {
    const abs = path.join(dir, ...rel.split('/'));
    total += (await fs.promises.stat(abs)).size;
    if (total > MAX_HASH_BYTES) {
      return undefined;
    }
    h.update(
      Buffer.concat([
        Buffer.from(rel, 'utf8'),
        Buffer.from([0]),
        Buffer.from(await sha256File(abs), 'ascii'),
        Buffer.from('\n'),
      ]),
    );
  }
  return h.digest('hex');
}

/** Why a logged file or directory no longer matches its digest ('missing', 'changed since the run'), or undefined. */
async function fileState(root: string, p: string, digest: string): Promise<string | undefined> {
  // paths come from workspace files: anything outside the workspace folder is never read
  const confined = confinePath(p, [root]);
  if (!confined.ok) {
    return `was not checked (${confined.message})`;
  }
  const abs = confined.file;
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch {
    return 'is missing';
  }
  try {
    if (st.isDirectory()) {
      const d = await sha256Tree(abs);
      return d === undefined || `sha256:${d}` === digest
        ? undefined
        : 'changed since the run (a file in the folder was added, removed or edited)';
    }
    if (!st.isFile() || st.size > MAX_HASH_BYTES) {
      return undefined;
    }
    return `sha256:${await sha256File(abs)}` === digest ? undefined : 'changed since the run';
  } catch {
    return undefined; /* unreadable now: not a verdict */
  }
}

const NO_FILE: string[] = [];

/** Requirements in the workspace's requirements.txt that are not pinned to one version (`==` or `===`). */
async function unpinnedRequirements(folder: string): Promise<string[]> {
  let text: string;
  try {
    const f = path.join(folder, 'requirements.txt');
    if ((await fs.promises.stat(f)).size > 1024 * 1024) {
      return NO_FILE;
    }
    text = await fs.promises.readFile(f, 'utf8');
  } catch {
    return NO_FILE;
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith('-') || /^(git\+|https?:|file:|\.|\/)/.test(line)) {
      continue;
    }
    const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(line)?.[0];
    if (name && !/===?\s*[^\s,;*]+\s*(;|$)/.test(line.slice(name.length).replace(/\[[^\]]*\]/, ''))) {
      out.push(name);
    }
  }
  return out;
}

export async function checkReproducibility(db: Db, runId: string, workspaceFolder: string): Promise<ReproReport> {
  const run = db.get<{ git_commit: string | null; git_dirty: number | null; source: string }>(
    'SELECT git_commit, git_dirty, source FROM runs WHERE id = ?',
    [runId],
  );
  const tag = (k: string) => db.scalar<string>('SELECT value FROM tags WHERE run_id = ? AND key = ?', [runId, k]);
  const params = db
    .all<{ key: string }>('SELECT key FROM params WHERE run_id = ?', [runId])
    .map(p => p.key.toLowerCase());
  const datasets = db.all<DatasetRow>('SELECT name, role, path, digest, schema_json FROM datasets WHERE run_id = ?', [
    runId,
  ]);
  const requirements = db.scalar('SELECT 1 FROM artifacts WHERE run_id = ? AND kind = ?', [runId, 'requirements']);
  const checks: ReproCheck[] = [];
  const seed = tag('mlsight.seed') ?? (params.find(k => /(^|[._])(seed|random_state)$/.test(k)) ? 'param' : undefined);
  checks.push({
    id: 'seed',
    ok: seed !== undefined,
    detail:
      seed !== undefined
        ? `seed recorded${seed === 'param' ? ' as a parameter' : `: ${seed}`}`
        : 'no seed recorded (mlsight.set_seed(…))',
  });
  const unpinned = await unpinnedRequirements(workspaceFolder);
  checks.push(
    !requirements
      ? { id: 'packages', ok: false, detail: 'package versions not recorded' }
      : unpinned.length
        ? {
            id: 'packages',
            ok: false,
            detail: `requirements.txt does not pin ${unpinned.slice(0, 5).join(', ')}${unpinned.length > 5 ? ` and ${unpinned.length - 5} more` : ''} (use ==)`,
          }
        : {
            id: 'packages',
            ok: true,
            detail:
              'package versions recorded (pip freeze at the run)' +
              (unpinned === NO_FILE ? '' : ' and pinned in requirements.txt'),
          },
  );
  checks.push({
    id: 'commit',
    ok: !!run?.git_commit,
    detail: run?.git_commit ? `git commit ${run.git_commit.slice(0, 12)}` : 'no git commit recorded',
  });
  checks.push({
    id: 'clean-tree',
    ok: run?.git_dirty === 0,
    detail:
      run?.git_dirty === 1
        ? 'uncommitted changes when the run started'
        : run?.git_dirty === 0
          ? 'working tree was clean'
          : 'working tree state unknown',
  });
  const hashed = datasets.filter(d => d.digest);
  checks.push({
    id: 'datasets',
    ok: datasets.length > 0 && hashed.length === datasets.length,
    detail:
      datasets.length === 0
        ? 'no dataset logged (run.log_dataset(…))'
        : `${hashed.length} of ${datasets.length} datasets hashed`,
  });
  const changed: string[] = [];
  const root = path.resolve(workspaceFolder);
  for (const d of datasets) {
    const what = datasetKind(d);
    if (what.kind === 'memory') {
      // an object logged from memory: its content digest is not a file's; only its source file (if any) is checked
      if (!what.sourceFile) {
        continue;
      }
      const r = await fileState(root, what.sourceFile.path, what.sourceFile.digest);
      if (r) {
        changed.push(`${d.name} (${d.role}): source ${what.sourceFile.path} ${r}`);
      }
      continue;
    }
    if (!d.path || !d.digest?.startsWith('sha256:')) {
      continue;
    }
    const r = await fileState(root, d.path, d.digest);
    if (r) {
      changed.push(`${d.name} (${d.role}): ${d.path} ${r}`);
    }
  }
  const checkable = datasets.filter(d => {
    const k = datasetKind(d);
    return k.kind === 'memory' ? !!k.sourceFile : !!(d.path && d.digest?.startsWith('sha256:'));
  });
  if (checkable.length) {
    checks.push({
      id: 'data-unchanged',
      ok: changed.length === 0,
      detail: changed.length
        ? changed.join('; ')
        : `dataset files unchanged since the run (${checkable.length} checked)`,
    });
  }
  return { runId, passed: checks.filter(c => c.ok).length, total: checks.length, checks };
}
