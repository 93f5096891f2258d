/**
 * FileStore work items: the shared ingest vocabulary (../work.ts) plus the FileStore's own run item, applied
 * to the store in batched, replay-safe mutations; and the contexts a read pass carries.
 */
import { Logger } from '../../log';
import { WorkspaceStore } from '../../store/store';
import { LatestRow, deleteSeries, latestRow, writeLatestRows } from '../../store/series';
import { Batcher, IngestCounts, StateRow, Stmts, deleteStatePrefix, getState, putState, putStates } from '../common';
import { LatestPoint } from '../metricLines';
import { ExperimentRecord, ExperimentRow, RunRecord, upsertExperiment, writeRun } from '../rows';
import { CommonWork, workBatcher } from '../work';

export interface MetricChunk {
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

/** A run read (or re-read): its record when meta.yaml, params, tags or inputs changed, and new metric lines. */
export interface RunWork {
  kind: 'run';
  runId: string;
  runRel: string;
  metaRel: string;
  exp: ExperimentRecord;
  record?: RunRecord;
  metaState: StateRow;
  metrics: MetricChunk[];
}

export type Work = CommonWork | RunWork;

function weighRun(w: RunWork): number {
  // a run costs a few statements, and a row per param, tag and metric
  return 10 + (w.record?.params?.length ?? 0) + (w.record?.tags?.length ?? 0) + 2 * w.metrics.length;
}

export function fileStoreBatcher(store: WorkspaceStore, counts: IngestCounts): Batcher<Work> {
  return workBatcher<RunWork>(store, counts, applyRun, weighRun);
}

function applyRun(s: Stmts, w: RunWork, counts: IngestCounts | undefined): void {
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
  if (!s.seen(`experiment:${w.exp.id}`) && upsertExperiment(s, w.exp) && counts) {
    counts.experiments++;
  }
  if (w.record) {
    if (!metaNow || metaNow.line < 0) {
      // First time (or after the state was lost): whatever the store holds for this run is replaced.
      if (owner) {
        deleteSeries(s, w.runId);
      }
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
      if (m.latest) {
        freshLatest.push(latestRow(w.runId, m.key, m.latest));
      }
      freshStates.push(m.state);
    } else {
      writeFresh();
      const cur = getState(s, m.fileRel);
      if ((cur?.offset ?? 0) !== m.expectedOffset) {
        continue;
      } // already applied (replay) or the file was reset
      if (m.restart) {
        deleteSeries(s, w.runId, m.key);
      }
      if (m.latest) {
        writeLatestRows(s, w.exp.id, [latestRow(w.runId, m.key, m.latest)]);
      }
      putState(s, m.state);
    }
    if (counts) {
      counts.metricPoints += m.count;
    }
    changed = true;
  }
  writeFresh();
  if (changed && counts) {
    counts.changedRuns.push(w.runId);
  }
}

/** What reading an mlruns tree needs: not the store itself, a snapshot of what it holds under this root. */
export interface ReaderContext {
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

export interface RootContext extends ReaderContext {
  store: WorkspaceStore;
  batch: Batcher<Work>;
}

/** An experiment folder and the run folders to read in it. */
export interface ExperimentListing {
  name: string;
  expAbs: string;
  expRel: string;
  runNames: string[];
}

export interface ExperimentContext {
  record: ExperimentRecord;
  expId: string;
  mlflowExpId: string;
  expAbs: string;
  expRel: string;
  datasets?: Promise<Map<string, Record<string, unknown>>>;
}

/**
 * Ingests one mlruns folder (experiments, runs, registry). Removes what disappeared from it (in a partial

/** Run folders to read, by experiment. */
export type RunsToRead = { exp: ExperimentContext; names: string[] }[];
