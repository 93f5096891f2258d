/**
 * MLflow FileStore (`mlruns/`) → store, incrementally.
 *
 * Ids (so they never collide with ML Sight's own runs, and stay stable when the tree is re-read):
 * - experiment `mlflow:<source>:<experiment id>`, where <source> is the workspace-relative path of the mlruns
 *   folder (or of mlflow.db for the SQLite store) and the experiment id is MLflow's, verbatim as a string
 *   (18-digit ids exceed Number.MAX_SAFE_INTEGER);
 * - run `mlflow:<run uuid>` (MLflow's 32-hex run id). A run that is present in two sources (e.g. a FileStore
 *   and the mlflow.db it was migrated to) is kept once, from the source that was ingested first; the other
 *   copy is skipped with one log line (runs.source_path tells which copy is shown);
 * - runs.source = 'mlflow', runs.source_path = the run folder (FileStore) or the database file (SQLite);
 * - registered models keep their MLflow names, with models.source = 'mlflow'.
 *
 * Format quirks handled (docs: formats-and-statistics.md §1, §8): 2-, 3- and 5-field metric lines (a 5-field
 * line's third field is its step), nan/inf/-inf values, keys with '/' (nested folders), run_name only in the
 * mlflow.runName tag, integer or quoted experiment ids, deleted runs (kept with lifecycle_stage 'deleted'),
 * `.trash` (deleted experiments: not loaded), `models/` (the registry, not an experiment), `tags`/`datasets`/
 * `traces`/`models` inside an experiment (not runs), an artifact_uri that no longer exists (the tree was moved:
 * `<run>/artifacts` is used instead), a run whose meta.yaml names another experiment (skipped, as MLflow does),
 * and a missing or malformed meta.yaml (one log line; the rest loads; reported again only when it changes).
 *
 * Metric files are append-only: their byte offsets are kept in ingest_state and only new complete lines are
 * read; a torn last line waits for the next pass. A file that shrank is read again from the start. The store
 * keeps only each metric's latest value (MLflow's rule): the series stays in its file, which is as durable as
 * the run itself, and charts read it from there (core/runs/history.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessagePort, Worker } from 'worker_threads';
import { fileURLToPath } from 'url';
import * as jsyaml from 'js-yaml';
import { Logger } from '../log';
import { WorkspaceStore } from '../store/store';
import {
  Batcher, IngestCounts, SOURCE_MLFLOW, emptyCounts, StateRow, Stmts, deleteStatePrefix, errText, flag, getState, joinRel, mapLimit,
  fileMtime, problem, putState, putStates, readDirOrEmpty, readDirSyncOrEmpty, readRangeSync, relPath, stateRowsWithPrefix, statOrUndefined,
  toIdString, toInt, toText, withStmts,
} from './common';
import {
  ArtifactRecord, applyOwnedModel, removeOwnedModel, DatasetRecord, ExperimentRecord, ModelRecord, ModelVersionRecord, RunRecord, TAG_DATASET_CONTEXT,
  TAG_GIT_BRANCH, TAG_GIT_COMMIT, TAG_GIT_DIRTY, TAG_NOTE, TAG_RUN_NAME, datasetRecord, deleteRun, experimentDiffers,
  ExperimentRow, mlflowStatus, upsertExperiment, writeRun,
} from './rows';
import { LatestPoint, scanMetricBuffer } from './metricLines';
import { LatestRow, deleteSeries, latestRow, writeLatestRows } from '../store/series';

export function mlflowExperimentId(sourceRel: string, experimentId: string): string { return `mlflow:${sourceRel}:${experimentId}`; }
export function mlflowRunId(runUuid: string): string { return `mlflow:${runUuid}`; }

/** Splits a store experiment id made by mlflowExperimentId. */
export function parseMlflowExperimentId(id: string): { source: string; experimentId: string } | undefined {
  if (!id.startsWith('mlflow:')) { return undefined; }
  const i = id.lastIndexOf(':');
  if (i <= 6) { return undefined; }
  return { source: id.slice(7, i), experimentId: id.slice(i + 1) };
}

/** MLflow's run id from a store run id made by mlflowRunId. */
export function parseMlflowRunId(id: string): string | undefined { return id.startsWith('mlflow:') ? id.slice(7) : undefined; }

/** Folders directly under an mlruns root that are not experiments. */
const NOT_EXPERIMENTS = new Set(['.trash', 'models']);
/** Folders directly under an experiment that are not runs (MLflow 2.10+/3). */
const NOT_RUNS = new Set(['tags', 'datasets', 'traces', 'models']);
/** Bytes read from a metric file per step (a bigger file is read in several steps, each written separately). */
const METRIC_CHUNK = 4 * 1024 * 1024;
const MAX_BAD_LINES_LOGGED = 3;

export interface FileStoreOptions {
  /** Partial pass: only folders for which this returns true are re-read (and may be removed). */
  touches?: (rel: string) => boolean;
  /** Most artifact entries recorded per run (default 1000). */
  maxArtifacts?: number;
  /** Runs read in parallel (default 8). */
  concurrency?: number;
  /**
   * A script that serves reader threads (the bundle of the CLI: `mlsight ingest-reader`, see serveMlflowReader).
   * When given, a full pass over at least `threadMinRuns` runs reads them in worker threads while this thread
   * writes what they read to the store; without it, or if a thread fails, runs are read in this thread.
   */
  readerScript?: string;
  /**
   * Reader threads (default 2, or none on a single core). Two readers and this thread writing measured fastest
   * on 2 cores: one reader alone was no faster than reading in this thread.
   */
  readerThreads?: number;
  /** Fewest runs for which reader threads are started (default 2000: below that they gained nothing here). */
  threadMinRuns?: number;
}

/** The argument that makes the CLI bundle serve a reader thread. */
export const READER_THREAD_ARG = 'ingest-reader';

/** True if `dir` looks like an MLflow FileStore root: some child folder (an experiment) has a meta.yaml. */
export async function isMlflowFileStore(dir: string): Promise<boolean> {
  for (const d of await readDirOrEmpty(dir)) {
    if (!d.isDirectory() || NOT_EXPERIMENTS.has(d.name)) { continue; }
    if (fs.existsSync(path.join(dir, d.name, 'meta.yaml'))) { return true; }
  }
  return false;
}

/**
 * YAML integers as bigint, so that 18-digit experiment ids survive (see toInt/toIdString). Decimal, 0x and 0o
 * forms, as in the YAML 1.2 core schema.
 */
