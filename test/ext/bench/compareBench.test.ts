import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { measure } from '../measure';

// A benchmark, not a test: the bench kind is run only by `npm run bench` (MLSIGHT_WORKSPACE_KIND=bench). 20 runs × 100,000 points
// of one metric; first paint of the comparison in Chromium with LTTB decimation, and undecimated as the baseline.
describe('bench: Compare Runs first paint', function () {
  this.timeout(600_000);

  it('20 runs × 100,000 points', async () => {
    const api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const folder = vscode.workspace.workspaceFolders![0];
    const RUNS = 20,
      POINTS = Number(process.env.MLSIGHT_BENCH_POINTS ?? 100_000);
    for (let r = 0; r < RUNS; r++) {
      const dir = path.join(folder.uri.fsPath, '.mlsight', 'runs', `bench-${r}`);
      fs.mkdirSync(dir, { recursive: true });
      const lines = [
        JSON.stringify({
          type: 'run',
          run_id: `bench-${r}`,
          experiment: 'bench',
          name: `bench-${r}`,
          start_time: 1_700_000_000_000,
        }),
      ];
      for (let s = 0; s < POINTS; s++) {
        lines.push(
          `{"type":"metric","key":"loss","value":${(Math.exp((-s / POINTS) * 4) + 0.05 * Math.sin(s / 50 + r)).toFixed(5)},"step":${s},"ts":${1_700_000_000_000 + s * 100}}`,
        );
      }
      fs.writeFileSync(path.join(dir, 'events.jsonl'), lines.join('\n') + '\n');
    }
    const store = await api.stores.get(folder);
    await api.stores.sync(store);
    const ids = Array.from({ length: RUNS }, (_, r) => `bench-${r}`);
    assert.strictEqual(
      store.read(db => Number(db.scalar(`SELECT sum(count) FROM metric_series WHERE run_id LIKE 'bench-%'`))),
      RUNS * POINTS,
    );
    const paint = async (maxPoints: number) => {
      api.compare.maxPoints = maxPoints;
      api.compare.lastFirstPaint = undefined;
      const t0 = Date.now();
      await vscode.commands.executeCommand(
        'mlsight.compareRuns',
        undefined,
        ids.map(id => ({ kind: 'run', folder, run: { id } })),
      );
      for (;;) {
        const p = api.compare.lastFirstPaint as { ms: number; points: number } | undefined;
        if (p) {
          return { ms: p.ms, points: p.points, wallMs: Date.now() - t0 };
        }
        if (Date.now() - t0 > 300_000) {
          throw new Error('no first paint');
        }
        await new Promise(r => setTimeout(r, 50));
      }
    };
    const decimated = await paint(2000);
    measure('compareBench.decimated.firstPaintMs', decimated.ms);
    measure('compareBench.decimated.points', decimated.points, 'points');
    measure('compareBench.decimated.wallMs (query + transfer + paint)', decimated.wallMs);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const full = await paint(Number.MAX_SAFE_INTEGER);
    measure('compareBench.undecimated.firstPaintMs', full.ms);
    measure('compareBench.undecimated.points', full.points, 'points');
    measure('compareBench.undecimated.wallMs (query + transfer + paint)', full.wallMs);
    api.compare.maxPoints = 2000;
  });
});
