import * as assert from 'assert';
import { WorkspaceStore } from '../../src/core/store/store';
import {
  SERIES_POINTS,
  appendSeries,
  decodeSeries,
  emptyPoints,
  latestIndex,
  pointSeq,
  seriesRows,
  storedSeries,
  strideFor,
} from '../../src/core/store/series';
import { parseMetricBuffer, scanMetricBuffer } from '../../src/core/ingest/metricLines';
import * as fs from 'fs';
import * as path from 'path';
import type { Database } from 'sql.js';
import { MIGRATIONS } from '../../src/core/store/schema';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { tempWorkspace } from './helpers';

function pts(n: number, f: (i: number) => number = i => Math.sin(i), from = 0) {
  const p = emptyPoints();
  for (let i = from; i < from + n; i++) {
    p.steps.push(i);
    p.ts.push(1000 + i);
    p.values.push(f(i));
  }
  return p;
}

async function withRun<T>(fn: (store: WorkspaceStore) => T | Promise<T>): Promise<T> {
  const store = await WorkspaceStore.open({ folder: tempWorkspace(), persistDelayMs: 60_000 });
  store.write(db => {
    db.run(`INSERT INTO experiments (id, name, source) VALUES ('e', 'e', 'test')`);
    db.run(`INSERT INTO runs (id, experiment_id, source) VALUES ('r', 'e', 'test')`);
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('metric series in the store (latest value + decimated copy)', () => {
  it('keeps every point of a short series and at most SERIES_POINTS + 1 of a long one, newest included', async () => {
    await withRun(store => {
      store.write(db => appendSeries(db, 'r', 'short', pointSeq(pts(SERIES_POINTS))));
      store.write(db => appendSeries(db, 'r', 'long', pointSeq(pts(10_000))));
      const short = store.read(db => storedSeries(db, 'r', 'short'))!;
      assert.strictEqual(short.count, SERIES_POINTS);
      assert.deepStrictEqual(
        short.steps,
        Array.from({ length: SERIES_POINTS }, (_, i) => i),
      );
      const long = store.read(db => storedSeries(db, 'r', 'long'))!;
      assert.strictEqual(long.count, 10_000);
      assert.strictEqual(long.stride, 512); // ceil(10000 / 512) = 20 ≤ 32 < ceil(10000 / 256) = 40
      assert.ok(long.steps.length <= SERIES_POINTS + 1);
      assert.strictEqual(long.steps[0], 0);
      assert.strictEqual(long.steps[long.steps.length - 1], 9_999, 'the newest point is kept');
      for (const s of long.steps.slice(0, -1)) {
        assert.strictEqual(s % 512, 0);
      }
      assert.strictEqual(long.values[1], Math.sin(512));
    });
  });

  it('appending line by line gives exactly what one cold read gives', async () => {
    await withRun(store => {
      const all = pts(1_000, i => (i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : Math.cos(i)));
      store.write(db => appendSeries(db, 'r', 'cold', pointSeq(all)));
      let at = 0;
      for (const n of [1, 1, 2, 30, 31, 1, 100, 334, 500]) {
        const part = {
          steps: all.steps.slice(at, at + n),
          ts: all.ts.slice(at, at + n),
          values: all.values.slice(at, at + n),
        };
        store.write(db => appendSeries(db, 'r', 'live', pointSeq(part)));
        at += n;
      }
      assert.strictEqual(at, 1_000);
      const raw = (key: string) =>
        store.read(db =>
          db.get<{ count: number; stride: number; data: Uint8Array }>(
            'SELECT count, stride, data FROM metric_series WHERE key = ?',
            [key],
          ),
        )!;
      const a = raw('cold'),
        b = raw('live');
      assert.strictEqual(b.count, a.count);
      assert.strictEqual(b.stride, a.stride);
      assert.deepStrictEqual(Buffer.from(b.data), Buffer.from(a.data));
      const latest = store.read(db =>
        db.all<{ key: string; step: number; value: number | null }>(
          'SELECT key, step, value FROM latest_metrics ORDER BY key',
        ),
      );
      assert.deepStrictEqual(
        latest.map(l => [l.step, l.value]),
        [
          [999, Math.cos(999)],
          [999, Math.cos(999)],
        ],
      );
    });
  });

  it('keeps NaN and infinities in the decimated copy', () => {
    const rows = seriesRows(
      'r',
      'm',
      pointSeq({ steps: [0, 1, 2], ts: [null, null, null], values: [NaN, Infinity, -Infinity] }),
    )!;
    const d = decodeSeries(rows.series[4]);
    assert.ok(Number.isNaN(d.values[0]));
    assert.deepStrictEqual(d.values.slice(1), [Infinity, -Infinity]);
    assert.strictEqual(rows.latest[4], -Infinity);
  });

  it('latest follows MLflow: highest step, then timestamp, then value; NaN never wins a tie', () => {
    const seq = (steps: number[], ts: (number | null)[], values: number[]) => pointSeq({ steps, ts, values });
    assert.strictEqual(
      latestIndex(seq([5, 3, 4], [1, 9, 9], [0, 1, 2])),
      0,
      'a later line with a lower step is not the latest',
    );
    assert.strictEqual(latestIndex(seq([2, 2], [5, 4], [1, 9])), 0, 'same step: the later timestamp wins');
    assert.strictEqual(
      latestIndex(seq([2, 2, 2], [5, 5, 5], [1, 9, 3])),
      1,
      'same step and time: the highest value wins',
    );
    assert.strictEqual(latestIndex(seq([2, 2], [5, 5], [1, NaN])), 0, 'NaN does not replace a number');
    assert.strictEqual(latestIndex(seq([2, 2], [5, 5], [NaN, 1])), 1, 'a number replaces NaN');
  });

  it('merges the latest value across appends by the same rule (an older line appended later does not win)', async () => {
    await withRun(store => {
      store.write(db => appendSeries(db, 'r', 'm', pointSeq({ steps: [10], ts: [5], values: [0.5] })));
      store.write(db => appendSeries(db, 'r', 'm', pointSeq({ steps: [3], ts: [9], values: [0.9] })));
      assert.deepStrictEqual(
        store.read(db => db.get('SELECT step, value FROM latest_metrics')),
        { step: 10, value: 0.5 },
      );
      store.write(db => appendSeries(db, 'r', 'm', pointSeq({ steps: [1], ts: [1], values: [7] }), 'replace'));
      assert.deepStrictEqual(
        store.read(db => db.get('SELECT step, value FROM latest_metrics')),
        { step: 1, value: 7 },
        'replace starts over',
      );
      assert.strictEqual(store.read(db => storedSeries(db, 'r', 'm'))!.count, 1);
    });
  });

  it('strideFor is the smallest power of two keeping at most SERIES_POINTS points', () => {
    assert.strictEqual(strideFor(0), 1);
    assert.strictEqual(strideFor(SERIES_POINTS), 1);
    assert.strictEqual(strideFor(SERIES_POINTS + 1), 2);
    assert.strictEqual(strideFor(100), 4);
    assert.strictEqual(strideFor(100, 8), 8, 'never shrinks');
  });

  it('parses metric lines from bytes, decoding values only on demand and exactly as Number() does', () => {
    const text = '1 0.1 0\n2 -1.5e-3 1\n3 1e308 2\n4 .5 3\n5 5. 4\n6 +2 5\n7 0.30000000000000004 6\n8 -0 7\n';
    const buf = Buffer.from(text);
    const r = parseMetricBuffer(buf, buf.length, 1);
    assert.strictEqual(r.bad.length, 0);
    const expected = ['0.1', '-1.5e-3', '1e308', '.5', '5.', '+2', '0.30000000000000004', '-0'].map(Number);
    for (let i = 0; i < expected.length; i++) {
      assert.ok(Object.is(r.seq.value(i), expected[i]), `${i}: ${r.seq.value(i)}`);
    }
    assert.deepStrictEqual(
      Array.from({ length: r.seq.length }, (_, i) => r.seq.step(i)),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    const badBuf = Buffer.from('1 1.2.3 0\n2 1e 0\n3 - 0\n4 0x10 0\n99999999999999999 1 0\n');
    const bad = parseMetricBuffer(badBuf, badBuf.length, 1);
    assert.deepStrictEqual(
      bad.bad.map(b => b.reason),
      [
        'the value is not a number',
        'the value is not a number',
        'the value is not a number',
        'the timestamp is not an integer',
      ],
    );
    assert.strictEqual(bad.seq.length, 1, '0x10 is a number to Number(), as before');
  });

  it('scans a chunk to the same count, bad lines and latest point (MLflow rule) as parsing it whole', () => {
    // a seeded mix of lines as MLflow writes them (fast path) and every other spelling (general path)
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
    for (let round = 0; round < 200; round++) {
      const lines: string[] = [];
      const n = 1 + Math.floor(rnd() * 40);
      for (let i = 0; i < n; i++) {
        const ts = pick([1000, 1001, 1002, 1700000000000 + i]);
        const step = pick([0, 1, 2, 3, i]);
        const value = pick(['0.5', '1', '-2.5e-3', 'nan', 'NaN', 'inf', '-inf', '1e308', '3', '7.25', 'x', '']);
        lines.push(
          pick([
            `${ts} ${value} ${step}`,
            `${ts} ${value}`,
            `${ts}  ${value} ${step}`,
            `${ts} ${value} ${step}\r`,
            `${ts} ${value} ${step} ds digest`,
            `-${ts} ${value} ${step}`,
            `${ts} ${value} +${step}`,
            'garbage',
            '',
          ]),
        );
      }
      const buf = Buffer.from(lines.join('\n') + '\n');
      const full = parseMetricBuffer(buf, buf.length, 5);
      const scan = scanMetricBuffer(buf, buf.length, 5);
      assert.strictEqual(scan.count, full.seq.length);
      assert.strictEqual(scan.lines, full.lines);
      assert.deepStrictEqual(scan.bad, full.bad);
      const b = latestIndex(full.seq);
      if (b < 0) {
        assert.strictEqual(scan.latest, undefined);
        continue;
      }
      assert.strictEqual(scan.latest!.step, full.seq.step(b), lines.join('|'));
      assert.strictEqual(scan.latest!.ts, full.seq.ts(b));
      assert.ok(
        Object.is(scan.latest!.value, full.seq.value(b)),
        `${scan.latest!.value} vs ${full.seq.value(b)} in ${lines.join('|')}`,
      );
    }
  });
});

/** A bare store database at an older schema version (migrations applied up to it, as that version left it). */
async function rawStoreAt(version: number): Promise<Database> {
  const SQL = await loadSqlJs();
  const raw = new SQL.Database();
  raw.run('PRAGMA foreign_keys = ON');
  for (let v = 0; v < version; v++) {
    raw.exec(MIGRATIONS[v]);
    raw.run(`PRAGMA user_version = ${v + 1}`);
  }
  return raw;
}

/** A workspace whose store file is `raw` (closed here). */
function workspaceWith(raw: Database): string {
  const ws = tempWorkspace();
  fs.mkdirSync(path.join(ws, '.mlsight'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.mlsight', 'mlsight.db'), raw.export());
  raw.close();
  return ws;
}

describe('store migration to metric series (schema 4 → 5)', () => {
  it('keeps runs, params, tags and latest values, drops the point table, and forgets offsets so sources are re-read', async () => {
    const { writeRunLog } = await import('./helpers');
    const raw = await rawStoreAt(4);
    raw.run(`INSERT INTO experiments (id, name, source) VALUES ('mlsight:e', 'e', 'mlsight')`);
    raw.run(
      `INSERT INTO runs (id, experiment_id, source, source_path) VALUES ('r1', 'mlsight:e', 'mlsight', '.mlsight/runs/r1/events.jsonl')`,
    );
    raw.run(`INSERT INTO params (run_id, key, value) VALUES ('r1', 'lr', '0.1')`);
    raw.run(`INSERT INTO tags (run_id, key, value) VALUES ('r1', 't', 'x')`);
    for (let i = 0; i < 3; i++) {
      raw.run('INSERT INTO metrics (run_id, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?)', [
        'r1',
        'loss',
        i,
        1000 + i,
        1 / (i + 1),
      ]);
    }
    raw.run(
      `INSERT INTO ingest_state (path, offset, line, run_id) VALUES ('.mlsight/runs/r1/events.jsonl', 10, 1, 'r1')`,
    );
    const ws = workspaceWith(raw);
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', experiment: 'e' },
      ...[0, 1, 2, 3].map(i => ({ type: 'metric', key: 'loss', value: 1 / (i + 1), step: i })),
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    try {
      assert.strictEqual(
        store.read(db => db.scalar('PRAGMA user_version')),
        MIGRATIONS.length,
      );
      assert.deepStrictEqual(
        store.read(db => db.all('SELECT key, value FROM params')),
        [{ key: 'lr', value: '0.1' }],
      );
      assert.deepStrictEqual(
        store.read(db => db.all('SELECT key, value FROM tags')),
        [{ key: 't', value: 'x' }],
      );
      assert.deepStrictEqual(
        store.read(db => db.all('SELECT key, step, value FROM latest_metrics')),
        [{ key: 'loss', step: 2, value: 1 / 3 }],
      );
      assert.strictEqual(
        store.read(db => db.scalar(`SELECT count(*) FROM sqlite_master WHERE name = 'metrics'`)),
        0,
      );
      assert.strictEqual(
        store.read(db => db.scalar('SELECT count(*) FROM ingest_state')),
        0,
        'offsets forgotten',
      );
      const { ingestMlsightRuns } = await import('../../src/core/ingest/mlsightRunLog');
      const { silentLogger } = await import('../../src/core/log');
      await ingestMlsightRuns(store, silentLogger);
      const s = store.read(db => storedSeries(db, 'r1', 'loss'))!;
      assert.deepStrictEqual([s.count, s.steps], [4, [0, 1, 2, 3]], 'the run log is read again, once');
      assert.deepStrictEqual(
        store.read(db => db.all('SELECT step, value FROM latest_metrics')),
        [{ step: 3, value: 0.25 }],
      );
    } finally {
      await store.close();
    }
  });
});

describe('store migration 5 → 6 (child rows without foreign keys; FileStore metrics keep latest values only)', () => {
  it("keeps every run's rows, drops FileStore series copies and orphans, and deletes children with their run", async () => {
    const raw = await rawStoreAt(5);
    raw.run(`INSERT INTO experiments (id, name, source) VALUES ('e', 'e', 'test')`);
    const fileRun = `mlflow:${'a'.repeat(32)}`;
    for (const [id, src] of [
      ['r1', '.mlsight/runs/r1/events.jsonl'],
      [fileRun, `mlruns/1/${'a'.repeat(32)}`],
    ]) {
      raw.run(`INSERT INTO runs (id, experiment_id, source, source_path) VALUES (?, 'e', 'test', ?)`, [id, src]);
      raw.run(`INSERT INTO params (run_id, key, value) VALUES (?, 'lr', '0.1')`, [id]);
      raw.run(`INSERT INTO tags (run_id, key, value) VALUES (?, 't', 'x')`, [id]);
      appendSeries({ run: (sql, p) => raw.run(sql, p), get: () => undefined }, id, 'loss', pointSeq(pts(3)), 'fresh');
    }
    raw.run(`INSERT INTO ingest_state (path, offset, line, run_id) VALUES (?, 10, 1, ?)`, [
      `mlruns/1/${'a'.repeat(32)}/meta.yaml`,
      fileRun,
    ]);
    raw.run(`INSERT INTO ingest_state (path, offset, line, run_id) VALUES (?, 30, 3, ?)`, [
      `mlruns/1/${'a'.repeat(32)}/metrics/loss`,
      fileRun,
    ]);
    const store = await WorkspaceStore.open({ folder: workspaceWith(raw), persistDelayMs: 60_000 });
    try {
      const q = (sql: string, p: (string | number)[] = []) => store.read(db => db.all(sql, p));
      assert.strictEqual(
        store.read(db => db.scalar('PRAGMA user_version')),
        MIGRATIONS.length,
      );
      for (const t of ['params', 'tags', 'latest_metrics', 'metric_series']) {
        assert.deepStrictEqual(q(`SELECT * FROM pragma_foreign_key_list('${t}')`), [], `${t} has no foreign key`);
      }
      assert.deepStrictEqual(q('SELECT run_id, key, value FROM params ORDER BY run_id'), [
        { run_id: fileRun, key: 'lr', value: '0.1' },
        { run_id: 'r1', key: 'lr', value: '0.1' },
      ]);
      assert.deepStrictEqual(q('SELECT run_id, step FROM latest_metrics ORDER BY run_id'), [
        { run_id: fileRun, step: 2 },
        { run_id: 'r1', step: 2 },
      ]);
      assert.deepStrictEqual(
        q('SELECT run_id FROM metric_series'),
        [{ run_id: 'r1' }],
        "the FileStore run's copy is gone; its file holds the series",
      );
      assert.strictEqual(q('SELECT * FROM ingest_state').length, 2, 'offsets kept: nothing is read again');
      assert.deepStrictEqual(q('SELECT key FROM metric_keys'), [{ key: 'loss' }]);
      // children go with their run, also when the experiment takes its runs with it
      store.write(db => db.run(`DELETE FROM runs WHERE id = 'r1'`));
      for (const t of ['params', 'tags', 'latest_metrics', 'metric_series']) {
        assert.strictEqual(q(`SELECT run_id FROM ${t} WHERE run_id = 'r1'`).length, 0, `${t} rows of r1 deleted`);
      }
      store.write(db => db.run(`DELETE FROM experiments WHERE id = 'e'`));
      assert.strictEqual(q('SELECT run_id FROM params').length + q('SELECT run_id FROM latest_metrics').length, 0);
      // rows left for a run id that no longer exists are not inherited by a new run of that id
      store.write(db => {
        db.run(`INSERT INTO params (run_id, key, value) VALUES ('r9', 'stale', '1')`);
        db.run(`INSERT INTO experiments (id, name, source) VALUES ('e', 'e', 'test')`);
        db.run(`INSERT INTO runs (id, experiment_id, source) VALUES ('r9', 'e', 'test')`);
      });
      assert.deepStrictEqual(q(`SELECT key FROM params WHERE run_id = 'r9'`), []);
    } finally {
      await store.close();
    }
  });
});

describe('full histories from the run log', () => {
  it('reads every point of a long series from the log, and sees lines appended since the last read', async () => {
    const { writeRunLog } = await import('./helpers');
    const { ingestMlsightRuns } = await import('../../src/core/ingest/mlsightRunLog');
    const { loadHistories, planHistories } = await import('../../src/core/runs/history');
    const { silentLogger } = await import('../../src/core/log');
    const ws = tempWorkspace();
    writeRunLog(ws, 'r', [
      { type: 'run', run_id: 'r', experiment: 'e' },
      ...Array.from({ length: 500 }, (_, i) => ({
        type: 'metric',
        key: 'loss',
        value: i,
        step: i,
        timestamp: 5000 + i,
      })),
    ]);
    const store = await WorkspaceStore.open({ folder: ws });
    try {
      await ingestMlsightRuns(store, silentLogger);
      const wanted = [{ runId: 'r', key: 'loss' }];
      const load = async () =>
        (
          await loadHistories(
            store.read(db => planHistories(db, store.folder, wanted)),
            wanted,
          )
        )
          .get('r')!
          .get('loss')!;
      const a = await load();
      assert.strictEqual(a.complete, true);
      assert.deepStrictEqual([a.points.length, a.points[499]], [500, { step: 499, timestamp: 5499, value: 499 }]);
      assert.ok(store.read(db => storedSeries(db, 'r', 'loss'))!.steps.length <= SERIES_POINTS + 1);
      fs.appendFileSync(
        path.join(ws, '.mlsight', 'runs', 'r', 'events.jsonl'),
        JSON.stringify({ type: 'metric', key: 'loss', value: -1, step: 500 }) + '\n',
      );
      const b = await load();
      assert.strictEqual(b.points.length, 501, 'a changed log is read again');
      assert.strictEqual(b.points[500].value, -1);
    } finally {
      await store.close();
    }
  });
});

describe('run-log events for full histories', () => {
  it('reads logger metric lines on a fast path that gives exactly what JSON.parse + validation gives', async () => {
    const { readRunLog } = await import('../../src/core/ingest/mlsightRunLog');
    const { validateEvent } = await import('../../src/core/runs/format');
    const lines = [
      '{"type":"run","run_id":"r","experiment":"e"}',
      '{"type":"metric","key":"loss","value":0.5,"step":0,"ts":1700000000000}',
      '{"type":"metric","key":"val/acc","value":1e-05,"step":1,"ts":1700000000001}',
      '{"type":"metric","key":"loss","value":"NaN","step":2,"ts":1700000000002}',
      '{"type":"metric","key":"loss","value":"-Infinity","step":3,"ts":1700000000003}',
      '{"type":"metric","key":"caf\u00e9 \\"q\\"","value":-3,"step":4,"ts":1700000000004}', // escapes: the JSON.parse path
      '{"type":"metric","key":"loss","value":1.2.3,"step":5,"ts":1700000000005}', // not JSON: skipped
      '{"type":"metric","key":"loss","value":1e400,"step":6,"ts":1700000000006}', // Infinity
      '{"type":"metric","key":"","value":1,"step":7,"ts":1700000000007}', // no key: skipped
      '{"type":"metric","key":"loss","value":2,"step":8,"ts":1700000000008}\r',
      '{ "type": "metric", "key": "loss", "value": 3, "step": 9 }',
      '',
      '{"type":"metric","key":"loss","value":4,"step":10,"ts":1700000000010}', // last line without newline: not read
    ];
    const text = lines.join('\n');
    const fast: unknown[] = [];
    readRunLog(text, 1, e => fast.push(e));
    const slow: unknown[] = [];
    for (const l of lines.slice(0, -1)) {
      let e: unknown;
      try {
        e = JSON.parse(l);
      } catch {
        continue;
      }
      if (l.trim() !== '' && !validateEvent(e)) {
        slow.push(e);
      }
    }
    assert.deepStrictEqual(fast, slow);
    assert.strictEqual(fast.length, 9);
  });
});
