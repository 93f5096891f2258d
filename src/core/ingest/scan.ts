/**
 * One entry point for ingesting everything a workspace folder holds from other trackers: MLflow FileStore
 * trees (`mlruns/`), MLflow SQLite stores (`mlflow.db`) and TensorBoard event files (`*tfevents*`).
 *
 * A full pass walks the folder (skipping node_modules, .git, virtual environments, site-packages, .mlsight
 * and the configured exclude globs), ingests what is new in every source, and removes from the store what
 * disappeared from disk. A partial pass (`paths`: the files a watcher reported) only looks at the sources and
 * runs those paths belong to. Passes on the same store are serialised. Bad files produce one log line each
 * (with the workspace-relative path) and the rest still loads; nothing here throws for a bad file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Logger } from '../log';
import { STORE_DIR, WorkspaceStore } from '../store/store';
import {
  Excluder,
  IngestCounts,
  SOURCE_MLFLOW,
  SOURCE_TENSORBOARD,
  emptyCounts,
  readDirOrEmpty,
  relPath,
} from './common';
import {
  ingestMlflowFileStore,
  isMlflowFileStore,
  parseMlflowExperimentId,
  removeMlflowSource,
} from './mlflowFileStore';
import { ingestMlflowSqlite } from './mlflowSqlite';
import { TensorboardRun, ingestTensorboardRuns } from './tensorboard';
import { errorMessage } from '../errors';

/** Folder names never descended into. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.venv',
  'venv',
  'env',
  '.env',
  'site-packages',
  '.tox',
  '.nox',
  '__pycache__',
  STORE_DIR,
]);

/** The default of the `mlsight.runs.exclude` setting (package.json). */
export const DEFAULT_EXCLUDES: readonly string[] = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.venv/**',
  '**/venv/**',
  '**/env/**',
  '**/site-packages/**',
];

export const MLFLOW_DB_NAME = 'mlflow.db';

export interface IngestOptions {
  /** Glob patterns (workspace-relative, VS Code syntax) of folders/files never scanned; added to SKIPPED_DIRS. */
  exclude?: readonly string[];
  /** Extra MLflow FileStore roots (absolute or workspace-relative), e.g. a tracking URI `file:./my_runs`. */
  mlflowRoots?: readonly string[];
  /** Extra MLflow SQLite files besides those named mlflow.db. */
  mlflowDatabases?: readonly string[];
  /** TensorBoard logdirs: runs under them are named relative to them (otherwise a run's parent is its root). */
  tensorboardRoots?: readonly string[];
  /** Partial pass: only the sources and runs these changed paths (absolute or workspace-relative) belong to. */
  paths?: readonly string[];
  /** Which sources to read (all by default). */
  sources?: { mlflowFileStore?: boolean; mlflowSqlite?: boolean; tensorboard?: boolean };
  /** A TensorBoard run whose newest event file changed less than this long ago is RUNNING (default 120 s). */
  tensorboardRunningWindowMs?: number;
  /** Deepest folder level walked (default 12). */
  maxDepth?: number;
  /** Folders visited at most per walk (default 200,000), so a huge data tree cannot stall the pass. */
  maxDirs?: number;
  /** The worker bundle (dist/worker.js), to read big MLflow FileStores in reader threads (see FileStoreOptions.readerScript). */
  readerScript?: string;
}

export interface IngestSummary extends IngestCounts {
  durationMs: number;
  /** Workspace-relative paths of the sources found. */
  found: { mlflowFileStores: string[]; mlflowDatabases: string[]; tensorboardRuns: string[] };
  /** True if this was a full pass (no `paths`). */
  full: boolean;
}

export interface DiscoveredSources {
  fileStores: string[];
  databases: string[];
  tensorboard: TensorboardRun[];
}

const queues = new WeakMap<WorkspaceStore, Promise<unknown>>();

/**
 * Finds and ingests MLflow FileStores, MLflow SQLite stores and TensorBoard runs in the store's folder.
 * Returns what it did; never throws for bad input files (an unexpected failure of one source is logged and the
 * others still load). Calls on the same store run one after the other.
 */