const BIG_INT = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && /^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/.test(data),
  construct: (data: string) => {
    if (data.startsWith('0o')) { return BigInt(`0o${data.slice(2)}`); }
    const neg = data.startsWith('-');
    const v = BigInt(data.replace(/^[-+]/, ''));
    return neg ? -v : v;
  },
  predicate: (v: unknown) => typeof v === 'bigint',
  represent: (v: object) => String(v),
});
const META_SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [BIG_INT] });

/**
 * Parses a meta.yaml (MLflow writes them with PyYAML: flat mappings of scalars). js-yaml, because a cold ingest
 * parses one per run and it is several times faster than the `yaml` package here; integers are bigint.
 * Duplicate keys: the last wins (as PyYAML does).
 */
export function parseMetaYaml(text: string): Record<string, unknown> {
  const v = jsyaml.load(text, { schema: META_SCHEMA, json: true }) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) { throw new Error('not a YAML mapping'); }
  return v as Record<string, unknown>;
}

export { parseMetricLines } from './metricLines';

/** A file of a run folder; size and mtime are -1 until it is stat'ed (listKeyFiles) or opened (openWithStat). */
interface FileEntry { key: string; abs: string; rel: string; size: number; mtime: number }

/**
 * Files under `dir`, recursively; `key` joins nested folders with '/' (metric/param/tag keys containing '/').
 * Synchronous, like the rest of a run's reading (small folders; the pass yields between runs, see readRun).
 * Without `stat`, sizes and mtimes are left at -1: a run read for the first time takes them from the open file
 * (openWithStat), which saves a lookup by path per file.
 */
function listKeyFiles(dir: string, folder: string, stat = true, prefix = '', relDir = relPath(folder, dir)): FileEntry[] {
  const out: FileEntry[] = [];
  // relPath gives an absolute path for a folder outside the workspace; inside it, names are appended
  const outside = relDir.startsWith('/') || /^[A-Za-z]:/.test(relDir);
  for (const d of readDirSyncOrEmpty(dir)) {
    const abs = dir + path.sep + d.name;
    const key = prefix ? `${prefix}/${d.name}` : d.name;
    const rel = outside ? relPath(folder, abs) : `${relDir}/${d.name}`;
    if (d.isDirectory()) { out.push(...listKeyFiles(abs, folder, stat, key, rel)); continue; }
    if (!d.isFile()) { continue; }
    const f: FileEntry = { key, abs, rel, size: -1, mtime: -1 };
    if (stat && !statEntry(f)) { continue; }
    out.push(f);
  }
  return out;
}

/** Fills in the entry's size and mtime; false if the file is gone. */
function statEntry(f: FileEntry): boolean {
  try {
    const st = fs.statSync(f.abs);
    f.size = st.size;
    f.mtime = fileMtime(st);
    return true;
  } catch { return false; }
}

/** Opens a file and fills in the entry's size and mtime from the open file; undefined if it is gone. */
function openWithStat(f: FileEntry): number | undefined {
  let fd: number;
  try { fd = fs.openSync(f.abs, 'r'); } catch { return undefined; }
  try {
    const st = fs.fstatSync(fd);
    f.size = st.size;
    f.mtime = fileMtime(st);
    return fd;
  } catch { fs.closeSync(fd); return undefined; }
}

/** A small file's text; an entry not stat'ed yet gets its size and mtime from the open file. */
function readEntryText(f: FileEntry): string | undefined {
  if (f.size >= 0) {
    try { return fs.readFileSync(f.abs, 'utf8'); } catch { return undefined; }
  }
  const fd = openWithStat(f);
  if (fd === undefined) { return undefined; }
  try { return readRangeSync(fd, 0, f.size).toString('utf8'); } finally { fs.closeSync(fd); }
}

// ---------------------------------------------------------------------------------------------------------
// Work items: what a read pass found, applied to the store in batched, replay-safe mutations.

interface MetricChunk {
  fileRel: string;
  key: string;
  /** ingest_state.offset the read started from (0 when there was no row); the write is skipped if it moved. */
  expectedOffset: number;
  /** The read restarted at 0 (file shrank): the series is deleted first. */
  restart: boolean;
  state: StateRow;
  /**
   * The chunk's latest point (undefined when it has none). The store keeps only the latest value of an MLflow
   * FileStore metric: the full series stays in its file, which charts read (core/runs/history.ts).
   */
  latest: LatestPoint | undefined;
  /** Points in the chunk. */
  count: number;
}

type Work =
  | { kind: 'experiment'; exp: ExperimentRecord }
  | { kind: 'run'; runId: string; runRel: string; metaRel: string; exp: ExperimentRecord; record?: RunRecord; metaState: StateRow; metrics: MetricChunk[] }
  | { kind: 'marker'; state: StateRow }
  | { kind: 'deleteRun'; runId: string; runRel: string }
  | { kind: 'deleteExperiment'; expId: string; expRel: string }
  | { kind: 'deleteState'; prefix: string }
  | { kind: 'model'; model: ModelRecord; ownerPath: string; state: StateRow }
  | { kind: 'deleteModel'; ownerPath: string };

function weighWork(w: Work): number {
  // a run costs a few statements, and a row per param, tag and metric
  return w.kind === 'run' ? 10 + (w.record?.params?.length ?? 0) + (w.record?.tags?.length ?? 0) + 2 * w.metrics.length : 1;
}

/** Applies work items; `counts` is only passed on the first application (not on replays). */
function applyWorks(s: Stmts, works: Work[], counts: IngestCounts | undefined): void {
  for (const w of works) {
    switch (w.kind) {
      case 'experiment':
        if (upsertExperiment(s, w.exp) && counts) { counts.experiments++; }
        break;
      case 'marker':
        putState(s, w.state);
        break;
      case 'deleteState':
        deleteStatePrefix(s, w.prefix);
        break;
      case 'deleteRun': {
        const owner = s.get<{ source_path: string | null }>('SELECT source_path FROM runs WHERE id = ?', [w.runId]);
        if (owner && owner.source_path === w.runRel) {
          deleteRun(s, w.runId);
          if (counts) { counts.removedRuns++; counts.changedRuns.push(w.runId); }
        }
        deleteStatePrefix(s, `${w.runRel}/`);
        break;
      }
      case 'deleteExperiment': {
        const n = Number(s.scalar('SELECT count(*) FROM runs WHERE experiment_id = ?', [w.expId]) ?? 0);
        s.run('DELETE FROM experiments WHERE id = ?', [w.expId]);
        if (counts && s.changes() > 0) { counts.removedExperiments++; counts.removedRuns += n; }
        deleteStatePrefix(s, `${w.expRel}/`);
        break;
      }
      case 'run':
        applyRun(s, w, counts);
        break;
      case 'model':
        applyOwnedModel(s, w.model, w.ownerPath, w.state, counts);
        break;
      case 'deleteModel':
        removeOwnedModel(s, w.ownerPath);
        break;
    }
  }
}

