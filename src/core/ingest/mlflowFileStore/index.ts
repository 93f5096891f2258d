/**
 * MLflow FileStore (`mlruns/`) → store, incrementally. This folder: ids.ts (ids, meta.yaml), listing.ts (which
 * folders are experiments and runs), files.ts (a run folder's files), work.ts (work items, contexts), runs.ts
 * (reading experiments and runs), threads.ts (reader threads), registry.ts (registered models), and here the pass
 * itself (what to read, where, and what disappeared).
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
import * as os from 'os';
import { Logger } from '../../log';
import { WorkspaceStore } from '../../store/store';
import {
  IngestCounts,
  SOURCE_MLFLOW,
  deleteStatePrefix,
  joinRel,
  relPath,
  stateRowsWithPrefix,
  withStmts,
} from '../common';
import { ExperimentRow } from '../rows';
import { mlflowExperimentId, parseMlflowExperimentId } from './ids';
import { listTree } from './listing';
import { ingestFileRegistry } from './registry';
import { readListing } from './runs';
import { readListingInThreads } from './threads';
import { RootContext, fileStoreBatcher } from './work';

export { isMlflowFileStore } from './listing';
export { mlflowExperimentId, mlflowRunId, parseMetaYaml, parseMlflowExperimentId, parseMlflowRunId } from './ids';
export { resolveArtifactDir } from './runs';
export { READER_THREAD_ARG, serveMlflowReader } from './threads';
export { parseMetricLines } from '../metricLines';

export interface FileStoreOptions {
  /** Partial pass: only folders for which this returns true are re-read (and may be removed). */
  touches?: (rel: string) => boolean;
  /** Most artifact entries recorded per run (default 1000). */
  maxArtifacts?: number;
  /** Runs read in parallel (default 8). */
  concurrency?: number;
  /**
   * A script that serves reader threads (the worker bundle dist/worker.js, see serveMlflowReader).
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

/**
 * Ingests one mlruns folder (experiments, runs, registry). Removes what disappeared from it (in a partial
 * pass, only under touched folders).
 */