export function ingestWorkspace(
  store: WorkspaceStore,
  log: Logger,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const prev = queues.get(store) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => runPass(store, log, options));
  queues.set(
    store,
    next.catch(() => undefined),
  );
  return next;
}

async function runPass(store: WorkspaceStore, log: Logger, options: IngestOptions): Promise<IngestSummary> {
  const t0 = performance.now();
  const counts = emptyCounts();
  const full = !options.paths;
  const summary = (found: DiscoveredSources): IngestSummary => ({
    ...counts,
    changedRuns: [...new Set(counts.changedRuns)],
    durationMs: performance.now() - t0,
    full,
    found: {
      mlflowFileStores: found.fileStores.map(p => relPath(store.folder, p)),
      mlflowDatabases: found.databases.map(p => relPath(store.folder, p)),
      tensorboardRuns: found.tensorboard.map(r => relPath(store.folder, r.dir)),
    },
  });
  if (store.readOnly) {
    log.warn('MLflow/TensorBoard runs are not ingested: the ML Sight store is read-only.');
    return summary({ fileStores: [], databases: [], tensorboard: [] });
  }
  const want = { mlflowFileStore: true, mlflowSqlite: true, tensorboard: true, ...options.sources };
  const folder = store.folder;
  const abs = (p: string) => path.resolve(folder, p);
  const tbRoots = (options.tensorboardRoots ?? []).map(abs);
  const found = full
    ? await discoverSources(folder, options)
    : await sourcesForPaths(store, (options.paths ?? []).map(abs), options, tbRoots);
  const changedRel = (options.paths ?? []).map(p => relPath(folder, abs(p)));
  const touches = full
    ? undefined
    : (rel: string) =>
        changedRel.some(c => c === rel || c.startsWith(`${rel}/`) || rel.startsWith(`${c}/`) || c === '.');

  if (full) {
    // Sources that are gone: everything they put in the store goes too.
    const present = new Set([...found.fileStores, ...found.databases].map(p => relPath(folder, p)));
    for (const src of knownMlflowSources(store)) {
      if (present.has(src)) {
        continue;
      }
      const kind = fs.existsSync(abs(src)) ? 'excluded or no longer an MLflow store' : 'gone';
      if ((want.mlflowFileStore && want.mlflowSqlite) || kind === 'gone') {
        log.info(`MLflow: ${src} is ${kind}; its runs are removed from the ML Sight store.`);
        guard(log, counts, src, () => removeMlflowSource(store, src, counts));
      }
    }
  }
  if (!full) {
    // A watcher reported that a whole MLflow source (an mlruns folder or an mlflow.db) was deleted.
    const known = new Set(knownMlflowSources(store));
    for (const rel of changedRel) {
      if (known.has(rel) && !fs.existsSync(abs(rel))) {
        log.info(`MLflow: ${rel} is gone; its runs are removed from the ML Sight store.`);
        guard(log, counts, rel, () => removeMlflowSource(store, rel, counts));
      }
    }
  }
  if (want.mlflowFileStore) {
    for (const root of found.fileStores) {
      await guardAsync(log, counts, relPath(folder, root), () =>
        ingestMlflowFileStore(store, log, root, counts, { touches, readerScript: options.readerScript }),
      );
    }
  }
  if (want.mlflowSqlite) {
    const removedBefore = counts.removedRuns;
    for (const db of found.databases) {
      // A database that skipped runs already shown from another source reads them once that source is gone.
      const dbRel = relPath(folder, db);
      const dupes = store.read(d => Number(d.scalar('SELECT line FROM ingest_state WHERE path = ?', [dbRel]) ?? 0));
      const force = dupes > 0 && removedBefore > 0;
      await guardAsync(log, counts, dbRel, () => ingestMlflowSqlite(store, log, db, counts, { force }));
    }
  }
  if (want.tensorboard) {
    await guardAsync(log, counts, 'TensorBoard runs', () =>
      ingestTensorboardRuns(store, log, found.tensorboard, counts, {
        removeMissing: true,
        touches,
        runningWindowMs: options.tensorboardRunningWindowMs,
      }),
    );
  }
  return summary(found);
}