function applyRun(s: Stmts, w: Extract<Work, { kind: 'run' }>, counts: IngestCounts | undefined): void {
  const owner = s.get<{ source_path: string | null }>('SELECT source_path FROM runs WHERE id = ?', [w.runId]);
  if (owner && owner.source_path !== w.runRel) {
    // Another source claimed this run id meanwhile: remember that we skipped it.
    putState(s, { ...w.metaState, line: -2 });
    return;
  }
  const metaNow = getState(s, w.metaRel);
  // read from scratch: the store's latest values of this run are dropped below, so first chunks need not look them up
  const freshRun = !!w.record && (!metaNow || metaNow.line < 0);
  // The experiment row is re-asserted here (a no-op when unchanged) so that a replay on a store written by
  // another process never fails on the runs → experiments foreign key.
  if (!s.seen(`experiment:${w.exp.id}`) && upsertExperiment(s, w.exp) && counts) { counts.experiments++; }
  if (w.record) {
    if (!metaNow || metaNow.line < 0) {
      // First time (or after the state was lost): whatever the store holds for this run is replaced.
      if (owner) { deleteSeries(s, w.runId); }
      deleteStatePrefix(s, `${w.runRel}/`);
    }
    // A run the store does not have yet has no rows to replace (they went with it: trigger runs_delete_children).
    writeRun(s, w.record, !owner);
    putState(s, w.metaState);
    if (counts) {
      counts.runs++;
      counts.params += w.record.params?.length ?? 0;
      counts.tags += w.record.tags?.length ?? 0;
    }
  } else if (!owner || !metaNow || metaNow.line < 0) {
    // The run row is gone (or was never written): forget the offsets so the next pass reads the run again.
    deleteStatePrefix(s, `${w.runRel}/`);
    return;
  }
  let changed = !!w.record;
  // First chunks of a run read from scratch: nothing to look up, written in a few multi-row statements (before
  // any later chunk of the same file, which checks the offset they leave).
  const freshLatest: LatestRow[] = [];
  const freshStates: StateRow[] = [];
  const writeFresh = () => {
    writeLatestRows(s, w.exp.id, freshLatest.splice(0));
    putStates(s, freshStates.splice(0));
  };
  for (const m of w.metrics) {
    if (freshRun && m.expectedOffset === 0 && !m.restart) {
      if (m.latest) { freshLatest.push(latestRow(w.runId, m.key, m.latest)); }
      freshStates.push(m.state);
    } else {
      writeFresh();
      const cur = getState(s, m.fileRel);
      if ((cur?.offset ?? 0) !== m.expectedOffset) { continue; } // already applied (replay) or the file was reset
      if (m.restart) { deleteSeries(s, w.runId, m.key); }
      if (m.latest) { writeLatestRows(s, w.exp.id, [latestRow(w.runId, m.key, m.latest)]); }
      putState(s, m.state);
    }
    if (counts) { counts.metricPoints += m.count; }
    changed = true;
  }
  writeFresh();
  if (changed && counts) { counts.changedRuns.push(w.runId); }
}

// ---------------------------------------------------------------------------------------------------------

/** What reading an mlruns tree needs: not the store itself, a snapshot of what it holds under this root. */
interface ReaderContext {
  log: Logger;
  counts: IngestCounts;
  folder: string;
  rootAbs: string;
  rootRel: string;
  state: Map<string, StateRow>;
  /** Store run id → source_path, for every MLflow run in the store. */
  owners: Map<string, string | null>;
  /** The store's experiments under this root, to tell whether one changed. */
  experiments: Map<string, ExperimentRow>;
  batch: { add(w: Work): void };
  touches: (rel: string) => boolean;
  maxArtifacts: number;
  /** performance.now() when the pass last yielded to the event loop */
  lastYield: number;
}

interface RootContext extends ReaderContext {
  store: WorkspaceStore;
  batch: Batcher<Work>;
}


/** An experiment folder and the run folders to read in it. */
interface ExperimentListing { name: string; expAbs: string; expRel: string; runNames: string[] }

interface ExperimentContext {
  record: ExperimentRecord;
  expId: string;
  mlflowExpId: string;
  expAbs: string;
  expRel: string;
  datasets?: Promise<Map<string, Record<string, unknown>>>;
}

/**
 * Ingests one mlruns folder (experiments, runs, registry). Removes what disappeared from it (in a partial
 * pass, only under touched folders).
 */
export async function ingestMlflowFileStore(store: WorkspaceStore, log: Logger, rootAbs: string, counts: IngestCounts, options: FileStoreOptions = {}): Promise<void> {
  const folder = store.folder;
  const rootRel = relPath(folder, rootAbs);
  counts.mlflowFileStores++;
  // Paths under the root start with `<root>/` ('' when the workspace folder itself is the mlruns folder).
  const prefix = rootRel === '.' ? '' : `${rootRel}/`;
  const expIdPrefix = mlflowExperimentId(rootRel, '');
  const { state, owners, experiments } = store.read(db => ({
    state: stateRowsWithPrefix(db, prefix),
    owners: new Map(db.all<{ id: string; source_path: string | null }>(`SELECT id, source_path FROM runs WHERE source = ?`, [SOURCE_MLFLOW]).map(r => [r.id, r.source_path])),
    experiments: new Map(db.all<ExperimentRow & { id: string }>(
      'SELECT id, name, source, artifact_location, lifecycle_stage, created_at FROM experiments WHERE substr(id, 1, length(?1)) = ?1', [expIdPrefix])
      .map(({ id, ...row }) => [id, row])),
  }));
  const ctx: RootContext = {
    store, log, counts, folder, rootAbs, rootRel, state, owners, experiments, batch: new Batcher<Work>(store, counts, applyWorks, weighWork),
    touches: options.touches ?? (() => true), maxArtifacts: options.maxArtifacts ?? 1000, lastYield: performance.now(),
  };
  const seenExperiments = new Set<string>();
  const seenRunDirs = new Set<string>();
  const expDirs = (await readDirOrEmpty(rootAbs)).filter(d => d.isDirectory() && !NOT_EXPERIMENTS.has(d.name) && !d.name.startsWith('.'));
  expDirs.sort((a, b) => a.name.localeCompare(b.name));
  const listing: ExperimentListing[] = [];
  for (const d of expDirs) {
    const expAbs = path.join(rootAbs, d.name);
    const expRel = joinRel(rootRel, d.name);
    seenExperiments.add(mlflowExperimentId(rootRel, d.name));
    const runDirs = (await readDirOrEmpty(expAbs)).filter(e => e.isDirectory() && !NOT_RUNS.has(e.name) && !e.name.startsWith('.'));
    for (const r of runDirs) { seenRunDirs.add(joinRel(expRel, r.name)); }
    if (!ctx.touches(expRel)) { continue; }
    listing.push({ name: d.name, expAbs, expRel, runNames: runDirs.filter(r => ctx.touches(joinRel(expRel, r.name))).map(r => r.name).sort((a, b) => a.localeCompare(b)) });
  }
  const runCount = listing.reduce((a, e) => a + e.runNames.length, 0);
  const threads = options.readerThreads ?? (os.cpus().length >= 2 ? 2 : 0);
  if (options.readerScript && threads > 0 && !options.touches && runCount >= (options.threadMinRuns ?? 2000)) {
    await readListingInThreads(ctx, listing, options.readerScript, threads, options.concurrency ?? 8);
  } else {
    await readListing(ctx, listing, options.concurrency ?? 8);
  }
  // What disappeared: runs and markers whose folder is gone, experiments whose folder is gone.
  for (const [p, row] of state) {
    if (!p.endsWith('/meta.yaml')) { continue; }
    const dir = p.slice(0, -'/meta.yaml'.length);
    const depth = dir.slice(prefix.length).split('/').length;
    if (depth !== 2 || seenRunDirs.has(dir) || !ctx.touches(dir)) { continue; }
    if (row.run_id) { ctx.batch.add({ kind: 'deleteRun', runId: row.run_id, runRel: dir }); } else { ctx.batch.add({ kind: 'deleteState', prefix: `${dir}/` }); }
  }
  for (const [id, src] of owners) {
    if (src && src.startsWith(prefix) && src.slice(prefix.length).split('/').length === 2 && !seenRunDirs.has(src) && ctx.touches(src)) {
      ctx.batch.add({ kind: 'deleteRun', runId: id, runRel: src });
    }
  }
  for (const id of experiments.keys()) {
    if (seenExperiments.has(id)) { continue; }
    const expRel = joinRel(rootRel, parseMlflowExperimentId(id)!.experimentId);
    if (ctx.touches(expRel)) { ctx.batch.add({ kind: 'deleteExperiment', expId: id, expRel }); }
  }
  ctx.batch.flush();
  await ingestFileRegistry(ctx);
  ctx.batch.flush();
}

