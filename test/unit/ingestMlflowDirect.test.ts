import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/core/log';
import { listExperiments } from '../../src/core/queries';
import { WorkspaceStore } from '../../src/core/store/store';
import { emptyCounts } from '../../src/core/ingest/common';
import { ingestMlflowFileStore, mlflowRunId } from '../../src/core/ingest/mlflowFileStore';
import { ingestWorkspace } from '../../src/core/ingest/scan';
import { MlrunsBuilder, countRows, dumpTables, hex32, ingestTempWorkspace, recordingLogger } from './ingestFixtures';
import { buildQuirkyTree, openStore } from './ingestMlflowShared';

describe('MLflow FileStore ingest: direct API', () => {
  it('reads a workspace folder that is itself an mlruns folder (configured root ".")', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(ws);
    mb.experiment('0', 'Default');
    mb.run('0', { runId: hex32(1), metrics: { m: '1 1 0\n' } });
    mb.run('0', { runId: hex32(2), metrics: { m: '1 1 0\n' } });
    const store = await openStore(ws);
    await ingestWorkspace(store, silentLogger, { mlflowRoots: ['.'] });
    assert.deepStrictEqual(
      store.read(db => db.all('SELECT id, experiment_id, source_path FROM runs ORDER BY id')),
      [
        { id: mlflowRunId(hex32(1)), experiment_id: 'mlflow:.:0', source_path: `0/${hex32(1)}` },
        { id: mlflowRunId(hex32(2)), experiment_id: 'mlflow:.:0', source_path: `0/${hex32(2)}` },
      ],
    );
    fs.rmSync(path.join(ws, '0', hex32(2)), { recursive: true });
    await ingestWorkspace(store, silentLogger, { mlflowRoots: ['.'] });
    assert.strictEqual(
      store.read(db => countRows(db, 'runs')),
      1,
    );
    assert.strictEqual(
      store.read(db => countRows(db, 'ingest_state', 'path LIKE ?', [`0/${hex32(2)}/%`])),
      0,
    );
    await ingestWorkspace(store, silentLogger); // no longer configured: its rows go
    assert.strictEqual(
      store.read(db => countRows(db, 'runs') + countRows(db, 'ingest_state')),
      0,
    );
  });

  it('reads runs in reader threads (the worker bundle) into the same rows as in this thread, and falls back to this thread if a reader fails', async function () {
    this.timeout(60_000);
    const worker = path.join(__dirname, '..', '..', 'worker.js'); // dist/worker.js, built with the tests
    assert.ok(fs.existsSync(worker), worker);
    const ws = ingestTempWorkspace();
    const { mb } = buildQuirkyTree(ws);
    mb.experiment('1', 'many');
    for (let i = 0; i < 40; i++) {
      mb.run('1', { runId: hex32(100 + i), params: { i: String(i) }, metrics: { m: `1 ${i} 0\n2 ${i + 1} 1\n` } });
    }
    mb.run('1', { runId: hex32(99), rawMeta: 'artifact_uri: [unclosed\n' }); // a problem reported from a thread
    const root = path.join(ws, 'mlruns');
    const ingest = async (options: { readerScript?: string }) => {
      fs.rmSync(path.join(ws, '.mlsight'), { recursive: true, force: true });
      const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
      try {
        const log = recordingLogger();
        const counts = emptyCounts();
        await ingestMlflowFileStore(store, log, root, counts, { ...options, readerThreads: 2, threadMinRuns: 1 });
        return {
          tables: dumpTables(store),
          lines: log.lines,
          counts: { ...counts, changedRuns: [...counts.changedRuns].sort() },
        };
      } finally {
        await store.close();
      }
    };
    const inThread = await ingest({});
    assert.ok(inThread.counts.runs > 40 && inThread.lines.length > 0);
    const threaded = await ingest({ readerScript: worker });
    assert.deepStrictEqual(threaded.tables, inThread.tables);
    assert.deepStrictEqual(threaded.lines.sort(), [...inThread.lines].sort(), "the threads' log lines reach the log");
    assert.deepStrictEqual(threaded.counts, inThread.counts);
    // a reader that cannot start: its runs are read in this thread, with one line saying so
    const broken = path.join(ws, 'broken-reader.js');
    fs.writeFileSync(broken, 'throw new Error("boom");\n');
    const fallback = await ingest({ readerScript: broken });
    assert.deepStrictEqual(fallback.tables, inThread.tables);
    const warnings = fallback.lines.filter(l => /reader thread failed/.test(l));
    assert.strictEqual(warnings.length, 2, fallback.lines.join('\n'));
    assert.match(warnings[0], /boom/);
  });

  it('ingestMlflowFileStore reads one root and counts what it did', async () => {
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'custom-root'));
    mb.experiment('0', 'Default');
    mb.run('0', { runId: hex32(1), params: { a: '1' }, tags: { b: '2' }, metrics: { m: '1 1 0\n2 2 1\n' } });
    const store = await openStore(ws);
    const counts = emptyCounts();
    await ingestMlflowFileStore(store, silentLogger, path.join(ws, 'custom-root'), counts);
    assert.deepStrictEqual(
      [counts.mlflowFileStores, counts.experiments, counts.runs, counts.params, counts.tags, counts.metricPoints],
      [1, 1, 1, 1, 1, 2],
    );
    assert.strictEqual(store.read(db => listExperiments(db))[0].id, 'mlflow:custom-root:0');
  });
});