function guard(log: Logger, counts: IngestCounts, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    counts.problems++;
    log.error(`${what}: ingest failed (${errorMessage(e)}); other sources still load.`);
  }
}

async function guardAsync(log: Logger, counts: IngestCounts, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    counts.problems++;
    log.error(`${what}: ingest failed (${errorMessage(e)}); other sources still load.`);
  }
}

/** Workspace-relative paths of the MLflow sources (FileStore roots and databases) the store holds rows from. */
function knownMlflowSources(store: WorkspaceStore): string[] {
  return store.read(db => {
    const out = new Set<string>();
    for (const r of db.all<{ id: string }>(`SELECT id FROM experiments WHERE source = ?`, [SOURCE_MLFLOW])) {
      const p = parseMlflowExperimentId(r.id);
      if (p) {
        out.add(p.source);
      }
    }
    for (const r of db.all<{ path: string }>(
      `SELECT path FROM ingest_state WHERE instr(path, '#model:') > 0 OR instr(path, '#run:') > 0`,
    )) {
      out.add(r.path.slice(0, r.path.indexOf('#')));
    }
    return [...out];
  });
}

/** Walks the folder for mlruns trees, mlflow.db files and TensorBoard event files. */
export async function discoverSources(folder: string, options: IngestOptions = {}): Promise<DiscoveredSources> {
  const excluder = new Excluder(options.exclude ?? DEFAULT_EXCLUDES);
  const maxDepth = options.maxDepth ?? 12;
  let budget = options.maxDirs ?? 200_000;
  const abs = (p: string) => path.resolve(folder, p);
  const fileStores = new Set<string>((options.mlflowRoots ?? []).map(abs).filter(p => fs.existsSync(p)));
  const databases = new Set<string>((options.mlflowDatabases ?? []).map(abs).filter(p => fs.existsSync(p)));
  const tbRoots = (options.tensorboardRoots ?? []).map(abs);
  const tbDirs = new Set<string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (budget-- <= 0) {
      return;
    }
    const entries = await readDirOrEmpty(dir);
    // A virtual environment (venv/virtualenv, conda) is never scanned, whatever its name.
    if (entries.some(e => (e.isFile() && e.name === 'pyvenv.cfg') || (e.isDirectory() && e.name === 'conda-meta'))) {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      const rel = relPath(folder, p);
      if (e.isFile()) {
        if (excluder.file(rel)) {
          continue;
        }
        if (e.name === MLFLOW_DB_NAME) {
          databases.add(p);
        } else if (e.name.includes('tfevents')) {
          tbDirs.add(dir);
        }
        continue;
      }
      if (!e.isDirectory() || SKIPPED_DIRS.has(e.name) || excluder.dir(rel) || depth >= maxDepth) {
        continue;
      }
      if (fileStores.has(p)) {
        continue;
      } // a configured root: read by the FileStore reader, not walked
      if (e.name === 'mlruns' && (await isMlflowFileStore(p))) {
        fileStores.add(p);
        continue;
      }
      await walk(p, depth + 1);
    }
  };
  // A workspace that is itself an mlruns folder (configured as a root) is read by the FileStore reader only.
  if (!fileStores.has(path.resolve(folder))) {
    await walk(folder, 0);
  }
  for (const r of tbRoots) {
    // Configured logdirs outside the workspace (or excluded) are still read.
    if (!isInside(folder, r)) {
      await collectEventDirs(r, tbDirs, maxDepth);
    }
  }
  return {
    fileStores: [...fileStores].sort(),
    databases: [...databases].sort(),
    tensorboard: [...tbDirs].sort().map(dir => ({ dir, root: tensorboardRootOf(dir, tbRoots, folder) })),
  };
}