/** Removes everything a FileStore root (no longer present) put in the store. */
export function removeMlflowSource(store: WorkspaceStore, sourceRel: string, counts: IngestCounts): void {
  let first = true;
  store.write(db => withStmts(db, s => {
    const expIds = s.all<{ id: string }>('SELECT id FROM experiments WHERE substr(id, 1, length(?1)) = ?1', [mlflowExperimentId(sourceRel, '')]).map(r => r.id);
    for (const id of expIds) {
      const n = Number(s.scalar('SELECT count(*) FROM runs WHERE experiment_id = ?', [id]) ?? 0);
      s.run('DELETE FROM experiments WHERE id = ?', [id]);
      if (first) { counts.removedExperiments++; counts.removedRuns += n; }
    }
    for (const m of s.all<{ path: string; run_id: string | null; line: number }>(
      `SELECT path, run_id, line FROM ingest_state WHERE substr(path, 1, length(?1)) = ?1 AND instr(path, '#model:') > 0`, [`${sourceRel}#`])) {
      if (m.run_id && m.line >= 0) { s.run('DELETE FROM models WHERE name = ? AND source = ?', [m.run_id, SOURCE_MLFLOW]); }
    }
    if (sourceRel === '.') {
      // The workspace folder itself was the mlruns folder: its rows are the ones that belong to MLflow runs.
      s.run(`DELETE FROM ingest_state WHERE instr(path, '#') = 0 AND (substr(run_id, 1, 7) = 'mlflow:' OR path LIKE '%/meta.yaml')`, []);
    } else {
      deleteStatePrefix(s, `${sourceRel}/`);
    }
    deleteStatePrefix(s, `${sourceRel}#`);
    s.run('DELETE FROM ingest_state WHERE path = ?', [sourceRel]);
    first = false;
  }));
}

async function readExperiment(ctx: ReaderContext, dirName: string, expAbs: string, expRel: string): Promise<ExperimentRecord | undefined> {
  const metaAbs = path.join(expAbs, 'meta.yaml');
  const metaRel = joinRel(expRel, 'meta.yaml');
  const st = await statOrUndefined(metaAbs);
  const prev = ctx.state.get(metaRel);
  const marker = (reason: string, level: 'warn' | 'error' = 'warn') => {
    const row: StateRow = { path: metaRel, offset: 0, size: st?.size ?? null, mtime_ms: st ? fileMtime(st) : null, line: -1, run_id: null };
    if (prev && prev.line === -1 && prev.size === row.size && prev.mtime_ms === row.mtime_ms) { return undefined; } // already reported
    problem(ctx.log, ctx.counts, level, `MLflow: ${metaRel}: ${reason}; experiment ${dirName} and its runs are skipped.`);
    ctx.batch.add({ kind: 'marker', state: row });
    return undefined;
  };
  if (!st) { return marker('missing (not an MLflow experiment folder?)'); }
  let meta: Record<string, unknown>;
  try {
    const text = await fs.promises.readFile(metaAbs, 'utf8');
    ctx.counts.filesRead++;
    ctx.counts.bytesRead += st.size;
    if (text.trim() === '') { return undefined; } // being written: MLflow itself retries an empty read
    meta = parseMetaYaml(text);
  } catch (e) { return marker(`not valid YAML (${errText(e).split('\n')[0]})`); }
  const id = toIdString(meta.experiment_id);
  if (id !== undefined && id !== dirName) { return marker(`experiment_id ${id} does not match the folder name`); }
  const name = toText(meta.name);
  if (name === undefined) { return marker('has no experiment name'); }
  if (prev && prev.line === -1) { ctx.batch.add({ kind: 'deleteState', prefix: metaRel }); }
  const exp: ExperimentRecord = {
    id: mlflowExperimentId(ctx.rootRel, dirName),
    name,
    source: SOURCE_MLFLOW,
    artifactLocation: toText(meta.artifact_location) ?? null,
    lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    createdAt: toInt(meta.creation_time) ?? null,
  };
  if (experimentDiffers(ctx.experiments.get(exp.id), exp)) { ctx.batch.add({ kind: 'experiment', exp }); }
  return exp;
}

/** A folder that should have been a run (32-hex name or run sub-folders), to decide whether a missing meta.yaml is worth a warning. */
function looksLikeRun(name: string, abs: string): boolean {
  if (/^[0-9a-f]{32}$/i.test(name)) { return true; }
  return ['metrics', 'params'].some(n => fs.existsSync(path.join(abs, n)));
}

