/**
 * Workspace lint (`mlsight lint`): each file read and analysed, in the calling thread or, for many files, spread
 * over worker threads (the bundle dist/worker.js serves them: `lint --worker`, src/worker.ts). The threads take
 * small batches of files from a shared queue, so that one large notebook does not hold the others back; results
 * come back in the order of the files and are the same as in one thread (a unit test checks). If a thread cannot
 * start or fails, the files are analysed in the calling thread instead.
 */
import * as fs from 'fs';
import * as os from 'os';
import { Worker } from 'worker_threads';
import { analyzeNotebookDetailed, analyzePythonDetailed } from './index';
import type { AnalyzeOptions, Finding } from './types';

export interface LintFileResult {
  findings: Finding[];
  syntaxErrors: number;
  /** The file could not be read, or is not a readable notebook. */
  error?: string;
  /** The file could not be read at all. */
  unreadable?: true;
  /** Wall time of reading and analysing the file. */
  ms: number;
}

export interface LintThreads {
  /** The worker bundle (dist/worker.js). */
  workerScript: string;
  /** Threads in all, the calling thread included (it lints too). */
  threads: number;
  /** Fewer files than this are linted in the calling thread only (default 200: threads start slowly). */
  minFiles?: number;
}

/** Files per batch sent to a thread, and the least number of files worth starting threads for. */
const BATCH = 8;
const MIN_FILES = 200;

/**
 * Threads for lint on this machine, the calling thread included: MLSIGHT_LINT_THREADS if set, else up to 4 on a
 * machine with at least 4 cores, else 1 (measured on 2 shared cores, each thread's start-up and cold JIT cost more
 * than the second core gave back; see bench/lint.bench.ts).
 */
export function lintThreads(): number {
  const env = Number(process.env.MLSIGHT_LINT_THREADS);
  if (Number.isInteger(env) && env > 0) {
    return env;
  }
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return n >= 4 ? Math.min(4, n) : 1;
}

/** Reads and analyses one .py file or .ipynb notebook. */
export async function lintFile(file: string, options: AnalyzeOptions): Promise<LintFileResult> {
  const t0 = performance.now();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { findings: [], syntaxErrors: 0, error: String(e), unreadable: true, ms: 0 };
  }
  const r = file.endsWith('.ipynb')
    ? await analyzeNotebookDetailed(text, options)
    : { ...(await analyzePythonDetailed(text, options)), error: undefined };
  const out: LintFileResult = { findings: r.findings, syntaxErrors: r.syntaxErrors, ms: performance.now() - t0 };
  if (r.error !== undefined) {
    out.error = r.error;
  }
  return out;
}

async function lintSequential(files: readonly string[], options: AnalyzeOptions): Promise<LintFileResult[]> {
  const out: LintFileResult[] = [];
  for (const f of files) {
    out.push(await lintFile(f, options));
  }
  return out;
}

interface Request {
  files: string[];
  options: AnalyzeOptions;
}
type Reply = { ok: true; results: LintFileResult[] } | { ok: false; message: string };

/**
 * Lints `files` (results in the same order). With `threads` and enough files, the work is spread over worker
 * threads; `onFallback` hears why it was not, if threads were asked for and failed.
 */
export async function lintFiles(
  files: readonly string[],
  options: AnalyzeOptions,
  threads?: LintThreads,
  onFallback?: (reason: string) => void,
): Promise<LintFileResult[]> {
  const n = threads ? Math.min(threads.threads, Math.ceil(files.length / BATCH)) : 1;
  if (!threads || n < 2 || files.length < (threads.minFiles ?? MIN_FILES)) {
    return lintSequential(files, options);
  }
  try {
    return await lintInThreads(files, options, threads.workerScript, n - 1);
  } catch (e) {
    onFallback?.(e instanceof Error ? e.message : String(e));
    return lintSequential(files, options);
  }
}

/** Lints with `threads` worker threads and the calling thread. */
function lintInThreads(
  files: readonly string[],
  options: AnalyzeOptions,
  script: string,
  threads: number,
): Promise<LintFileResult[]> {
  const results: LintFileResult[] = new Array<LintFileResult>(files.length);
  const workers: Worker[] = [];
  let next = 0;
  let running = 0;
  let settled = false;
  return new Promise<LintFileResult[]>((resolve, reject) => {
    const finish = (e?: Error) => {
      if (settled) {
        return;
      }
      settled = true;
      for (const w of workers) {
        void w.terminate();
      }
      if (e) {
        reject(e);
      } else {
        resolve(results);
      }
    };
    const give = (w: Worker) => {
      if (next >= files.length) {
        if (running === 0) {
          finish();
        }
        return;
      }
      const from = next;
      next = Math.min(files.length, next + BATCH);
      running++;
      w.once('message', (r: Reply) => {
        running--;
        if (!r.ok) {
          finish(new Error(r.message));
          return;
        }
        r.results.forEach((x, i) => (results[from + i] = x));
        give(w);
      });
      w.postMessage({ files: files.slice(from, next), options } satisfies Request);
    };
    for (let i = 0; i < threads; i++) {
      let w: Worker;
      try {
        w = new Worker(script, { argv: ['lint', '--worker'], stdout: true, stderr: true });
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      workers.push(w);
      w.on('error', e => finish(e));
      w.on('exit', code => finish(new Error(`a lint worker thread exited (${code})`)));
    }
    for (const w of workers) {
      give(w);
    }
    // the calling thread lints batches too, yielding between them so that the workers' replies are handled
    void (async () => {
      while (!settled && next < files.length) {
        const from = next;
        next = Math.min(files.length, next + BATCH);
        running++;
        for (let i = from; i < next; i++) {
          results[i] = await lintFile(files[i], options);
        }
        running--;
        await new Promise(r => setImmediate(r));
      }
      if (!settled && next >= files.length && running === 0) {
        finish();
      }
    })().catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
  });
}

interface Port {
  on(event: 'message', fn: (m: unknown) => void): void;
  postMessage(m: unknown): void;
}

/** The worker's side: lints each batch it is sent until the thread is terminated. */
export function serveLintWorker(port: Port): void {
  port.on('message', raw => {
    const m = raw as Request;
    void (async () => {
      try {
        const results: LintFileResult[] = [];
        for (const f of m.files) {
          results.push(await lintFile(f, m.options));
        }
        port.postMessage({ ok: true, results } satisfies Reply);
      } catch (e) {
        port.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) } satisfies Reply);
      }
    })();
  });
}
