import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { DriftWorkerJob, DriftWorkerMessage } from '../../src/cliDrift';
import { driftReportFromFiles } from '../../src/core/drift';

// dist/worker.js, the bundle of ML Sight's worker threads (src/worker.ts). The MLflow reader threads it serves
// are checked in ingestMlflowDirect.test.ts (the same rows as in one thread, and the fall-back).
const ROOT = path.join(__dirname, '..', '..', '..');
const WORKER = path.join(ROOT, 'dist', 'worker.js');
const FIX = path.join(ROOT, 'test', 'fixtures', 'drift');

function runWorker(argv: string[], workerData: unknown): Promise<{ messages: unknown[]; code: number }> {
  return new Promise((resolve, reject) => {
    const messages: unknown[] = [];
    const w = new Worker(WORKER, { argv, workerData, stdout: true, stderr: true });
    w.on('message', m => messages.push(m));
    w.on('error', reject);
    w.on('exit', code => resolve({ messages, code }));
  });
}

describe('the worker bundle (dist/worker.js)', function () {
  this.timeout(60_000);

  it('is built next to the CLI and refuses to run as a program', () => {
    assert.ok(fs.existsSync(WORKER), WORKER);
    const r = spawnSync(process.execPath, [WORKER, 'ingest-reader'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /not a known worker thread/);
  });

  it('a thread of an unknown kind exits with an error code instead of hanging', async () => {
    const r = await runWorker(['no-such-kind'], undefined);
    assert.strictEqual(r.code, 2);
    assert.deepStrictEqual(r.messages, []);
  });

  it('serves a drift report thread (`drift --worker`) that posts the same report as the host thread computes', async () => {
    const reference = path.join(FIX, 'small_reference.csv');
    const current = path.join(FIX, 'small_current.csv');
    const job: DriftWorkerJob = { kind: 'mlsight-drift', reference, current, options: {} };
    const r = await runWorker(['drift', '--worker'], job);
    const messages = r.messages as DriftWorkerMessage[];
    const report = messages.find(m => m.type === 'report');
    assert.ok(report && report.type === 'report', JSON.stringify(messages.filter(m => m.type === 'error')));
    const here = await driftReportFromFiles(reference, current, {});
    assert.deepStrictEqual(
      report.report.columns.map(c => [c.name, c.drifted]),
      here.columns.map(c => [c.name, c.drifted]),
    );
    assert.deepStrictEqual(report.report.dataset, here.dataset);
  });
});