/** Run folders to read, by experiment. */
type RunsToRead = { exp: ExperimentContext; names: string[] }[];

/** Reads the listed experiments (an experiment that cannot be read is skipped with its runs). */
async function readExperiments(ctx: ReaderContext, listing: readonly ExperimentListing[]): Promise<RunsToRead> {
  const out: RunsToRead = [];
  for (const e of listing) {
    const exp = await readExperiment(ctx, e.name, e.expAbs, e.expRel);
    if (exp) { out.push({ exp: { record: exp, expId: exp.id, mlflowExpId: e.name, expAbs: e.expAbs, expRel: e.expRel }, names: e.runNames }); }
  }
  return out;
}

/** Reads runs in this thread. */
async function readRuns(ctx: ReaderContext, runs: RunsToRead, concurrency: number): Promise<void> {
  for (const { exp, names } of runs) { await mapLimit(names, concurrency, name => readRun(ctx, exp, name)); }
}

/** Reads the listed experiments and their runs (in this thread). */
async function readListing(ctx: ReaderContext, listing: readonly ExperimentListing[], concurrency: number): Promise<void> {
  await readRuns(ctx, await readExperiments(ctx, listing), concurrency);
}

/** The runs a reader thread reads, and the snapshot of the store it reads them against. */
interface ReaderJob extends Pick<ReaderContext, 'folder' | 'rootAbs' | 'rootRel' | 'maxArtifacts' | 'state' | 'owners' | 'experiments'> {
  runs: RunsToRead;
}

type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Reader thread → this thread: work items to apply with the log lines that came with them, then the counts. */
type ReaderMessage =
  | { type: 'works'; works: Work[]; logs: [LogLevel, string][] }
  | { type: 'done'; counts: Pick<IngestCounts, 'filesRead' | 'bytesRead' | 'problems' | 'duplicateRuns'>; logs: [LogLevel, string][] };

/**
 * Reads the runs of a full pass in worker threads: the experiments are read here, their runs are split between
 * the threads, and what the threads read comes back as work items that this thread applies to the store as it
 * arrives (the store is only ever written here). Work items are replay-safe, so the runs of a thread that fails
 * are simply read again in this thread.
 */
async function readListingInThreads(ctx: RootContext, listing: readonly ExperimentListing[], script: string, threads: number, concurrency: number): Promise<void> {
  const runs = await readExperiments(ctx, listing);
  // contiguous parts with about the same number of runs
  const flat = runs.flatMap(r => r.names.map(name => ({ exp: r.exp, name })));
  const size = Math.max(1, Math.ceil(flat.length / Math.max(1, threads)));
  const parts: RunsToRead[] = [];
  for (let i = 0; i < flat.length; i += size) {
    const part: RunsToRead = [];
    for (const { exp, name } of flat.slice(i, i + size)) {
      const last = part[part.length - 1];
      if (last && last.exp === exp) { last.names.push(name); } else { part.push({ exp, names: [name] }); }
    }
    parts.push(part);
  }
  // smaller writes: the store is written while the threads read, not after they are done
  ctx.batch.maxItems = THREADED_WRITE_ITEMS;
  const base = { folder: ctx.folder, rootAbs: ctx.rootAbs, rootRel: ctx.rootRel, maxArtifacts: ctx.maxArtifacts, state: ctx.state, owners: ctx.owners, experiments: ctx.experiments };
  const results = await Promise.allSettled(parts.map(async part => {
    try { await runReaderThread(ctx, script, { ...base, runs: part }); } catch (e) {
      if (e instanceof StoreWriteError) { throw e.storeError; }
      ctx.log.warn(`MLflow: a reader thread failed (${errText(e)}); its runs are read again in the extension's own thread.`);
      await readRuns(ctx, part, concurrency);
    }
  }));
  for (const r of results) { if (r.status === 'rejected') { throw r.reason; } }
}

/** Runs per store write while reader threads read (a few dozen milliseconds of writing each). */
const THREADED_WRITE_ITEMS = 200;

/** A store write that failed while a reader thread's work was applied (not the thread's failure). */
class StoreWriteError extends Error { constructor(readonly storeError: unknown) { super(errText(storeError)); } }

function runReaderThread(ctx: RootContext, script: string, job: ReaderJob): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: unknown) => {
      if (settled) { return; }
      settled = true;
      if (e === undefined) { resolve(); } else { reject(e); }
    };
    const worker = new Worker(script, { argv: [READER_THREAD_ARG], workerData: job, stdout: true, stderr: true });
    worker.on('message', (m: ReaderMessage) => {
      if (settled) { return; }
      try {
        for (const [level, message] of m.logs) { ctx.log[level](message); }
        if (m.type === 'works') {
          for (const w of m.works) { ctx.batch.add(w); }
        } else {
          ctx.counts.filesRead += m.counts.filesRead;
          ctx.counts.bytesRead += m.counts.bytesRead;
          ctx.counts.problems += m.counts.problems;
          ctx.counts.duplicateRuns += m.counts.duplicateRuns;
          settle();
        }
      } catch (e) {
        settle(new StoreWriteError(e));
        void worker.terminate();
      }
    });
    worker.on('error', e => settle(e));
    worker.on('exit', code => settle(settled ? undefined : new Error(`the thread exited (code ${code}) before it finished`)));
  });
}

/**
 * A reader thread (run by the CLI bundle with READER_THREAD_ARG): reads the runs of its job and posts the work
 * items, in messages of a few dozen runs, to the thread that writes the store.
 */
export async function serveMlflowReader(port: MessagePort, job: ReaderJob): Promise<void> {
  const logs: [LogLevel, string][] = [];
  let works: Work[] = [];
  const post = () => {
    port.postMessage({ type: 'works', works, logs: logs.splice(0) } satisfies ReaderMessage);
    works = [];
  };
  const log: Logger = {
    trace: m => logs.push(['trace', m]), debug: m => logs.push(['debug', m]), info: m => logs.push(['info', m]),
    warn: m => logs.push(['warn', m]), error: m => logs.push(['error', m]),
  };
  const counts = emptyCounts();
  const ctx: ReaderContext = {
    log, counts, folder: job.folder, rootAbs: job.rootAbs, rootRel: job.rootRel, state: job.state, owners: job.owners,
    experiments: job.experiments, touches: () => true, maxArtifacts: job.maxArtifacts, lastYield: performance.now(),
    batch: { add: w => { works.push(w); if (works.length >= 50) { post(); } } },
  };
  await readRuns(ctx, job.runs, 1);
  post();
  const { filesRead, bytesRead, problems, duplicateRuns } = counts;
  port.postMessage({ type: 'done', counts: { filesRead, bytesRead, problems, duplicateRuns }, logs: logs.splice(0) } satisfies ReaderMessage);
}