async function collectEventDirs(dir: string, out: Set<string>, depthLeft: number): Promise<void> {
  for (const e of await readDirOrEmpty(dir)) {
    if (e.isFile() && e.name.includes('tfevents')) {
      out.add(dir);
    } else if (e.isDirectory() && depthLeft > 0 && !SKIPPED_DIRS.has(e.name)) {
      await collectEventDirs(path.join(dir, e.name), out, depthLeft - 1);
    }
  }
}

function isInside(parent: string, child: string): boolean {
  const r = path.relative(parent, child);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/** The logdir root of a run directory: the innermost configured root containing it, else its parent. */
export function tensorboardRootOf(runDir: string, roots: readonly string[], folder?: string): string {
  const containing = roots.filter(r => isInside(r, runDir)).sort((a, b) => b.length - a.length);
  if (containing[0]) {
    return containing[0];
  }
  return folder !== undefined && path.resolve(runDir) === path.resolve(folder) ? runDir : path.dirname(runDir);
}

/** Sources that changed paths belong to, plus nothing else (partial pass). */
async function sourcesForPaths(
  store: WorkspaceStore,
  paths: string[],
  options: IngestOptions,
  tbRoots: string[],
): Promise<DiscoveredSources> {
  const folder = store.folder;
  const fileStores = new Set<string>();
  const databases = new Set<string>();
  const tbDirs = new Set<string>();
  const known = new Set(knownMlflowSources(store).map(s => path.resolve(folder, s)));
  const extraRoots = new Set((options.mlflowRoots ?? []).map(p => path.resolve(folder, p)));
  const extraDbs = new Set((options.mlflowDatabases ?? []).map(p => path.resolve(folder, p)));
  const excluder = new Excluder(options.exclude ?? DEFAULT_EXCLUDES);
  for (const p of paths) {
    const rel = relPath(folder, p);
    if (isInside(folder, p) && (excluder.file(rel) || rel.split('/').some(seg => SKIPPED_DIRS.has(seg)))) {
      continue;
    }
    const base = path.basename(p);
    const dbCandidate = base.replace(/-(journal|wal|shm)$/, '');
    const dbPath = path.join(path.dirname(p), dbCandidate);
    if (dbCandidate === MLFLOW_DB_NAME || extraDbs.has(dbPath) || known.has(dbPath)) {
      if (fs.existsSync(dbPath) && fs.statSync(dbPath).isFile()) {
        databases.add(dbPath);
      }
      continue;
    }
    if (base.includes('tfevents')) {
      tbDirs.add(path.dirname(p));
      continue;
    }
    // A TensorBoard run folder (or a file in one) that we already know.
    const runRel = relPath(folder, fs.existsSync(p) && fs.statSync(p).isDirectory() ? p : path.dirname(p));
    const isTbRun = store.read(
      db => !!db.scalar('SELECT 1 FROM runs WHERE source = ? AND source_path = ?', [SOURCE_TENSORBOARD, runRel]),
    );
    if (isTbRun) {
      tbDirs.add(path.resolve(folder, runRel));
    }
    // The mlruns root above the path: a known/configured root, or a folder named mlruns that looks like one.
    for (let d = p; isInside(folder, d) || extraRoots.has(d) || known.has(d); d = path.dirname(d)) {
      if (known.has(d) || extraRoots.has(d) || (path.basename(d) === 'mlruns' && (await isMlflowFileStore(d)))) {
        if (fs.existsSync(d)) {
          fileStores.add(d);
        } else {
          databases.delete(d);
        }
        break;
      }
      if (d === path.dirname(d) || d === folder) {
        break;
      }
    }
  }
  // TensorBoard run dirs whose files all vanished are handled by ingestTensorboardRuns (reset/remove).
  return {
    fileStores: [...fileStores].sort(),
    databases: [...databases].sort(),
    tensorboard: [...tbDirs]
      .filter(d => fs.existsSync(d))
      .sort()
      .map(dir => ({ dir, root: tensorboardRootOf(dir, tbRoots, folder) })),
  };
}
