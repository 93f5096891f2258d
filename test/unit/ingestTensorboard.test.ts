import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/core/log';
import { getRun, listExperiments, listRuns, metricHistory } from '../../src/core/queries';
import { loadHistories, planHistories } from '../../src/core/runs/history';
import { WorkspaceStore } from '../../src/core/store/store';
import { ingestWorkspace } from '../../src/core/ingest/scan';
import {
  DT,
  EventType,
  bfloat16ToNumber,
  crc32cOf,
  encodeTfRecord,
  eventScalars,
  halfToNumber,
  maskedCrc32c,
  readTfRecords,
  tensorScalar,
  tensorboardRunId,
} from '../../src/core/ingest/tensorboard';
import {
  countRows,
  dumpTables,
  encodeEvent,
  eventFile,
  frame,
  ingestTempWorkspace,
  openTestStore,
  recordingLogger,
  testCrc32c,
  testMaskedCrc,
} from './ingestFixtures';

const HOSTILE = '<img src=x onerror=alert(1)>';

/**
 * Check values (from the format notes / rustboard's masked_crc tests) and one full TFRecord:
 * Event{wall_time=1.5, step=3, summary{value{tag:"loss", simple_value:0.25}}}.
 */
const VECTORS = {
  crc123456789: 0xe3069283,
  crc32zeros: 0x8a9136aa,
  maskedCrcTest: { input: Buffer.from('\x1a\x11CRC test, one two', 'latin1'), value: 0x5794d08a },
  record: [
    '1a00000000000000', // length 26, u64 LE
    '129bd82d', // masked crc of the length
    '09000000000000f83f10032a0d0a0b0a046c6f7373150000803e', // the Event
    'd054b255', // masked crc of the payload
  ].join(''),
};

const openStore = (ws: string) => openTestStore(ws);

function writeEvents(dir: string, name: string, data: Buffer): string {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
}

const old = (f: string) => {
  const t = new Date(Date.now() - 3_600_000);
  fs.utimesSync(f, t, t);
};

describe('TensorBoard: TFRecord framing and CRC-32C', () => {
  it('matches the CRC-32C check values (test encoder and the reader)', () => {
    for (const crc of [testCrc32c, crc32cOf]) {
      assert.strictEqual(crc(Buffer.from('123456789')), VECTORS.crc123456789);
      assert.strictEqual(crc(Buffer.alloc(32)), VECTORS.crc32zeros);
    }
    assert.strictEqual(testMaskedCrc(VECTORS.maskedCrcTest.input), VECTORS.maskedCrcTest.value);
    assert.strictEqual(maskedCrc32c(VECTORS.maskedCrcTest.input), VECTORS.maskedCrcTest.value);
  });

  it('encodes the reference record byte for byte, and the reader decodes it', async () => {
    const payload = encodeEvent({ wallTime: 1.5, step: 3, values: [{ tag: 'loss', simpleValue: 0.25 }] });
    const rec = frame(payload);
    assert.strictEqual(rec.toString('hex'), VECTORS.record);
    assert.strictEqual(encodeTfRecord(payload).toString('hex'), VECTORS.record);
    const ev = eventScalars(Buffer.from(VECTORS.record, 'hex').subarray(12, 38), new Map(), new Set());
    assert.deepStrictEqual(ev.points, [{ tag: 'loss', step: 3, wallTimeMs: 1500, value: 0.25 }]);
    const decoded = EventType.toObject(EventType.decode(payload), { longs: Number });
    assert.deepStrictEqual(decoded, {
      wall_time: 1.5,
      step: 3,
      summary: { value: [{ tag: 'loss', simple_value: 0.25 }] },
    });
  });

  it('stops before a torn record, skips a record whose payload checksum fails, and stops at a corrupt length', async () => {
    const ws = ingestTempWorkspace();
    const r1 = frame(encodeEvent({ wallTime: 1, step: 1, values: [{ tag: 'a', simpleValue: 1 }] }));
    const r2 = frame(encodeEvent({ wallTime: 2, step: 2, values: [{ tag: 'a', simpleValue: 2 }] }));
    const bad = Buffer.from(r2);
    bad[20] ^= 0xff; // payload byte flipped
    const file = path.join(ws, 'f');
    const read = async (data: Buffer) => {
      fs.writeFileSync(file, data);
      const fh = await fs.promises.open(file, 'r');
      const got: number[] = [];
      try {
        const res = await readTfRecords(fh, 0, data.length, (_p, off) => got.push(off));
        return { ...res, got };
      } finally {
        await fh.close();
      }
    };
    const torn = await read(Buffer.concat([r1, r2.subarray(0, 10)]));
    assert.deepStrictEqual([torn.offset, torn.records, torn.got, torn.fatal], [r1.length, 1, [0], undefined]);
    const tornPayload = await read(Buffer.concat([r1, r2.subarray(0, r2.length - 1)]));
    assert.strictEqual(tornPayload.offset, r1.length);
    const skipped = await read(Buffer.concat([r1, bad, r1]));
    assert.deepStrictEqual(
      [skipped.offset, skipped.records, skipped.got],
      [r1.length * 2 + bad.length, 3, [0, r1.length + bad.length]],
    );
    assert.deepStrictEqual(skipped.badData, [{ offset: r1.length, length: r2.length - 16 }]);
    const badLen = Buffer.from(r2);
    badLen[0] ^= 0x01; // the length no longer matches its checksum
    const fatal = await read(Buffer.concat([r1, badLen, r1]));
    assert.deepStrictEqual(
      [fatal.offset, fatal.records, fatal.fatal],
      [r1.length, 1, { kind: 'length-crc', offset: r1.length }],
    );
  });
});

