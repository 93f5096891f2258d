// Team-mode benchmarks on a private PostgreSQL cluster (Debian's postgresql). Prints JSON lines {name, value, unit,
// baseline, baselineValue, ratio} like the other bench/*.bench.ts scripts.
//   1. the Runs view's first page (50 runs of one experiment, with params, tags, latest metrics) from a team
//      database of 100,000 runs, against the 300 ms budget and against the same page from a database of 1,000
//      runs; the heap the page costs at both sizes (memory must not grow with the run count);
//   2. sync of MLSIGHT_BENCH_TEAM_RUNS (default 1,000) runs × 10 metrics × 1,000 steps, against COPY of the same
//      rows (runs, params, tags, metrics, latest_metrics) into an empty database of the same schema.
import * as fs from 'fs';
import * as path from 'path';
import { PgBackend } from '../src/core/tracking/postgres';
import { SyncRun, TeamMetric } from '../src/core/tracking/types';
import { startCluster, PgCluster } from '../test/unit/helpers/pgCluster';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function report(name: string, value: number, unit: string, baselineName: string, baseline: number): void {
  console.log(
    JSON.stringify({
      name,
      value: +value.toFixed(2),
      unit,
      baseline: baselineName,
      baselineValue: +baseline.toFixed(2),
      ratio: +(value / baseline).toFixed(3),
    }),
  );
}

/** A team database of n runs over 10 experiments, 2 params, 3 tags and 3 latest metrics each (generated in SQL). */
async function fill(pg: PgCluster, db: string, n: number): Promise<string> {
  const uri = await pg.createDatabase(db);
  const b = new PgBackend(uri);
  await b.initSchema('/srv/bench');
  await b.close();
  const c = await pg.client(db);
  try {
    await c.query(`INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
      SELECT 'exp-' || i, '/srv/bench/' || i, 'active', 0, 0 FROM generate_series(1, 10) i`);
    await c.query(
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
        source_version, lifecycle_stage, artifact_uri, experiment_id)
      SELECT md5(i::text), 'run-' || i, 'UNKNOWN', '', '', 'bench', 'FINISHED', 1700000000000 + i * 1000, 1700000000000 + i * 1000 + 500,
        '', 'active', '/srv/bench/' || (1 + i % 10) || '/' || md5(i::text), 1 + i % 10 FROM generate_series(1, $1) i`,
      [n],
    );
    await c.query(
      `INSERT INTO params SELECT k, (random())::text, md5(i::text) FROM generate_series(1, $1) i, unnest(ARRAY['lr', 'depth']) k`,
      [n],
    );
    await c.query(
      `INSERT INTO tags SELECT k, 'v' || i, md5(i::text) FROM generate_series(1, $1) i, unnest(ARRAY['mlflow.runName', 'mlflow.user', 'mlflow.source.git.commit']) k`,
      [n],
    );
    await c.query(
      `INSERT INTO latest_metrics SELECT k, random(), 1700000000000, 99, false, md5(i::text) FROM generate_series(1, $1) i, unnest(ARRAY['acc', 'loss', 'auc']) k`,
      [n],
    );
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
  return uri;
}

async function firstPage(uri: string): Promise<{ ms: number; heap: number }> {
  const b = new PgBackend(uri);
  try {
    await b.schema();
    const times: number[] = [];
    const heaps: number[] = [];
    for (let i = 0; i < 7; i++) {
      global.gc?.();
      const h0 = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      const page = await b.searchRuns({ experimentIds: ['3'], pageSize: 50 });
      times.push(performance.now() - t0);
      heaps.push(process.memoryUsage().heapUsed - h0);
      if (page.runs.length !== 50) {
        throw new Error(`expected a full page, got ${page.runs.length}`);
      }
    }
    return { ms: median(times), heap: median(heaps) };
  } finally {
    await b.close();
  }
}

function syncRuns(n: number, keys = 10, steps = 1000): SyncRun[] {
  return Array.from({ length: n }, (_, r) => ({
    runUuid: (r + 1).toString(16).padStart(32, '0'),
    experimentName: 'sync-bench',
    name: `run-${r}`,
    status: 'FINISHED' as const,
    startTime: 1700000000000 + r,
    endTime: 1700000000000 + r + 1000,
    userId: 'bench',
    params: [['lr', String(r / n)]],
    tags: [['team', 'bench']],
    metrics: new Map(
      Array.from({ length: keys }, (_, k) => [
        `m${k}`,
        Array.from({ length: steps }, (_, s): TeamMetric => ({
          value: Math.sin(r + k + s),
          step: s,
          timestamp: 1700000000000 + s,
        })),
      ]),
    ),
    datasets: [],
  }));
}

async function main(): Promise<void> {
  const pg = await startCluster();
  try {
    // 1. first page
    const small = await firstPage(await fill(pg, 'runs1k', 1_000));
    const big = await firstPage(await fill(pg, 'runs100k', 100_000));
    report('team Runs view first page (50 runs) from 100,000 runs', big.ms, 'ms', 'budget', 300);
    report('team first page from 100,000 runs vs from 1,000 runs', big.ms, 'ms', 'same page from 1,000 runs', small.ms);
    report(
      'heap per first page, 100,000 runs vs 1,000 runs',
      Math.max(1, big.heap) / 1024,
      'kB',
      'same page from 1,000 runs',
      Math.max(1, small.heap) / 1024,
    );

    // 2. sync vs COPY
    const n = Number(process.env.MLSIGHT_BENCH_TEAM_RUNS ?? 1000);
    const uri = await pg.createDatabase('sync');
    const b = new PgBackend(uri);
    await b.initSchema('/srv/bench');
    let t0 = performance.now();
    let points = 0;
    for (let i = 0; i < n; i += 50) {
      for (const run of syncRuns(Math.min(50, n - i)).map((r, j) => ({
        ...r,
        runUuid: (i + j + 1).toString(16).padStart(32, '0'),
      }))) {
        points += (await b.syncRun(run)).metricsWritten;
      }
    }
    const syncMs = performance.now() - t0;
    await b.close();
    const dir = pg.dir;
    const tables = ['experiments', 'runs', 'params', 'tags', 'metrics', 'latest_metrics'];
    const c = await pg.client('sync');
    for (const t of tables) {
      await c.query(`COPY ${t} TO '${path.join(dir, `${t}.copy`)}'`);
    }
    await c.end();
    const target = await pg.createDatabase('copy');
    const tb = new PgBackend(target);
    await tb.initSchema('/srv/bench');
    await tb.close();
    const k = await pg.client('copy');
    await k.query('DELETE FROM experiments');
    t0 = performance.now();
    await k.query('BEGIN');
    for (const t of tables) {
      await k.query(`COPY ${t} FROM '${path.join(dir, `${t}.copy`)}'`);
    }
    await k.query('COMMIT');
    const copyMs = performance.now() - t0;
    await k.end();
    for (const t of tables) {
      fs.rmSync(path.join(dir, `${t}.copy`), { force: true });
    }
    report(
      `team sync of ${n} runs × 10 metrics × 1,000 steps (${points} points)`,
      syncMs / 1000,
      's',
      'COPY of the same rows',
      copyMs / 1000,
    );
  } finally {
    pg.stop();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
