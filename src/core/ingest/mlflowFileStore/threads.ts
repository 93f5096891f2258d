/**
 * Reader threads: a full pass over a big mlruns tree reads its runs in worker threads (the bundle dist/worker.js,
 * src/worker.ts) while the extension's thread writes what they read to the store (the store is only ever
 * written there). If a thread fails, its runs are read again in the extension's thread.
 */
import { MessagePort, Worker } from 'worker_threads';
import { Logger } from '../../log';
import { IngestCounts, emptyCounts } from '../common';
import { readExperiments, readRuns } from './runs';
import { ExperimentListing, ReaderContext, RootContext, RunsToRead, Work } from './work';
import { errorMessage } from '../../errors';

/** The argument that makes the worker bundle serve an MLflow reader thread. */
export const READER_THREAD_ARG = 'ingest-reader';

/** The runs a reader thread reads, and the snapshot of the store it reads them against. */
export interface ReaderJob extends Pick<
  ReaderContext,
  'folder' | 'rootAbs' | 'rootRel' | 'maxArtifacts' | 'state' | 'owners' | 'experiments'
> {
  runs: RunsToRead;
}

type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Reader thread → this thread: work items to apply with the log lines that came with them, then the counts. */
type ReaderMessage =
  | { type: 'works'; works: Work[]; logs: [LogLevel, string][] }
  | {
      type: 'done';
      counts: Pick<IngestCounts, 'filesRead' | 'bytesRead' | 'problems' | 'duplicateRuns'>;
      logs: [LogLevel, string][];
    };

/**
 * Reads the runs of a full pass in worker threads: the experiments are read here, their runs are split between
 * the threads, and what the threads read comes back as work items that this thread applies to the store as it
 * arrives (the store is only ever written here). Work items are replay-safe, so the runs of a thread that fails
 * are simply read again in this thread.
 */
export async function readListingInThreads(
  ctx: RootContext,
  listing: readonly ExperimentListing[],
  script: string,
  threads: number,
  concurrency: number,
): Promise<void> {
  const runs = await readExperiments(ctx, listing);
  // contiguous parts with about the same number of runs
  const flat = runs.flatMap(r => r.names.map(name => ({ exp: r.exp, name })));
  const size = Math.max(1, Math.ceil(flat.length / Math.max(1, threads)));
  const parts: RunsToRead[] = [];
  for (let i = 0; i < flat.length; i += size) {
    const part: RunsToRead = [];
    for (const { exp, name } of flat.slice(i, i + size)) {
      const last = part[part.length - 1];
      if (last && last.exp === exp) {
        last.names.push(name);
      } else {
        part.push({ exp, names: [name] });
      }
    }
    parts.push(part);
  }
  // smaller writes: the store is written while the threads read, not after they are done
  ctx.batch.maxItems = THREADED_WRITE_ITEMS;
  const base = {
    folder: ctx.folder,
    rootAbs: ctx.rootAbs,
    rootRel: ctx.rootRel,
    maxArtifacts: ctx.maxArtifacts,
    state: ctx.state,
    owners: ctx.owners,
    experiments: ctx.experiments,
  };
  const results = await Promise.allSettled(
    parts.map(async part => {
      try {
        await runReaderThread(ctx, script, { ...base, runs: part });
      } catch (e) {
        if (e instanceof StoreWriteError) {
          throw e.storeError;
        }
        ctx.log.warn(
          `MLflow: a reader thread failed (${errorMessage(e)}); its runs are read again in the extension's own thread.`,
        );
        await readRuns(ctx, part, concurrency);
      }
    }),
  );
  for (const r of results) {
    if (r.status === 'rejected') {
      throw r.reason;
    }
  }
}

/** Runs per store write while reader threads read (a few dozen milliseconds of writing each). */
const THREADED_WRITE_ITEMS = 200;

/** A store write that failed while a reader thread's work was applied (not the thread's failure). */
class StoreWriteError extends Error {
  constructor(readonly storeError: unknown) {
    super(errorMessage(storeError));
  }
}

function runReaderThread(ctx: RootContext, script: string, job: ReaderJob): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: Error) => {
      if (settled) {
        return;
      }
      settled = true;
      if (e === undefined) {
        resolve();
      } else {
        reject(e);
      }
    };
    const worker = new Worker(script, { argv: [READER_THREAD_ARG], workerData: job, stdout: true, stderr: true });
    worker.on('message', (m: ReaderMessage) => {
      if (settled) {
        return;
      }
      try {
        for (const [level, message] of m.logs) {
          ctx.log[level](message);
        }
        if (m.type === 'works') {
          for (const w of m.works) {
            ctx.batch.add(w);
          }
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
    worker.on('exit', code =>
      settle(settled ? undefined : new Error(`the thread exited (code ${code}) before it finished`)),
    );
  });
}

/**
 * A reader thread (run by the worker bundle with READER_THREAD_ARG): reads the runs of its job and posts the work
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
    trace: m => logs.push(['trace', m]),
    debug: m => logs.push(['debug', m]),
    info: m => logs.push(['info', m]),
    warn: m => logs.push(['warn', m]),
    error: m => logs.push(['error', m]),
  };
  const counts = emptyCounts();
  const ctx: ReaderContext = {
    log,
    counts,
    folder: job.folder,
    rootAbs: job.rootAbs,
    rootRel: job.rootRel,
    state: job.state,
    owners: job.owners,
    experiments: job.experiments,
    touches: () => true,
    maxArtifacts: job.maxArtifacts,
    lastYield: performance.now(),
    batch: {
      add: w => {
        works.push(w);
        if (works.length >= 50) {
          post();
        }
      },
    },
  };
  await readRuns(ctx, job.runs, 1);
  post();
  const { filesRead, bytesRead, problems, duplicateRuns } = counts;
  port.postMessage({
    type: 'done',
    counts: { filesRead, bytesRead, problems, duplicateRuns },
    logs: logs.splice(0),
  } satisfies ReaderMessage);
}
