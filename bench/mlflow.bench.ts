// Cold ingest of an MLflow FileStore at scale, and the Runs view refresh over it (plain Node, over src/core).
// Prints JSON lines {name, value, unit, baseline, baselineValue, ratio}.
//   MLSIGHT_BENCH_RUNS (default 10000), MLSIGHT_BENCH_STEPS (default 100): runs × 20 params × 10 metrics × steps.
//   MLSIGHT_BENCH_KEEP=1 keeps the generated tree (path printed) for profiling.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WorkspaceStore } from '../src/core/store/store';
import { ingestWorkspace } from '../src/core/ingest/scan';
import { listExperiments, listRuns, listRunsWithMetrics, metricKeysOf } from '../src/core/queries';
import { Db } from '../src/core/store/db';
import { DEFAULT_SORT, runRows } from '../src/core/runs/view';
import { silentLogger } from '../src/core/log';

const report = (name: string, value: number, unit: string, baseline: string, baselineValue: number) =>
  console.log(
    JSON.stringify({
      name,
      value: +value.toFixed(2),
      unit,
      baseline,
      baselineValue: +baselineValue.toFixed(2),
      ratio: +(value / baselineValue).toFixed(2),
    }),
  );

/** Writes an mlruns tree the way MLflow's FileStore does (meta.yaml, params/, metrics/, tags/). */
function generate(root: string, runs: number, steps: number, experiments: number): number {
  let bytes = 0;
  const write = (p: string, text: string) => {
    fs.writeFileSync(p, text);
    bytes += text.length;
  };
  for (let e = 0; e < experiments; e++) {
    const dir = path.join(root, String(e + 1));
    fs.mkdirSync(dir, { recursive: true });
    write(
      path.join(dir, 'meta.yaml'),
      `artifact_location: file://${dir}\ncreation_time: 1700000000000\nexperiment_id: '${e + 1}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: bench-${e}\n`,
    );
  }
  for (let r = 0; r < runs; r++) {
    const exp = String((r % experiments) + 1);
    const id = r.toString(16).padStart(32, '0');
    const dir = path.join(root, exp, id);
    for (const sub of ['params', 'metrics', 'tags', 'artifacts']) {
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
    }
    const start = 1_700_000_000_000 + r * 1000;
    write(
      path.join(dir, 'meta.yaml'),
      `artifact_uri: file://${dir}/artifacts\nend_time: ${start + 900}\nentry_point_name: ''\nexperiment_id: '${exp}'\nlifecycle_stage: active\nrun_id: ${id}\nrun_name: run-${r}\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`,
    );
    for (let p = 0; p < 20; p++) {
      write(path.join(dir, 'params', `param_${p}`), String((r * (p + 1)) % 97));
    }
    write(path.join(dir, 'tags', 'mlflow.runName'), `run-${r}`);
    write(path.join(dir, 'tags', 'mlflow.user'), 'bench');
    write(path.join(dir, 'tags', 'mlflow.source.git.commit'), '0123456789abcdef0123456789abcdef01234567');
    for (let m = 0; m < 10; m++) {
      const lines: string[] = [];
      for (let s = 0; s < steps; s++) {
        lines.push(`${start + s * 10} ${Math.sin(r + s * 0.1 + m)} ${s}`);
      }
      write(path.join(dir, 'metrics', `metric_${m}`), lines.join('\n') + '\n');
    }
  }
  return bytes;
}

/** Drops the kernel's page cache (Linux, root); false when this process may not. */
function dropCaches(): boolean {
  try {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** The baseline: walk the same tree and read every file's bytes, nothing else. */
function readTree(dir: string): number {
  let n = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) {
      n += readTree(p);
    } else {
      n += fs.readFileSync(p).length;
    }
  }
  return n;
}

