/**
 * A report from two files: read both, then analyse. Large files (MIN_PARALLEL_BYTES together) are read and
 * analysed in worker threads when the caller names a worker script (the CLI bundle: src/cliDrift.ts passes its
 * own file); otherwise, and if a worker cannot start, everything runs in this thread. Same result either way.
 */
import * as fs from 'fs';
import { DataEncoding, loadTable, LoadOptions, Table } from './dataset';
import { DriftPool } from './parallel';
import { buildDriftReport, buildDriftReportWith } from './report';
import { DriftOptions, DriftReport } from './types';

export interface ReportHooks {
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
  /** a script that serves drift worker threads (serveDriftWorker); none = one thread */
  workerScript?: string;
  /** worker threads to use (default: none unless workerScript; then defaultThreads()) */
  threads?: number;
  /** called with the pool's size when worker threads were used (benchmarks, tests) */
  onThreads?: (n: number) => void;
  /** use threads only when the two files have at least this many bytes together (default MIN_PARALLEL_BYTES) */
  minParallelBytes?: number;
}

/** Files smaller than this together are analysed in one thread (starting workers would cost more). */
export const MIN_PARALLEL_BYTES = 16 << 20;

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export async function driftReportFromFiles(
  reference: string,
  current: string,
  options: DriftOptions & { maxRows?: number; encoding?: DataEncoding } = {},
  hooks: ReportHooks = {},
): Promise<DriftReport> {
  const t0 = performance.now();
  const threads = hooks.threads ?? 0;
  if (
    hooks.workerScript &&
    threads > 1 &&
    sizeOf(reference) + sizeOf(current) >= (hooks.minParallelBytes ?? MIN_PARALLEL_BYTES)
  ) {
    let pool: DriftPool | undefined;
    try {
      pool = new DriftPool(hooks.workerScript, threads);
    } catch {
      pool = undefined;
    }
    if (pool) {
      const p = pool;
      const abort = () => p.close();
      hooks.signal?.addEventListener('abort', abort);
      try {
        hooks.onThreads?.(p.size);
        hooks.onProgress?.('Reading both files…', 0);
        const opts = { maxRows: options.maxRows, encoding: options.encoding };
        const [ref, cur] = await Promise.all([p.load(reference, opts, 0), p.load(current, opts, 1)]);
        hooks.onProgress?.('Computing drift statistics…', 0.6);
        const keep = new Set([options.target, options.prediction, options.time].filter((x): x is string => !!x));
        // mapped columns travel under their reference names
        for (const [r, c] of Object.entries(options.map ?? {})) {
          if (keep.has(r) || keep.has(c)) {
            keep.add(r);
            keep.add(c);
          }
        }
        return withTableWarnings(
          await buildDriftReportWith((tasks, ctx) => p.columns(tasks, ctx, keep), ref, cur, options, {
            loadMs: performance.now() - t0,
          }),
          ref,
          cur,
        );
      } finally {
        hooks.signal?.removeEventListener('abort', abort);
        p.close();
      }
    }
  }
  const load = (file: string, which: string, from: number): Promise<Table> => {
    const o: LoadOptions = {
      maxRows: options.maxRows,
      encoding: options.encoding,
      signal: hooks.signal,
      onProgress: f => hooks.onProgress?.(`Reading the ${which} data…`, from + f * 0.4),
    };
    hooks.onProgress?.(`Reading the ${which} data…`, from);
    return loadTable(file, o);
  };
  const ref = await load(reference, 'reference', 0);
  const cur = await load(current, 'current', 0.4);
  hooks.onProgress?.('Computing drift statistics…', 0.8);
  return withTableWarnings(buildDriftReport(ref, cur, options, { loadMs: performance.now() - t0 }), ref, cur);
}

/** The readers' warnings (encoding guessed from a BOM, bytes that were not UTF-8) go with the report's own. */
function withTableWarnings(report: DriftReport, ...tables: Table[]): DriftReport {
  for (const t of tables) {
    for (const w of t.warnings ?? []) {
      if (!report.warnings.includes(w)) {
        report.warnings.push(w);
      }
    }
  }
  return report;
}
