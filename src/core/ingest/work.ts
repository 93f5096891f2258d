/**
 * The ingest vocabulary shared by the readers of other tools' files (MLflow FileStore, mlflow.db, TensorBoard).
 *
 * A read pass never writes the store while it reads: it describes what it found as work items, and a Batcher
 * applies them in a few large store mutations. Every item is replay-safe (WorkspaceStore.write may re-run a
 * mutation on a newer copy of the store written by another process), and counters are only passed to the first
 * application. The items every reader needs (experiments, ingest_state rows, deleted runs and experiments,
 * registered models) are defined and applied here, once; a reader adds only its own run item(s) and applies
 * them in its `applyOwn`.
 */
import { Db } from '../store/db';
import { Batcher, IngestCounts, StateRow, Stmts, deleteStatePrefix, putState } from './common';
import { ExperimentRecord, ModelRecord, applyOwnedModel, deleteRun, removeOwnedModel, upsertExperiment } from './rows';

/** Which ingest_state rows to forget: every row under a path prefix, one path, or every row of a run. */
export type StateSelector = { prefix: string } | { path: string } | { runId: string };

export type CommonWork =
  /** Insert or update an experiment (counted when its row changed). */
  | { kind: 'experiment'; exp: ExperimentRecord }
  /** Delete an experiment (its runs go with it) and forget the state rows under it. */
  | { kind: 'deleteExperiment'; expId: string; forget?: StateSelector }
  /** Write one ingest_state row (an offset, a fingerprint, or a marker for a file reported unreadable). */
  | { kind: 'state'; state: StateRow }
  /** Forget ingest_state rows. */
  | { kind: 'forgetState'; forget: StateSelector }
  /**
   * Delete a run whose files are gone. With `ownedBy`, only if the store's copy of the run still comes from that
   * source path (another source may show the same MLflow run). `dropEmptyExperiment`: the experiment goes too
   * when this was its last run.
   */
  | { kind: 'deleteRun'; runId: string; ownedBy?: string; forget: StateSelector; dropEmptyExperiment?: string }
  /** Write a registered model the source at ownerPath provides (see applyOwnedModel). */
  | { kind: 'model'; model: ModelRecord; ownerPath: string; state: StateRow }
  /** Remove a registered model the source at ownerPath provided. */
  | { kind: 'deleteModel'; ownerPath: string };

const COMMON_KINDS: ReadonlySet<string> = new Set<CommonWork['kind']>([
  'experiment',
  'deleteExperiment',
  'state',
  'forgetState',
  'deleteRun',
  'model',
  'deleteModel',
]);

export function isCommonWork(w: { kind: string }): w is CommonWork {
  return COMMON_KINDS.has(w.kind);
}

export function forgetState(s: Stmts, f: StateSelector): void {
  if ('prefix' in f) {
    deleteStatePrefix(s, f.prefix);
  } else if ('path' in f) {
    s.run('DELETE FROM ingest_state WHERE path = ?', [f.path]);
  } else {
    s.run('DELETE FROM ingest_state WHERE run_id = ?', [f.runId]);
  }
}

/** Applies one of the shared work items; `counts` only on the first application (not on replays). */
export function applyCommonWork(s: Stmts, w: CommonWork, counts: IngestCounts | undefined): void {
  switch (w.kind) {
    case 'experiment':
      if (upsertExperiment(s, w.exp) && counts) {
        counts.experiments++;
      }
      break;
    case 'state':
      putState(s, w.state);
      break;
    case 'forgetState':
      forgetState(s, w.forget);
      break;
    case 'deleteExperiment': {
      const n = Number(s.scalar('SELECT count(*) FROM runs WHERE experiment_id = ?', [w.expId]) ?? 0);
      s.run('DELETE FROM experiments WHERE id = ?', [w.expId]);
      if (counts && s.changes() > 0) {
        counts.removedExperiments++;
        counts.removedRuns += n;
      }
      if (w.forget) {
        forgetState(s, w.forget);
      }
      break;
    }
    case 'deleteRun': {
      const owner =
        w.ownedBy === undefined
          ? undefined
          : s.get<{ source_path: string | null }>('SELECT source_path FROM runs WHERE id = ?', [w.runId]);
      if (w.ownedBy === undefined || (owner && owner.source_path === w.ownedBy)) {
        deleteRun(s, w.runId);
        if (counts && s.changes() > 0) {
          counts.removedRuns++;
          counts.changedRuns.push(w.runId);
        }
      }
      forgetState(s, w.forget);
      if (
        w.dropEmptyExperiment !== undefined &&
        Number(s.scalar('SELECT count(*) FROM runs WHERE experiment_id = ?', [w.dropEmptyExperiment]) ?? 0) === 0
      ) {
        s.run('DELETE FROM experiments WHERE id = ?', [w.dropEmptyExperiment]);
        if (counts && s.changes() > 0) {
          counts.removedExperiments++;
        }
      }
      break;
    }
    case 'model':
      applyOwnedModel(s, w.model, w.ownerPath, w.state, counts);
      break;
    case 'deleteModel':
      removeOwnedModel(s, w.ownerPath);
      break;
  }
}

/**
 * A Batcher for a reader whose work items are the shared ones plus its own (`Own`): shared items are applied
 * here, the reader's own by `applyOwn`. `weighOwn` weighs the reader's items (shared items weigh 1).
 */
export function workBatcher<Own extends { kind: string }>(
  store: { write(m: (db: Db) => void): void },
  counts: IngestCounts,
  applyOwn: (s: Stmts, w: Own, counts: IngestCounts | undefined) => void,
  weighOwn: (w: Own) => number = () => 1,
): Batcher<CommonWork | Own> {
  const apply = (s: Stmts, works: (CommonWork | Own)[], c: IngestCounts | undefined) => {
    for (const w of works) {
      if (isCommonWork(w)) {
        applyCommonWork(s, w, c);
      } else {
        applyOwn(s, w, c);
      }
    }
  };
  return new Batcher<CommonWork | Own>(store, counts, apply, w => (isCommonWork(w) ? 1 : weighOwn(w)));
}
