import * as fs from 'fs';
import * as path from 'path';
import { silentLogger } from '../../src/core/log';
import { ingestWorkspace } from '../../src/core/ingest/scan';
import { MlrunsBuilder, hex32, ingestTempWorkspace, openTestStore } from './ingestFixtures';

describe('scale probe', () => {
  it('1000 runs × 20 params × 10 metrics × 100 steps', async function () {
    this.timeout(900_000);
    const ws = ingestTempWorkspace();
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('1', 'bench');
    const N = Number(process.env.RUNS ?? 1000);
    for (let r = 0; r < N; r++) {
      const metrics: Record<string, string> = {};
      for (let k = 0; k < 10; k++) { metrics[`m${k}`] = Array.from({ length: 100 }, (_, i) => `${1700000000000 + i} ${Math.sin(i + r + k)} ${i}`).join('\n') + '\n'; }
      const params: Record<string, string> = {};
      for (let p = 0; p < 20; p++) { params[`p${p}`] = String(p * r); }
      mb.run('1', { runId: hex32(r + 1), params, metrics, tags: { 'mlflow.runName': `r${r}` } });
    }
    // baseline: read every file's bytes
    const files: string[] = [];
    const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) { walk(p); } else { files.push(p); } } };
    walk(path.join(ws, 'mlruns'));
    let t = performance.now();
    let bytes = 0;
    for (const f of files) { bytes += (await fs.promises.readFile(f)).length; }
    const readMs = performance.now() - t;
    const store = await openTestStore(ws, 250);
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    let inWrite = 0;
    const orig = store.write.bind(store);
    (store as unknown as { write: typeof store.write }).write = (m) => { const t1 = performance.now(); orig(m); inWrite += performance.now() - t1; };
    t = performance.now();
    const r = await ingestWorkspace(store, silentLogger);
    console.log('time inside store.write', inWrite.toFixed(0));
    const cold = performance.now() - t;
    t = performance.now();
    await store.flush();
    const flush = performance.now() - t;
    t = performance.now();
    await ingestWorkspace(store, silentLogger);
    const noop = performance.now() - t;
    clearInterval(timer);
    console.log(`files ${files.length} bytes ${(bytes / 1e6).toFixed(1)}MB read ${readMs.toFixed(0)}ms; ingest ${cold.toFixed(0)}ms (${r.metricPoints} pts, ratio ${(cold / readMs).toFixed(1)}x) flush ${flush.toFixed(0)}ms db ${(fs.statSync(store.dbPath).size / 1e6).toFixed(0)}MB; no-change pass ${noop.toFixed(0)}ms; peak rss ${(peak / 1e6).toFixed(0)}MB`);
  });
});
