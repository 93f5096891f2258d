import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { emptyCounts } from '../../../src/core/ingest/common';
import { ingestMlflowFileStore } from '../../../src/core/ingest/mlflowFileStore';
import { WorkspaceStore } from '../../../src/core/store/store';

// Big MLflow FileStores are read in worker threads that the extension's own dist/worker.js serves. This checks that
// such threads start and deliver inside the real extension host (its Node), not only in plain Node (unit tier).
// The tree and its store live in a temp folder outside the workspace, so no other suite sees them.
describe('MLflow reader threads in the extension host', function () {
  this.timeout(60_000);

  it("reads an mlruns tree in two reader threads served by the extension's dist/worker.js, with nothing read again in the host thread", async () => {
    const ext = vscode.extensions.getExtension('mlsight.ml-sight')!;
    const script = path.join(ext.extensionPath, 'dist', 'worker.js');
    assert.ok(fs.existsSync(script), script);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-threads-'));
    try {
      const root = path.join(ws, 'mlruns');
      const exp = path.join(root, '1');
      fs.mkdirSync(exp, { recursive: true });
      fs.writeFileSync(
        path.join(exp, 'meta.yaml'),
        `artifact_location: file://${exp}\nexperiment_id: '1'\nlifecycle_stage: active\nname: threads\n`,
      );
      const RUNS = 60;
      for (let r = 0; r < RUNS; r++) {
        const id = r.toString(16).padStart(32, '0');
        const dir = path.join(exp, id);
        for (const sub of ['params', 'metrics', 'tags']) {
          fs.mkdirSync(path.join(dir, sub), { recursive: true });
        }
        fs.writeFileSync(
          path.join(dir, 'meta.yaml'),
          `artifact_uri: file://${dir}/artifacts\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: ${id}\nrun_name: run-${r}\nrun_uuid: ${id}\nstart_time: ${1_700_000_000_000 + r}\nstatus: 3\nuser_id: t\n`,
        );
        fs.writeFileSync(path.join(dir, 'params', 'lr'), String(r / 100));
        fs.writeFileSync(path.join(dir, 'tags', 'mlflow.user'), 't');
        fs.writeFileSync(path.join(dir, 'metrics', 'loss'), `1000 ${1 / (r + 1)} 0\n2000 ${1 / (r + 2)} 1\n`);
      }
      const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
      try {
        const problems: string[] = [];
        const log = {
          trace() {},
          debug() {},
          info() {},
          warn: (m: string) => problems.push(m),
          error: (m: string) => problems.push(m),
        };
        const counts = emptyCounts();
        await ingestMlflowFileStore(store, log, root, counts, {
          readerScript: script,
          readerThreads: 2,
          threadMinRuns: 1,
        });
        assert.deepStrictEqual(problems, [], 'no reader thread failed');
        assert.strictEqual(counts.runs, RUNS);
        assert.strictEqual(counts.metricPoints, 2 * RUNS);
        assert.strictEqual(counts.filesRead, RUNS * 4 + 1, "the threads' counts reach the host");
        assert.deepStrictEqual(
          store.read(db =>
            db.get('SELECT step, value FROM latest_metrics WHERE run_id = ?', [
              `mlflow:${(RUNS - 1).toString(16).padStart(32, '0')}`,
            ]),
          ),
          { step: 1, value: 1 / (RUNS + 1) },
        );
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