/** Lets the event loop run (other extensions, UI requests) at least every 25 ms of a long pass. */
async function maybeYield(ctx: ReaderContext): Promise<void> {
  const now = performance.now();
  if (now - ctx.lastYield < 25) { return; }
  await new Promise(resolve => setImmediate(resolve));
  ctx.lastYield = performance.now();
}

async function readRun(ctx: ReaderContext, exp: ExperimentContext, dirName: string): Promise<void> {
  const runAbs = path.join(exp.expAbs, dirName);
  const runRel = joinRel(exp.expRel, dirName);
  const metaRel = `${runRel}/meta.yaml`;
  const prev = ctx.state.get(metaRel);
  const runId = mlflowRunId(dirName);
  await maybeYield(ctx);
  let metaSt: fs.Stats | undefined;
  try { metaSt = fs.statSync(path.join(runAbs, 'meta.yaml')); } catch { metaSt = undefined; }
  if (!metaSt) {
    if (prev && prev.line === -1 && prev.size === null) { return; }
    if (looksLikeRun(dirName, runAbs)) {
      problem(ctx.log, ctx.counts, 'warn', `MLflow: ${metaRel}: missing; this run is skipped until it appears.`);
    }
    ctx.batch.add({ kind: 'marker', state: { path: metaRel, offset: 0, size: null, mtime_ms: null, line: -1, run_id: null } });
    return;
  }
  const owner = ctx.owners.get(runId);
  // A run seen for the first time is read whole: its files are stat'ed as they are opened.
  const firstRead = !prev && (!owner || owner === runRel);
  const [params, tags] = ['params', 'tags'].map(n => listKeyFiles(runAbs + path.sep + n, ctx.folder, !firstRead));
  const inputs = listKeyFiles(runAbs + path.sep + 'inputs', ctx.folder);
  const others = [...params, ...tags, ...inputs];
  // The run's fingerprint: meta.yaml, and the sizes and mtimes of its params, tags and inputs.
  const fingerprint = (): StateRow => {
    let mtime = fileMtime(metaSt);
    let size = 0;
    let files = 0;
    for (const f of others) {
      if (f.size < 0 && !statEntry(f)) { continue; } // vanished meanwhile
      if (f.mtime > mtime) { mtime = f.mtime; }
      size += f.size;
      files++;
    }
    return { path: metaRel, size: metaSt.size, mtime_ms: mtime, offset: size, line: files, run_id: runId };
  };
  const fp0 = firstRead ? undefined : fingerprint();
  const sameFp = !!prev && !!fp0 && prev.size === fp0.size && prev.mtime_ms === fp0.mtime_ms && prev.offset === fp0.offset && prev.line === fp0.line;
  if (owner && owner !== runRel) {
    const fp = fp0!;
    if (prev && prev.line === -2 && prev.size === fp.size && prev.mtime_ms === fp.mtime_ms) { return; }
    ctx.counts.duplicateRuns++;
    ctx.log.info(`MLflow: run ${dirName} in ${runRel} is also in ${owner}; the copy in ${owner} is shown, this one is skipped.`);
    ctx.batch.add({ kind: 'marker', state: { ...fp, line: -2 } });
    return;
  }
  let record: RunRecord | undefined;
  if (!sameFp || !prev || prev.run_id !== runId || !owner) {
    const badMarker = (reason: string) => {
      const fp = fp0 ?? fingerprint();
      if (prev && prev.line === -1 && prev.size === fp.size && prev.mtime_ms === fp.mtime_ms) { return; }
      problem(ctx.log, ctx.counts, 'warn', `MLflow: ${metaRel}: ${reason}; this run is skipped until the file changes.`);
      ctx.batch.add({ kind: 'marker', state: { ...fp, line: -1, run_id: null } });
    };
    let meta: Record<string, unknown>;
    try {
      const text = fs.readFileSync(path.join(runAbs, 'meta.yaml'), 'utf8');
      ctx.counts.filesRead++;
      ctx.counts.bytesRead += metaSt.size;
      if (text.trim() === '') { return; } // being rewritten; MLflow itself retries an empty read
      meta = parseMetaYaml(text);
    } catch (e) { badMarker(`not valid YAML (${errText(e).split('\n')[0]})`); return; }
    const metaExp = toIdString(meta.experiment_id);
    if (metaExp !== undefined && metaExp !== exp.mlflowExpId) {
      badMarker(`experiment_id ${metaExp} does not match the experiment folder ${exp.mlflowExpId} (MLflow ignores such runs too)`);
      return;
    }
    record = await buildRunRecord(ctx, exp, runAbs, runRel, runId, meta, params, tags, inputs);
  }
  // taken after the files were read (a first read stat'ed them as it opened them)
  const fp = fp0 ?? fingerprint();
  const metrics = listKeyFiles(runAbs + path.sep + 'metrics', ctx.folder, !firstRead);
  const chunks: MetricChunk[] = [];
  for (const f of metrics) {
    // a first read opens the file before it knows its size
    let fd = f.size < 0 ? openWithStat(f) : undefined;
    if (f.size < 0) { continue; } // vanished meanwhile
    const st = ctx.state.get(f.rel);
    // When the run is (re)read from scratch, metric files are too.
    const fresh = !!record && (!prev || prev.line < 0);
    let offset = fresh ? 0 : st?.offset ?? 0;
    let line = fresh ? 0 : st?.line ?? 0;
    let restart = false;
    if (f.size < offset) { offset = 0; line = 0; restart = true; }
    if (f.size === offset) { if (fd !== undefined) { fs.closeSync(fd); } continue; }
    // A fresh read replaces the run's metrics and offsets in the same write, so its first chunk expects 0.
    const expectedOffset = fresh ? 0 : st?.offset ?? 0;
    // Synchronous reads: metric files are small and many, and a thread-pool round trip per call costs more
    // than the read itself. The pass yields to the event loop between runs (see readRun).
    if (fd === undefined) {
      try { fd = fs.openSync(f.abs, 'r'); } catch { continue; }
    }
    try {
      let expected = expectedOffset;
      let badLogged = 0;
      let badTotal = 0;
      while (offset < f.size) {
        const want = Math.min(METRIC_CHUNK, f.size - offset);
        const buf = readRangeSync(fd, offset, want);
        ctx.counts.bytesRead += buf.length;
        let end = buf.lastIndexOf(0x0a);
        if (end < 0) {
          if (buf.length < METRIC_CHUNK) { break; } // a torn last line: wait for the rest
          problem(ctx.log, ctx.counts, 'warn', `MLflow: ${f.rel}: a line longer than ${METRIC_CHUNK} bytes at byte ${offset}; the rest of this metric file is skipped.`);
          end = buf.length - 1; // consume it all, so the warning is not repeated
        }
        const consumed = end + 1;
        const parsed = scanMetricBuffer(buf, consumed, line + 1);
        for (const b of parsed.bad) {
          badTotal++;
          if (badLogged++ < MAX_BAD_LINES_LOGGED) {
            problem(ctx.log, ctx.counts, 'warn', `MLflow: ${f.rel}:${b.line}: not a metric line (${b.reason}): ${JSON.stringify(b.text.slice(0, 80))}; skipped.`);
          }
        }
        offset += consumed;
        line += parsed.lines;
        chunks.push({
          fileRel: f.rel, key: f.key, expectedOffset: expected, restart: restart && expected === expectedOffset,
          state: { path: f.rel, offset, size: f.size, mtime_ms: f.mtime, line, run_id: runId }, latest: parsed.latest, count: parsed.count,
        });
        expected = offset;
        if (consumed < buf.length && offset + (buf.length - consumed) >= f.size) { break; } // torn tail
      }
      if (badTotal > MAX_BAD_LINES_LOGGED) {
        problem(ctx.log, ctx.counts, 'warn', `MLflow: ${f.rel}: ${badTotal - MAX_BAD_LINES_LOGGED} more lines that are not metric lines were skipped.`);
      }
      ctx.counts.filesRead++;
    } finally { fs.closeSync(fd); }
  }
  if (chunks.length || record) { ctx.batch.add({ kind: 'run', runId, runRel, metaRel, exp: exp.record, record, metaState: fp, metrics: chunks }); }
}