async function main(): Promise<void> {
  const RUNS = Number(process.env.MLSIGHT_BENCH_RUNS ?? 10_000);
  const STEPS = Number(process.env.MLSIGHT_BENCH_STEPS ?? 100);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-bench-mlflow-'));
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  try {
    const bytes = generate(path.join(ws, 'mlruns'), RUNS, STEPS, 20);
    // reading the bytes (warm page cache, like the ingest): once to warm up, then the median of three reads
    // before the ingest and one after (the machine's I/O speed drifts; a single read can be off by 30%)
    const root = path.join(ws, 'mlruns');
    readTree(root);
    const reads: number[] = [];
    const timedRead = () => {
      const t = performance.now();
      const n = readTree(root);
      reads.push(performance.now() - t);
      return n;
    };
    timedRead();
    timedRead();
    const read = timedRead();
    // as the extension and the CLI ingest: runs read in reader threads served by the worker bundle
    const ingestOptions = { readerScript: path.join(__dirname, '..', 'worker.js') };
    const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 250 });
    const t1 = performance.now();
    const summary = await ingestWorkspace(store, silentLogger, ingestOptions);
    const cold = performance.now() - t1;
    if (summary.runs !== RUNS) {
      throw new Error(`ingested ${summary.runs} runs, expected ${RUNS}`);
    }
    timedRead();
    const sorted = [...reads].sort((a, b) => a - b);
    const readMs = (sorted[1] + sorted[2]) / 2;
    report(
      `cold ingest of an MLflow FileStore (files in the page cache): ${RUNS} runs × 20 params × 10 metrics × ${STEPS} steps (${(read / 1e6).toFixed(0)} MB in ${(bytes / 1e6).toFixed(0)} MB of files)`,
      cold,
      'ms',
      `walking the tree and reading every file (median of ${reads.map(r => r.toFixed(0)).join(', ')} ms)`,
      readMs,
    );
    const t2 = performance.now();
    await store.flush();
    const flushMs = performance.now() - t2;
    const size = fs.statSync(store.dbPath).size;
    report(
      `persisting the store after the cold ingest (${(size / 1e6).toFixed(1)} MB)`,
      flushMs,
      'ms',
      'cold ingest',
      cold,
    );

    // Runs view refresh: experiments + the runs of every experiment, sorted, with the key metric (median of 5)
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      store.read(db => {
        for (const e of listExperiments(db)) {
          runRows(db, e.id, DEFAULT_SORT);
        }
      });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    if (process.env.MLSIGHT_BENCH_BREAKDOWN) {
      const part = (name: string, fn: (db: Db, expId: string) => unknown) => {
        const t = performance.now();
        store.read(db => {
          for (const e of listExperiments(db)) {
            fn(db, e.id);
          }
        });
        console.error(`  ${name}: ${(performance.now() - t).toFixed(1)} ms`);
      };
      part('listRuns', (db, id) => listRuns(db, id));
      part('metricKeysOf', (db, id) => metricKeysOf(db, id));
      part('listRunsWithMetrics (key metric joined in)', (db, id) =>
        listRunsWithMetrics(db, id, ['metric_0', undefined]),
      );
    }
    const t3 = performance.now();
    store.read(db => listExperiments(db));
    report(
      `Runs view refresh over ${RUNS} runs (goal ≤ 200 ms)`,
      times[2],
      'ms',
      'listing the experiments alone',
      Math.max(0.01, performance.now() - t3),
    );
    await store.close();
    clearInterval(sampler);
    report(
      `peak memory (RSS) ingesting ${RUNS} MLflow runs (this process, reader threads included)`,
      peakRss / 1e6,
      'MB',
      'store file size',
      size / 1e6,
    );

    // the same without reader threads (a single-core machine, or a host that cannot start them)
    fs.rmSync(path.join(ws, '.mlsight'), { recursive: true, force: true });
    const single = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    const t4 = performance.now();
    const s1 = await ingestWorkspace(single, silentLogger);
    const singleMs = performance.now() - t4;
    await single.close();
    if (s1.runs !== RUNS) {
      throw new Error(`ingested ${s1.runs} runs without threads, expected ${RUNS}`);
    }
    const before = reads.length;
    timedRead();
    timedRead();
    const again = reads.slice(before);
    report(
      `cold ingest of the same tree read in the writing thread only (no reader threads)`,
      singleMs,
      'ms',
      `walking the tree and reading every file (mean of ${again.map(r => r.toFixed(0)).join(', ')} ms, measured after)`,
      (again[0] + again[1]) / 2,
    );

    // The same with cold caches (the first open of a workspace after a reboot), when this process may drop the
    // kernel's page cache (root on Linux): reading the files against ingesting them into a fresh store.
    if (dropCaches()) {
      const coldRead = (() => {
        const t = performance.now();
        readTree(root);
        return performance.now() - t;
      })();
      const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-bench-mlflow-cold-'));
      try {
        fs.renameSync(root, path.join(fresh, 'mlruns')); // the same files, in a workspace with no store yet
        const coldStore = await WorkspaceStore.open({ folder: fresh, persistDelayMs: 60_000 });
        dropCaches();
        const t = performance.now();
        const s2 = await ingestWorkspace(coldStore, silentLogger, ingestOptions);
        const coldIngest = performance.now() - t;
        await coldStore.close();
        fs.renameSync(path.join(fresh, 'mlruns'), root);
        if (s2.runs === RUNS) {
          report(
            `cold ingest of the same tree with cold caches (page cache dropped before each; Linux, root only): ${RUNS} runs × ${STEPS} steps`,
            coldIngest,
            'ms',
            'walking the tree and reading every file, cold caches',
            coldRead,
          );
        } else {
          console.error(`cold-cache ingest saw ${s2.runs} runs; not reported`);
        }
      } finally {
        fs.rmSync(fresh, { recursive: true, force: true });
      }
    }
    if (process.env.MLSIGHT_BENCH_KEEP) {
      console.error(`kept ${ws}`);
    }
  } finally {
    clearInterval(sampler);
    if (!process.env.MLSIGHT_BENCH_KEEP) {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