describe('TensorBoard: scalar encodings', () => {
  const one = (v: Parameters<typeof encodeEvent>[0]['values'], meta = new Map(), known = new Set<string>()) =>
    eventScalars(encodeEvent({ wallTime: 10, step: 5, values: v }), meta, known).points.map(p => p.value);

  it('reads simple_value, float_val, double_val, tensor_content (f32/f64/half/bf16/int) and packed or unpacked repeats', () => {
    assert.deepStrictEqual(one([{ tag: 's', simpleValue: 0.5 }]), [0.5]);
    const scal = { pluginName: 'scalars' };
    assert.deepStrictEqual(one([{ tag: 'f', tensor: { dtype: DT.FLOAT, floatVal: [0.25] }, ...scal }]), [0.25]);
    assert.deepStrictEqual(
      one([{ tag: 'f', tensor: { dtype: DT.FLOAT, floatVal: [0.75], unpacked: true }, ...scal }]),
      [0.75],
    );
    assert.deepStrictEqual(one([{ tag: 'd', tensor: { dtype: DT.DOUBLE, doubleVal: [0.1] }, dataClass: 1 }]), [0.1]);
    assert.deepStrictEqual(
      one([{ tag: 'd', tensor: { dtype: DT.DOUBLE, doubleVal: [0.1], unpacked: true }, dataClass: 1 }]),
      [0.1],
    );
    const f32 = Buffer.alloc(4);
    f32.writeFloatLE(1.5);
    const f64 = Buffer.alloc(8);
    f64.writeDoubleLE(Math.PI);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(-7n);
    assert.deepStrictEqual(one([{ tag: 'c', tensor: { dtype: DT.FLOAT, content: f32 }, ...scal }]), [1.5]);
    assert.deepStrictEqual(one([{ tag: 'c', tensor: { dtype: DT.DOUBLE, content: f64 }, ...scal }]), [Math.PI]);
    assert.deepStrictEqual(one([{ tag: 'c', tensor: { dtype: DT.INT64, content: i64 }, ...scal }]), [-7]);
    assert.deepStrictEqual(one([{ tag: 'h', tensor: { dtype: DT.HALF, halfVal: [0x3c00] }, ...scal }]), [1]);
    assert.deepStrictEqual(one([{ tag: 'h', tensor: { dtype: DT.BFLOAT16, halfVal: [0x3fc0] }, ...scal }]), [1.5]);
    assert.deepStrictEqual(one([{ tag: 'i', tensor: { dtype: DT.INT32, intVal: [42] }, ...scal }]), [42]);
    assert.deepStrictEqual(
      one([{ tag: 'i', tensor: { dtype: DT.INT64, int64Val: [9007199254740991] }, ...scal }]),
      [9007199254740991],
    );
    assert.deepStrictEqual(
      one([{ tag: 'shape1', tensor: { dtype: DT.FLOAT, shape: [1, 1], floatVal: [2] }, ...scal }]),
      [2],
    );
    assert.strictEqual(halfToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToNumber(0x7e00)));
    assert.strictEqual(halfToNumber(0xc000), -2);
    assert.strictEqual(bfloat16ToNumber(0x3f80), 1);
    assert.strictEqual(tensorScalar({ dtype: DT.FLOAT, float_val: [] }), undefined);
  });

  it('ignores non-scalar summaries (histograms, images, vectors, strings) and uses first-occurrence metadata', () => {
    assert.deepStrictEqual(
      one([
        {
          tag: 'hist',
          tensor: { dtype: DT.DOUBLE, shape: [3, 3], doubleVal: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
          pluginName: 'histograms',
        },
      ]),
      [],
    );
    assert.deepStrictEqual(one([{ tag: 'img', image: Buffer.from('png bytes') }]), []);
    assert.deepStrictEqual(
      one([{ tag: 'vec', tensor: { dtype: DT.FLOAT, shape: [2], floatVal: [1, 2] }, pluginName: 'scalars' }]),
      [],
    );
    assert.deepStrictEqual(one([{ tag: 'nometa', tensor: { dtype: DT.FLOAT, floatVal: [1] } }]), []);
    const meta = new Map();
    const known = new Set<string>();
    assert.deepStrictEqual(
      one([{ tag: 'x', tensor: { dtype: DT.FLOAT, floatVal: [1] }, pluginName: 'scalars' }], meta, known),
      [1],
    );
    assert.deepStrictEqual(
      one([{ tag: 'x', tensor: { dtype: DT.FLOAT, floatVal: [2] } }], meta, known),
      [2],
      'metadata stripped after the first occurrence',
    );
    assert.deepStrictEqual(
      one([{ tag: 'y', tensor: { dtype: DT.FLOAT, floatVal: [3] } }], new Map(), new Set(['y'])),
      [3],
      'known from an earlier pass',
    );
    assert.deepStrictEqual(
      one([{ tag: 'h2', tensor: { dtype: DT.FLOAT, floatVal: [1] }, pluginName: 'histograms' }], meta),
      [],
    );
    assert.deepStrictEqual(
      one([{ tag: 'h2', tensor: { dtype: DT.FLOAT, floatVal: [1] }, pluginName: 'scalars' }], meta),
      [],
      'first occurrence wins',
    );
  });

  it('keeps NaN and infinities', () => {
    const v = one([
      { tag: 'a', simpleValue: NaN },
      { tag: 'b', simpleValue: Infinity },
      { tag: 'c', tensor: { dtype: DT.DOUBLE, doubleVal: [-Infinity] }, pluginName: 'scalars' },
    ]);
    assert.ok(Number.isNaN(v[0]));
    assert.deepStrictEqual(v.slice(1), [Infinity, -Infinity]);
  });
});