async function buildRunRecord(ctx: ReaderContext, exp: ExperimentContext, runAbs: string, runRel: string, runId: string,
  meta: Record<string, unknown>, params: FileEntry[], tags: FileEntry[], inputs: FileEntry[]): Promise<RunRecord> {
  const readAll = async (files: FileEntry[]) => {
    const out: [string, string][] = [];
    for (const f of files) {
      const text = readEntryText(f);
      if (text === undefined) { continue; } // vanished meanwhile
      out.push([f.key, text]);
      ctx.counts.filesRead++;
      ctx.counts.bytesRead += f.size;
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  };
  const paramKv = await readAll(params);
  const tagKv = await readAll(tags);
  const tagMap = new Map(tagKv);
  const runName = toText(meta.run_name) || tagMap.get(TAG_RUN_NAME) || null;
  const artifactDir = resolveArtifactDir(toText(meta.artifact_uri), runAbs);
  const artifacts = artifactDir ? await listArtifacts(ctx, artifactDir) : [];
  const datasets = await readInputs(exp, inputs);
  return {
    id: runId,
    experimentId: exp.expId,
    name: runName,
    status: mlflowStatus(meta.status),
    startTime: toInt(meta.start_time) ?? null,
    endTime: toInt(meta.end_time) ?? null,
    source: SOURCE_MLFLOW,
    sourcePath: runRel,
    description: tagMap.get(TAG_NOTE) ?? null,
    gitCommit: tagMap.get(TAG_GIT_COMMIT) ?? null,
    gitBranch: tagMap.get(TAG_GIT_BRANCH) ?? null,
    gitDirty: flag(tagMap.get(TAG_GIT_DIRTY)),
    lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    params: paramKv,
    tags: tagKv,
    artifacts,
    datasets,
  };
}

/**
 * The run's artifact folder: the artifact_uri from meta.yaml when it is a local path that exists, else
 * `<run>/artifacts` (the mlruns tree was moved or copied from another machine). Remote URIs (s3://…) → the
 * local fallback if present, else nothing.
 */
export function resolveArtifactDir(uri: string | undefined, runAbs: string): string | undefined {
  const candidates: string[] = [];
  if (uri) {
    try {
      if (uri.startsWith('file:')) { candidates.push(fileURLToPath(uri)); } else if (path.isAbsolute(uri)) { candidates.push(uri); }
    } catch { /* not a valid file URI */ }
  }
  candidates.push(path.join(runAbs, 'artifacts'));
  for (const c of candidates) {
    try { if (fs.statSync(c).isDirectory()) { return c; } } catch { /* try the next */ }
  }
  return undefined;
}

/**
 * Lists a run's artifacts: files with sizes, and a 'model' entry for each folder holding an MLmodel file.
 * `artifacts.path` is workspace-relative (absolute when the artifacts live outside the workspace), so the
 * Runs view can open it directly.
 */
async function listArtifacts(ctx: ReaderContext, dir: string): Promise<ArtifactRecord[]> {
  const out: ArtifactRecord[] = [];
  const queue: [string, number][] = [[dir, 0]];
  while (queue.length && out.length < ctx.maxArtifacts) {
    const [d, depth] = queue.shift()!;
    const entries = readDirSyncOrEmpty(d);
    if (d !== dir && entries.some(e => e.isFile() && e.name === 'MLmodel')) {
      out.push({ path: relPath(ctx.folder, d), kind: 'model', size: null });
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= ctx.maxArtifacts) { break; }
      const abs = path.join(d, e.name);
      if (e.isDirectory()) { if (depth < 8) { queue.push([abs, depth + 1]); } continue; }
      if (!e.isFile()) { continue; }
      let size: number | null = null;
      try { size = fs.statSync(abs).size; } catch { /* vanished meanwhile */ }
      out.push({ path: relPath(ctx.folder, abs), kind: 'file', size });
    }
  }
  return out;
}