export async function ingestMlflowFileStore(
  store: WorkspaceStore,
  log: Logger,
  rootAbs: string,
  counts: IngestCounts,
  options: FileStoreOptions = {},
): Promise<void> {
  const folder = store.folder;
  const rootRel = relPath(folder, rootAbs);
  counts.mlflowFileStores++;
  // Paths under the root start with `<root>/` ('' when the workspace folder itself is the mlruns folder).
  const prefix = rootRel === '.' ? '' : `${rootRel}/`;
  const expIdPrefix = mlflowExperimentId(rootRel, '');
  const { state, owners, experiments } = store.read(db => ({
    state: stateRowsWithPrefix(db, prefix),
    owners: new Map(
      db
        .all<{ id: string; source_path: string | null }>(`SELECT id, source_path FROM runs WHERE source = ?`, [
          SOURCE_MLFLOW,
        ])
        .map(r => [r.id, r.source_path]),
    ),
    experiments: new Map(
      db
        .all<ExperimentRow & { id: string }>(
          'SELECT id, name, source, artifact_location, lifecycle_stage, created_at FROM experiments WHERE substr(id, 1, length(?1)) = ?1',
          [expIdPrefix],
        )
        .map(({ id, ...row }) => [id, row]),
    ),
  }));
  const ctx: RootContext = {
    store,
    log,
    counts,
    folder,
    rootAbs,
    rootRel,
    state,
    owners,
    experiments,
    batch: fileStoreBatcher(store, counts),
    touches: options.touches ?? (() => true),
    maxArtifacts: options.maxArtifacts ?? 1000,
    lastYield: performance.now(),
  };
  const { listing, seenExperiments, seenRunDirs } = await listTree(rootAbs, rootRel, ctx.touches);
  const runCount = listing.reduce((a, e) => a + e.runNames.length, 0);
  const threads = options.readerThreads ?? (os.cpus().length >= 2 ? 2 : 0);
  if (options.readerScript && threads > 0 && !options.touches && runCount >= (options.threadMinRuns ?? 2000)) {
    await readListingInThreads(ctx, listing, options.readerScript, threads, options.concurrency ?? 8);
  } else {
    await readListing(ctx, listing, options.concurrency ?? 8);
  }
  // What disappeared: runs and markers whose folder is gone, experiments whose folder is gone.
  for (const [p, row] of state) {
    if (!p.endsWith('/meta.yaml')) {
      continue;
    }
    const dir = p.slice(0, -'/meta.yaml'.length);
    const depth = dir.slice(prefix.length).split('/').length;
    if (depth !== 2 || seenRunDirs.has(dir) || !ctx.touches(dir)) {
      continue;
    }
    if (row.run_id) {
      ctx.batch.add({ kind: 'deleteRun', runId: row.run_id, ownedBy: dir, forget: { prefix: `${dir}/` } });
    } else {
      ctx.batch.add({ kind: 'forgetState', forget: { prefix: `${dir}/` } });
    }
  }
  for (const [id, src] of owners) {
    if (
      src &&
      src.startsWith(prefix) &&
      src.slice(prefix.length).split('/').length === 2 &&
      !seenRunDirs.has(src) &&
      ctx.touches(src)
    ) {
      ctx.batch.add({ kind: 'deleteRun', runId: id, ownedBy: src, forget: { prefix: `${src}/` } });
    }
  }
  for (const id of experiments.keys()) {
    if (seenExperiments.has(id)) {
      continue;
    }
    const expRel = joinRel(rootRel, parseMlflowExperimentId(id)!.experimentId);
    if (ctx.touches(expRel)) {
      ctx.batch.add({ kind: 'deleteExperiment', expId: id, forget: { prefix: `${expRel}/` } });
    }
  }
  ctx.batch.flush();
  await ingestFileRegistry(ctx);
  ctx.batch.flush();
}

/** Removes everything a FileStore root (no longer present) put in the store. */
export function removeMlflowSource(store: WorkspaceStore, sourceRel: string, counts: IngestCounts): void {
  let first = true;
  store.write(db =>
    withStmts(db, s => {
      const expIds = s
        .all<{ id: string }>('SELECT id FROM experiments WHERE substr(id, 1, length(?1)) = ?1', [
          mlflowExperimentId(sourceRel, ''),
        ])
        .map(r => r.id);
      for (const id of expIds) {
        const n = Number(s.scalar('SELECT count(*) FROM runs WHERE experiment_id = ?', [id]) ?? 0);
        s.run('DELETE FROM experiments WHERE id = ?', [id]);
        if (first) {
          counts.removedExperiments++;
          counts.removedRuns += n;
        }
      }
      for (const m of s.all<{ path: string; run_id: string | null; line: number }>(
        `SELECT path, run_id, line FROM ingest_state WHERE substr(path, 1, length(?1)) = ?1 AND instr(path, '#model:') > 0`,
        [`${sourceRel}#`],
      )) {
        if (m.run_id && m.line >= 0) {
          s.run('DELETE FROM models WHERE name = ? AND source = ?', [m.run_id, SOURCE_MLFLOW]);
        }
      }
      if (sourceRel === '.') {
        // The workspace folder itself was the mlruns folder: its rows are the ones that belong to MLflow runs.
        s.run(
          `DELETE FROM ingest_state WHERE instr(path, '#') = 0 AND (substr(run_id, 1, 7) = 'mlflow:' OR path LIKE '%/meta.yaml')`,
          [],
        );
      } else {
        deleteStatePrefix(s, `${sourceRel}/`);
      }
      deleteStatePrefix(s, `${sourceRel}#`);
      s.run('DELETE FROM ingest_state WHERE path = ?', [sourceRel]);
      first = false;
    }),
  );
}
