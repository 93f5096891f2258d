/**
 * Worker threads for large reports: both files are read at once, and the columns are analysed by several threads
 * (each column's analysis is independent: ./report runColumnTask). The workers run a script that calls
 * serveDriftWorker() — the CLI bundle does (`mlsight drift --pool-worker`, src/cliDrift.ts). Typed arrays move
 * between threads by transfer, not copy. The result is the same report as in one thread (the unit tests check).
 */
import * as os from 'os';
import { Worker } from 'worker_threads';
import type { Column } from './columns';
import { DatasetError, loadTable, LoadOptions, Table } from './dataset';
import { ColumnContext, ColumnResult, ColumnTask, runColumnTask } from './report';

type RequestBody =
  | { op: 'load'; file: string; options: Omit<LoadOptions, 'onProgress' | 'signal'> }
  | { op: 'columns'; tasks: ColumnTask[]; ctx: ColumnContext };
type Request = RequestBody & { id: number };
type Reply =
  | { id: number; ok: true; table?: Table; results?: ColumnResult[] }
  | { id: number; ok: false; message: string; file?: string; line?: number; dataset: boolean };

/** Buffers of a column's typed arrays (each once), to transfer. */
function buffers(columns: readonly Column[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const c of columns) {
    for (const a of [c.numbers, c.times, c.codes]) {
      if (a && a.buffer instanceof ArrayBuffer) {
        set.add(a.buffer);
      }
    }
  }
  return [...set];
}

interface Port {
  on(event: 'message', fn: (m: unknown) => void): void;
  postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
}

/** The worker's side: answers load and column requests until the thread is terminated. */
export function serveDriftWorker(port: Port): void {
  port.on('message', raw => {
    const m = raw as Request;
    void (async () => {
      try {
        if (m.op === 'load') {
          const table = await loadTable(m.file, m.options);
          port.postMessage({ id: m.id, ok: true, table } satisfies Reply, buffers(table.columns));
        } else {
          const results = m.tasks.map(t => runColumnTask(t, m.ctx));
          port.postMessage({ id: m.id, ok: true, results } satisfies Reply);
        }
      } catch (e) {
        port.postMessage({
          id: m.id,
          ok: false,
          message: e instanceof Error ? e.message : String(e),
          dataset: e instanceof DatasetError,
          file: e instanceof DatasetError ? e.file : undefined,
          line: e instanceof DatasetError ? e.line : undefined,
        } satisfies Reply);
      }
    })();
  });
}

/** Threads worth using here (≥ 1). */
export function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

/** A small pool of drift worker threads. */
export class DriftPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  private nextId = 1;
  private closed = false;

  /** Starts `size` workers of `script` (argv: `drift --pool-worker`); throws if a worker cannot start. */
  constructor(
    script: string,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script, { argv: ['drift', '--pool-worker'], stdout: true, stderr: true });
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (p) {
          this.pending.delete(r.id);
          p.resolve(r);
        }
      });
      w.on('error', e => this.failAll(e));
      w.on('exit', code => {
        if (!this.closed) {
          this.failAll(new Error(`a drift worker thread exited (${code})`));
        }
      });
      this.workers.push(w);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) {
      p.reject(e);
    }
    this.pending.clear();
  }

  private request(worker: Worker, m: RequestBody, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.closed) {
      return Promise.reject(new Error('the drift worker pool is closed'));
    }
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...m, id }, transfer);
    }).then(r => {
      if (!r.ok) {
        throw r.dataset ? new DatasetError(r.message, r.file ?? '', r.line) : new Error(r.message);
      }
      return r;
    });
  }

  /** Reads a table in a worker thread. */
  async load(file: string, options: Omit<LoadOptions, 'onProgress' | 'signal'>, which = 0): Promise<Table> {
    const r = await this.request(this.workers[which % this.size], { op: 'load', file, options });
    return (r as { table: Table }).table;
  }

  /**
   * Analyses the columns across the workers (balanced by rows; each task's arrays are transferred to its worker,
   * so the caller must not use those columns afterwards — except the ones named in `keep`, which are copied) and
   * returns the results in task order.
   */
  async columns(
    tasks: ColumnTask[],
    ctx: ColumnContext,
    keep: ReadonlySet<string> = new Set(),
  ): Promise<ColumnResult[]> {
    const groups: { tasks: ColumnTask[]; index: number[]; cost: number }[] = this.workers.map(() => ({
      tasks: [],
      index: [],
      cost: 0,
    }));
    const order = tasks.map((t, i) => ({ t, i, cost: t.ref.length + t.cur.length })).sort((a, b) => b.cost - a.cost);
    for (const x of order) {
      const g = groups.reduce((a, b) => (b.cost < a.cost ? b : a));
      g.tasks.push(x.t);
      g.index.push(x.i);
      g.cost += x.cost;
    }
    const out: ColumnResult[] = new Array(tasks.length);
    await Promise.all(
      groups.map(async (g, w) => {
        if (!g.tasks.length) {
          return;
        }
        const r = await this.request(
          this.workers[w],
          { op: 'columns', tasks: g.tasks, ctx },
          buffers(g.tasks.filter(t => !keep.has(t.name)).flatMap(t => [t.ref, t.cur])),
        );
        (r as { results: ColumnResult[] }).results.forEach((res, k) => {
          out[g.index[k]] = res;
        });
      }),
    );
    return out;
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.failAll(new Error('the drift computation was stopped'));
    for (const w of this.workers) {
      void w.terminate();
    }
  }
}