/** Run inputs (`inputs/<id>/meta.yaml`) joined with the experiment's `datasets/<id>/meta.yaml`. */
async function readInputs(exp: ExperimentContext, inputs: FileEntry[]): Promise<DatasetRecord[]> {
  const metas = inputs.filter(f => f.key.endsWith('/meta.yaml') && f.key.split('/').length === 2);
  if (metas.length === 0) { return []; }
  // one read per experiment, shared by runs read concurrently (a half-filled map would drop their datasets)
  exp.datasets ??= (async () => {
    const map = new Map<string, Record<string, unknown>>();
    for (const d of await readDirOrEmpty(path.join(exp.expAbs, 'datasets'))) {
      if (!d.isDirectory()) { continue; }
      try {
        map.set(d.name, parseMetaYaml(await fs.promises.readFile(path.join(exp.expAbs, 'datasets', d.name, 'meta.yaml'), 'utf8')));
      } catch { /* an unreadable dataset entry: its inputs are skipped */ }
    }
    return map;
  })();
  const datasets = await exp.datasets;
  const out: DatasetRecord[] = [];
  for (const f of metas) {
    try {
      const input = parseMetaYaml(await fs.promises.readFile(f.abs, 'utf8'));
      // destination_id holds the dataset id (an MLflow bug, §8.4): the run is the folder the input sits in.
      const sourceId = toText(input.source_id);
      const ds = sourceId ? datasets.get(sourceId) : undefined;
      if (!ds) { continue; }
      const tags = input.tags && typeof input.tags === 'object' ? input.tags as Record<string, unknown> : {};
      const rec = datasetRecord(ds, toText(tags[TAG_DATASET_CONTEXT]) || 'input');
      if (rec) { out.push(rec); }
    } catch { /* skip a malformed input */ }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Registry: mlruns/models/<name>/{meta.yaml, tags/, aliases/, version-<n>/{meta.yaml, tags/}}

async function ingestFileRegistry(ctx: RootContext): Promise<void> {
  const modelsAbs = path.join(ctx.rootAbs, 'models');
  const modelsRel = joinRel(ctx.rootRel, 'models');
  const ownerPrefix = `${ctx.rootRel}#model:`;
  const owned = ctx.store.read(db => stateRowsWithPrefix(db, ownerPrefix));
  const seen = new Set<string>();
  if (ctx.touches(modelsRel)) {
    for (const d of await readDirOrEmpty(modelsAbs)) {
      if (!d.isDirectory()) { continue; }
      const ownerPath = ownerPrefix + d.name;
      seen.add(ownerPath);
      const dirAbs = path.join(modelsAbs, d.name);
      const files = listKeyFiles(dirAbs, ctx.folder);
      const fp: StateRow = {
        path: ownerPath, size: files.length, mtime_ms: Math.max(0, ...files.map(f => f.mtime)),
        offset: files.reduce((a, f) => a + f.size, 0), line: 0, run_id: null,
      };
      const prev = owned.get(ownerPath);
      const same = prev && prev.size === fp.size && prev.mtime_ms === fp.mtime_ms && prev.offset === fp.offset;
      if (same && (prev.line === 0 || prev.line === -1)) { continue; } // unchanged (owned, or reported unreadable)
      let model: ModelRecord;
      try {
        model = await readFileModel(ctx, d.name, files);
      } catch (e) {
        problem(ctx.log, ctx.counts, 'warn', `MLflow: ${joinRel(modelsRel, d.name)}: registered model not readable (${errText(e).split('\n')[0]}); skipped until it changes.`);
        ctx.batch.add({ kind: 'marker', state: { ...fp, line: -1 } });
        continue;
      }
      fp.run_id = model.name;
      const conflict = ctx.store.read(db => {
        const cur = db.get<{ source: string }>('SELECT source FROM models WHERE name = ?', [model.name]);
        if (cur && cur.source !== SOURCE_MLFLOW) { return `a model named ${JSON.stringify(model.name)} is already in ML Sight's own registry`; }
        const other = db.get<{ path: string }>(`SELECT path FROM ingest_state WHERE run_id = ? AND instr(path, '#model:') > 0 AND path <> ? AND line >= 0`, [model.name, ownerPath]);
        return other ? `a model named ${JSON.stringify(model.name)} is already read from ${other.path.slice(0, other.path.indexOf('#model:'))}` : undefined;
      });
      if (conflict) {
        if (!(prev?.line === -2 && same)) {
          problem(ctx.log, ctx.counts, 'warn', `MLflow: ${joinRel(modelsRel, d.name)}: ${conflict}; this registered model is not shown.`);
          ctx.batch.add({ kind: 'marker', state: { ...fp, line: -2 } });
        }
        continue;
      }
      ctx.batch.add({ kind: 'model', model, ownerPath, state: fp });
    }
  }
  for (const p of owned.keys()) {
    if (seen.has(p) || !ctx.touches(modelsRel)) { continue; }
    ctx.batch.add({ kind: 'deleteModel', ownerPath: p });
  }
}

async function readFileModel(ctx: RootContext, dirName: string, files: FileEntry[]): Promise<ModelRecord> {
  const read = async (f: FileEntry) => { ctx.counts.filesRead++; ctx.counts.bytesRead += f.size; return fs.promises.readFile(f.abs, 'utf8'); };
  const metaFile = files.find(f => f.key === 'meta.yaml');
  if (!metaFile) { throw new Error('meta.yaml is missing'); }
  const meta = parseMetaYaml(await read(metaFile));
  const name = toText(meta.name) ?? dirName;
  const tags: [string, string][] = [];
  const aliases: [string, number][] = [];
  const versionTags = new Map<number, [string, string][]>();
  const versions: ModelVersionRecord[] = [];
  for (const f of files) {
    const parts = f.key.split('/');
    if (parts[0] === 'tags' && parts.length > 1) { tags.push([parts.slice(1).join('/'), await read(f)]); continue; }
    if (parts[0] === 'aliases' && parts.length === 2) {
      // MLflow compares alias file contents as strings ("3"); tolerate a trailing newline when reading.
      const v = toInt((await read(f)).trim());
      if (v !== undefined) { aliases.push([parts[1], v]); }
      continue;
    }
    const vm = /^version-(\d+)$/.exec(parts[0]);
    if (!vm) { continue; }
    const n = Number(vm[1]);
    if (parts[1] === 'tags' && parts.length > 2) {
      const list = versionTags.get(n) ?? [];
      list.push([parts.slice(2).join('/'), await read(f)]);
      versionTags.set(n, list);
    } else if (parts[1] === 'meta.yaml' && parts.length === 2) {
      let vmeta: Record<string, unknown>;
      try { vmeta = parseMetaYaml(await read(f)); } catch (e) {
        problem(ctx.log, ctx.counts, 'warn', `MLflow: ${f.rel}: not valid YAML (${errText(e).split('\n')[0]}); this model version is skipped.`);
        continue;
      }
      const stage = toText(vmeta.current_stage) ?? 'None';
      if (stage === 'Deleted_Internal') { continue; }
      const runUuid = toText(vmeta.run_id);
      versions.push({
        version: toInt(vmeta.version) ?? n,
        runId: runUuid ? mlflowRunId(runUuid) : null,
        sourceUri: toText(vmeta.source) ?? null,
        gitCommit: null,
        description: toText(vmeta.description) || null,
        stage,
        status: toText(vmeta.status) ?? 'READY',
        createdAt: toInt(vmeta.creation_timestamp) ?? null,
        tags: [],
      });
    }
  }
  for (const v of versions) { v.tags = (versionTags.get(v.version) ?? []).sort(); }
  versions.sort((a, b) => a.version - b.version);
  return {
    name,
    description: toText(meta.description) || null,
    createdAt: toInt(meta.creation_timestamp) ?? null,
    updatedAt: toInt(meta.last_updated_timestamp) ?? null,
    tags: tags.sort(),
    versions,
    aliases: aliases.sort(),
  };
}