describe('TensorBoard ingest', () => {
  function buildLogdir(ws: string): { run1: string; run2: string } {
    const run1 = path.join(ws, 'runs', 'exp1');
    const run2 = path.join(ws, 'runs', 'exp2');
    // PyTorch-style simple_value, two files read in name order
    writeEvents(
      run1,
      'events.out.tfevents.1700000000.host.1.0',
      eventFile([
        {
          wallTime: 1700000000.5,
          step: 0,
          values: [
            { tag: 'loss', simpleValue: 1 },
            { tag: 'lr', simpleValue: 0.1 },
          ],
        },
        { wallTime: 1700000001.5, step: 1, values: [{ tag: 'loss', simpleValue: 0.5 }] },
      ]),
    );
    writeEvents(
      run1,
      'events.out.tfevents.1700000100.host.2.0',
      eventFile([
        {
          wallTime: 1700000100,
          step: 2,
          values: [
            { tag: 'loss', simpleValue: NaN },
            { tag: HOSTILE, simpleValue: 1 },
          ],
        },
      ]),
    );
    // TF2-style tensors: metadata on the first value only, then stripped; plus non-scalar summaries
    writeEvents(
      run2,
      'events.out.tfevents.1700000000.host.3.0',
      eventFile([
        {
          wallTime: 1700000000,
          step: 0,
          values: [
            { tag: 'acc', tensor: { dtype: DT.FLOAT, floatVal: [0.5] }, pluginName: 'scalars', dataClass: 1 },
            {
              tag: 'hist',
              tensor: { dtype: DT.DOUBLE, shape: [2, 3], doubleVal: [1, 2, 3, 4, 5, 6] },
              pluginName: 'histograms',
            },
            { tag: 'img', image: Buffer.alloc(100, 7) },
          ],
        },
        {
          wallTime: 1700000001,
          step: 1,
          values: [
            {
              tag: 'acc',
              tensor: {
                dtype: DT.FLOAT,
                content: (() => {
                  const b = Buffer.alloc(4);
                  b.writeFloatLE(0.75);
                  return b;
                })(),
              },
            },
          ],
        },
        { wallTime: 1700000002, step: 2, values: [{ tag: 'acc', tensor: { dtype: DT.DOUBLE, doubleVal: [1] } }] },
      ]),
    );
    for (const d of [run1, run2]) {
      for (const f of fs.readdirSync(d)) {
        old(path.join(d, f));
      }
    }
    return { run1, run2 };
  }

  it('reads runs (a directory each), names them by directory, and takes the logdir root as the experiment', async () => {
    const ws = ingestTempWorkspace();
    buildLogdir(ws);
    const store = await openStore(ws);
    const log = recordingLogger();
    const r = await ingestWorkspace(store, log);
    assert.deepStrictEqual(log.lines, []);
    assert.deepStrictEqual(r.found.tensorboardRuns, ['runs/exp1', 'runs/exp2']);
    assert.deepStrictEqual(
      store.read(db => listExperiments(db)).map(e => [e.id, e.name, e.source, e.runCount]),
      [['tensorboard:runs', 'runs', 'tensorboard', 2]],
    );
    const runs = store.read(db => listRuns(db, 'tensorboard:runs'));
    assert.deepStrictEqual(runs.map(x => [x.id, x.name, x.status]).sort(), [
      ['tensorboard:runs/exp1', 'exp1', 'FINISHED'],
      ['tensorboard:runs/exp2', 'exp2', 'FINISHED'],
    ]);
    const r1 = store.read(db => getRun(db, tensorboardRunId('runs/exp1')))!;
    assert.deepStrictEqual(Object.keys(r1.latestMetrics).sort(), [HOSTILE, 'loss', 'lr'].sort());
    assert.strictEqual(r1.startTime, 1700000000500);
    assert.strictEqual(r1.endTime, 1700000100000);
    const loss = store.read(db => metricHistory(db, tensorboardRunId('runs/exp1'), 'loss'));
    assert.deepStrictEqual(
      loss.map(p => p.step),
      [0, 1, 2],
    );
    assert.ok(Number.isNaN(loss[2].value));
    // the full history, wall times included, comes from the event files
    const wanted = [{ runId: tensorboardRunId('runs/exp1'), key: 'loss' }];
    const full = (
      await loadHistories(
        store.read(db => planHistories(db, store.folder, wanted)),
        wanted,
      )
    )
      .get(wanted[0].runId)!
      .get('loss')!;
    assert.strictEqual(full.complete, true);
    assert.deepStrictEqual(
      full.points.map(p => [p.step, p.timestamp]),
      [
        [0, 1700000000500],
        [1, 1700000001500],
        [2, 1700000100000],
      ],
    );
    assert.ok(Number.isNaN(full.points[2].value));
    const acc = store.read(db => metricHistory(db, tensorboardRunId('runs/exp2'), 'acc'));
    assert.deepStrictEqual(
      acc.map(p => [p.step, p.value]),
      [
        [0, 0.5],
        [1, 0.75],
        [2, 1],
      ],
    );
    assert.deepStrictEqual(
      store
        .read(db => db.all<{ key: string }>("SELECT key FROM metric_series WHERE run_id = 'tensorboard:runs/exp2'"))
        .map(x => x.key),
      ['acc'],
    );
  });

  it('is idempotent and tails event files: appended records are read once, a torn record waits', async () => {
    const ws = ingestTempWorkspace();
    const { run1 } = buildLogdir(ws);
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger);
    const before = dumpTables(store);
    const again = await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual([again.runs, again.metricPoints, again.bytesRead], [0, 0, 0]);
    assert.deepStrictEqual(dumpTables(store), before);
    const file = path.join(run1, 'events.out.tfevents.1700000100.host.2.0');
    const rec = frame(encodeEvent({ wallTime: 1700000200, step: 3, values: [{ tag: 'loss', simpleValue: 0.25 }] }));
    fs.appendFileSync(file, rec.subarray(0, 20)); // the writer is mid-record
    const log = recordingLogger();
    const torn = await ingestWorkspace(store, log);
    assert.deepStrictEqual(log.lines, []);
    assert.strictEqual(torn.metricPoints, 0);
    assert.strictEqual(
      store.read(db => db.scalar('SELECT status FROM runs WHERE id = ?', [tensorboardRunId('runs/exp1')])),
      'RUNNING',
      'a file that just changed → RUNNING',
    );
    fs.appendFileSync(file, rec.subarray(20));
    const done = await ingestWorkspace(store, silentLogger, { paths: [file] });
    assert.strictEqual(done.metricPoints, 1);
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => metricHistory(db, tensorboardRunId('runs/exp1'), 'loss')).map(p => p.step),
      [0, 1, 2, 3],
    );
    // the run goes quiet → FINISHED on the next pass
    old(file);
    await ingestWorkspace(store, silentLogger);
    assert.strictEqual(
      store.read(db => db.scalar('SELECT status FROM runs WHERE id = ?', [tensorboardRunId('runs/exp1')])),
      'FINISHED',
    );
    // a rewritten (shorter) file: the run is read again from scratch, no duplicates
    fs.writeFileSync(file, eventFile([{ wallTime: 1700000100, step: 2, values: [{ tag: 'loss', simpleValue: 9 }] }]));
    await ingestWorkspace(store, silentLogger);
    assert.deepStrictEqual(
      store.read(db => metricHistory(db, tensorboardRunId('runs/exp1'), 'loss')).map(p => [p.step, p.value]),
      [
        [0, 1],
        [1, 0.5],
        [2, 9],
      ],
    );
    // a run folder whose event files were all deleted (watcher pass) is no longer a run
    for (const f of fs.readdirSync(path.join(ws, 'runs', 'exp2'))) {
      fs.rmSync(path.join(ws, 'runs', 'exp2', f));
    }
    const emptied = await ingestWorkspace(store, silentLogger, {
      paths: [path.join(ws, 'runs', 'exp2', 'events.out.tfevents.1700000000.host.3.0')],
    });
    assert.strictEqual(emptied.removedRuns, 1);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs')),
      1,
    );
    // a run directory that disappears is removed, and its experiment when it was the last one
    fs.rmSync(path.join(ws, 'runs'), { recursive: true });
    const gone = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(gone.removedRuns, 1);
    assert.strictEqual(
      store.read(db => countRows(db, 'runs') + countRows(db, 'experiments') + countRows(db, 'ingest_state')),
      0,
    );
  });

  it('reports a bad checksum once and keeps reading; stops a file with corrupt framing with one clear line', async () => {
    const ws = ingestTempWorkspace();
    const dir = path.join(ws, 'logs', 'run');
    const good = (step: number) =>
      frame(encodeEvent({ wallTime: 1700000000 + step, step, values: [{ tag: 'm', simpleValue: step }] }));
    const bad = Buffer.from(good(1));
    bad[bad.length - 6] ^= 0x55; // inside the payload
    const f1 = writeEvents(dir, 'events.out.tfevents.1.a', Buffer.concat([good(0), bad, good(2)]));
    const badLen = Buffer.from(good(11));
    badLen[3] ^= 0x10;
    const f2 = writeEvents(dir, 'events.out.tfevents.2.b', Buffer.concat([good(10), badLen, good(12)]));
    const f3 = writeEvents(
      path.join(ws, 'logs', 'garbage'),
      'events.out.tfevents.3.c',
      Buffer.from('not a tfrecord file at all, just text'),
    );
    [f1, f2, f3].forEach(old);
    const store = await openStore(ws);
    const log = recordingLogger();
    const r = await ingestWorkspace(store, log);
    assert.strictEqual(log.lines.length, 3, log.lines.join('\n'));
    log.lines.sort((x, y) => (x.includes('garbage') ? 1 : 0) - (y.includes('garbage') ? 1 : 0));
    assert.match(
      log.lines[0],
      /logs\/run\/events\.out\.tfevents\.1\.a: 1 record\(s\) with a bad checksum skipped \(first at byte 3\d, /,
    );
    assert.match(
      log.lines[1],
      /logs\/run\/events\.out\.tfevents\.2\.b: corrupt at byte 3\d \(the record length fails its checksum\); the rest of this event file is not read/,
    );
    assert.match(log.lines[2], /logs\/garbage\/events\.out\.tfevents\.3\.c: corrupt at byte 0/);
    assert.strictEqual(r.problems, 3);
    assert.deepStrictEqual(
      store.read(db => metricHistory(db, tensorboardRunId('logs/run'), 'm')).map(p => p.step),
      [0, 2, 10],
    );
    fs.appendFileSync(f1, good(3));
    fs.appendFileSync(f2, good(13));
    const again = recordingLogger();
    await ingestWorkspace(store, again);
    assert.deepStrictEqual(again.lines, [], 'each problem is reported once');
    assert.deepStrictEqual(
      store.read(db => metricHistory(db, tensorboardRunId('logs/run'), 'm')).map(p => p.step),
      [0, 2, 3, 10],
    );
  });

  it('names runs relative to a configured logdir and treats an event file in the workspace root as a run', async () => {
    const ws = ingestTempWorkspace();
    const ev = eventFile([{ wallTime: 1700000000, step: 1, values: [{ tag: 'x', simpleValue: 1 }] }]);
    writeEvents(path.join(ws, 'tb', 'fit', '2024', 'train'), 'events.out.tfevents.1.h', ev);
    writeEvents(path.join(ws, 'tb', 'fit', '2024', 'validation'), 'events.out.tfevents.1.h', ev);
    writeEvents(ws, 'events.out.tfevents.9.h', ev);
    writeEvents(path.join(ws, 'node_modules', 'x'), 'events.out.tfevents.1.h', ev);
    writeEvents(path.join(ws, 'skipme', 'r'), 'events.out.tfevents.1.h', ev);
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger, { tensorboardRoots: ['tb'], exclude: ['skipme/**'] });
    const rows = store.read(db =>
      db.all<{ id: string; name: string; experiment_id: string }>(
        'SELECT id, name, experiment_id FROM runs ORDER BY id',
      ),
    );
    assert.deepStrictEqual(rows, [
      { id: 'tensorboard:.', name: path.basename(ws), experiment_id: 'tensorboard:.' },
      { id: 'tensorboard:tb/fit/2024/train', name: 'fit/2024/train', experiment_id: 'tensorboard:tb' },
      { id: 'tensorboard:tb/fit/2024/validation', name: 'fit/2024/validation', experiment_id: 'tensorboard:tb' },
    ]);
  });

  it('replays safely when another process wrote the store first (no duplicate points)', async () => {
    const ws = ingestTempWorkspace();
    const dir = path.join(ws, 'runs', 'a');
    const f = writeEvents(
      dir,
      'events.out.tfevents.1.h',
      eventFile([{ wallTime: 1, step: 1, values: [{ tag: 'm', simpleValue: 1 }] }]),
    );
    const a = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    const b = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    try {
      await ingestWorkspace(a, silentLogger);
      await ingestWorkspace(b, silentLogger);
      await a.flush();
      fs.appendFileSync(f, frame(encodeEvent({ wallTime: 2, step: 2, values: [{ tag: 'm', simpleValue: 2 }] })));
      await ingestWorkspace(a, silentLogger);
      await a.flush();
      await b.flush();
      assert.deepStrictEqual(
        b.read(db => metricHistory(db, tensorboardRunId('runs/a'), 'm')).map(p => p.value),
        [1, 2],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reads a large event file in windows (20,000 records)', async () => {
    const ws = ingestTempWorkspace();
    const recs: Buffer[] = [frame(encodeEvent({ wallTime: 1, fileVersion: 'brain.Event:2' }))];
    for (let i = 0; i < 20_000; i++) {
      recs.push(
        frame(
          encodeEvent({
            wallTime: 1700000000 + i,
            step: i,
            values: [
              { tag: 'loss', simpleValue: 1 / (i + 1) },
              { tag: 'img', image: Buffer.alloc(300, i & 0xff) },
            ],
          }),
        ),
      );
    }
    writeEvents(path.join(ws, 'runs', 'big'), 'events.out.tfevents.1.h', Buffer.concat(recs));
    const store = await openStore(ws);
    const r = await ingestWorkspace(store, silentLogger);
    assert.strictEqual(r.metricPoints, 20_000);
    assert.ok(r.bytesRead > 20_000 * 300);
  });
});
