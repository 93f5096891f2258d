import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import type { DriftConfig, HostToWebview } from '../../../src/drift/contract';
import { measure } from '../measure';
import { dataFileItems, pickDriftConfig } from '../../../src/drift/pickers';
import type { StoreManager } from '../../../src/workspace/storeManager';
import { silentLogger } from '../../../src/core/log';
import { sleep, waitFor } from '../util';

const HOSTILE = '<img src=x onerror=alert(1)>';
type ReportMsg = Extract<HostToWebview, { type: 'report' }>;
type Encoded = {
  columns: { name: string; drifted: boolean; role: string; method: string }[];
  verdict: { level: string };
  dataset: { nColumns: number; nDrifted: number };
  current: { rows: number };
  overTime: { chunks: unknown[]; performance: { primary: string } | null } | null;
};

describe('Drift report', function () {
  this.timeout(120_000);
  let api: MlSightApi;
  let data: string;
  const folder = () => vscode.workspace.workspaceFolders![0];
  const file = (n: string) => path.join(data, n);
  const reports = () => (api.drift.controller.recorded ?? []).filter((m): m is ReportMsg => m.type === 'report');

  before(async function () {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    // the fixture workspace is a temporary copy: put the drift data files into it
    data = path.join(folder().uri.fsPath, 'drift-data');
    fs.mkdirSync(data, { recursive: true });
    const src = path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'drift');
    for (const f of fs.readdirSync(src)) {
      fs.copyFileSync(path.join(src, f), path.join(data, f));
    }
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens on two files and sends the report (computed in a worker) after the webview is ready; the webview renders every column', async () => {
    api.drift.controller.recorded = [];
    api.drift.controller.lastRendered = undefined;
    const t0 = Date.now();
    const config = await vscode.commands.executeCommand<DriftConfig>('mlsight.openDriftReport', {
      reference: file('reference.csv'),
      current: file('current.csv'),
      target: 'target',
      prediction: 'prediction',
      time: 'timestamp',
    });
    assert.deepStrictEqual(config, {
      reference: file('reference.csv'),
      current: file('current.csv'),
      target: 'target',
      prediction: 'prediction',
      time: 'timestamp',
    });
    const msg = await waitFor('report message', () => reports()[0], 45_000);
    measure('driftReportMs (1,500 + 1,200 rows)', Date.now() - t0);
    const r = msg.report as Encoded;
    assert.strictEqual(r.dataset.nColumns, 10);
    assert.strictEqual(r.dataset.nDrifted, 5);
    assert.strictEqual(r.verdict.level, 'retrain');
    assert.ok(r.columns.some(c => c.name === HOSTILE));
    assert.deepStrictEqual(
      r.columns.filter(c => c.role !== 'feature').map(c => [c.name, c.role]),
      [
        ['target', 'target'],
        ['prediction', 'prediction'],
      ],
    );
    assert.strictEqual(r.overTime!.chunks.length, 10);
    assert.strictEqual(r.overTime!.performance!.primary, 'f1');
    const first = api.drift.controller.recorded.findIndex(m => m.type === 'report');
    assert.ok(
      api.drift.controller.recorded.slice(0, first).every(m => m.type === 'loading'),
      'only progress before the report',
    );
    const rendered = await waitFor('the webview to render', () => api.drift.controller.lastRendered, 45_000);
    assert.strictEqual(rendered.rows, 10);
    assert.ok(rendered.charts >= 12, `${rendered.charts} charts`);
    measure('driftFirstRenderMs', Date.now() - t0);
    assert.strictEqual(api.drift.controller.report!.columns.find(c => c.name === 'age')!.method, 'wasserstein');
    const tab = vscode.window.tabGroups.all.flatMap(g => g.tabs).find(t => t.label === 'Drift: current.csv');
    assert.ok(tab, 'a "Drift: current.csv" tab');
  });

  it('drops a malformed message from the webview and applies only the view settings of a valid one', async () => {
    api.drift.controller.recorded = [];
    api.drift.controller.lastRendered = undefined;
    await vscode.commands.executeCommand('mlsight.openDriftReport', {
      reference: file('small_reference.csv'),
      current: file('small_current.csv'),
      target: null,
      prediction: null,
      time: null,
    });
    await waitFor('report', () => reports().find(m => (m.report as Encoded).current.rows === 300), 45_000);
    const c = api.drift.controller;
    await waitFor('the webview to render', () => c.lastRendered, 45_000);
    const before = c.viewState!;
    c.lastRendered = undefined;
    await c.receive({ type: 'rendered', rows: -1, charts: 2 });
    await c.receive({
      type: 'state',
      view: { sort: { key: 'score', descending: false }, selected: 'x', chart: 'pie', metric: null },
    });
    await c.receive({ type: 'openFile', which: '/etc/passwd' });
    assert.strictEqual(c.lastRendered, undefined, 'a malformed "rendered" is dropped');
    assert.deepStrictEqual(c.viewState, before, 'a malformed "state" is dropped');
    // a valid state message changes the view settings, never the configuration the host owns
    const view = { sort: { key: 'score', descending: false }, selected: 'x', chart: 'ecdf', metric: null };
    await c.receive({ type: 'state', view, config: { ...before.config, reference: '/etc/passwd' } });
    assert.deepStrictEqual(c.viewState, { ...view, config: before.config });
    await c.receive({ type: 'rendered', rows: 6, charts: 7 });
    assert.deepStrictEqual(c.lastRendered, { rows: 6, charts: 7 });
  });

  it('re-runs when the current file changes on disk', async () => {
    await vscode.commands.executeCommand('mlsight.openDriftReport', {
      reference: file('small_reference.csv'),
      current: file('small_current.csv'),
      target: null,
      prediction: null,
      time: null,
    });
    await waitFor('first report', () => reports().find(m => (m.report as Encoded).current.rows === 300), 45_000);
    api.drift.controller.recorded = [];
    const text = fs.readFileSync(file('small_current.csv'), 'utf8');
    const lines = text.trimEnd().split('\n');
    fs.writeFileSync(file('small_current.csv'), lines.slice(0, 201).join('\n') + '\n');
    const again = await waitFor('a new report after the change', () => reports()[0], 30_000);
    assert.strictEqual((again.report as Encoded).current.rows, 200);
    fs.writeFileSync(file('small_current.csv'), text);
  });

  it('applies the settings (thresholds, methods) and re-runs when they change', async () => {
    const cfg = vscode.workspace.getConfiguration('mlsight.drift');
    await vscode.commands.executeCommand('mlsight.openDriftReport', {
      reference: file('small_reference.csv'),
      current: file('small_current.csv'),
      target: null,
      prediction: null,
      time: null,
    });
    await waitFor('report', () => reports()[0], 45_000);
    api.drift.controller.recorded = [];
    try {
      await cfg.update('columnMethods', { x: 'psi' }, vscode.ConfigurationTarget.Workspace);
      await cfg.update('threshold.psi', 0.5, vscode.ConfigurationTarget.Workspace);
      // each update re-runs the report: wait for the one made after both (a run between them has the old threshold)
      const psiColumn = (x: { report: unknown }) =>
        (x.report as { columns: { name: string; method: string; threshold: number }[] }).columns.find(
          c => c.name === 'x' && c.method === 'psi',
        );
      const m = await waitFor(
        'a report with the new settings',
        () => reports().find(x => psiColumn(x)?.threshold === 0.5),
        45_000,
      );
      assert.strictEqual(psiColumn(m)!.threshold, 0.5);
    } finally {
      await cfg.update('columnMethods', undefined, vscode.ConfigurationTarget.Workspace);
      await cfg.update('threshold.psi', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a ragged CSV shows an error with the file and line instead of a report', async () => {
    const bad = file('ragged.csv');
    fs.writeFileSync(bad, 'a,b\n1,2\n3\n');
    api.drift.controller.recorded = [];
    await vscode.commands.executeCommand('mlsight.openDriftReport', {
      reference: file('small_reference.csv'),
      current: bad,
      target: null,
      prediction: null,
      time: null,
    });
    const err = await waitFor(
      'error',
      () =>
        api.drift.controller.recorded!.find((m): m is Extract<HostToWebview, { type: 'error' }> => m.type === 'error'),
      45_000,
    );
    assert.match(err.message, /ragged\.csv, line 3: expected 2 fields \(as in the header\), found 1/);
  });

  it('Explorer: "Set as Drift Reference", then "Set as Drift Current" asks for the columns with guessed defaults', async () => {
    api.drift.controller.recorded = [];
    const ref = await vscode.commands.executeCommand<string>(
      'mlsight.setDriftReference',
      vscode.Uri.file(file('reference.csv')),
    );
    assert.strictEqual(ref, file('reference.csv'));
    const pending = vscode.commands.executeCommand<DriftConfig>(
      'mlsight.setDriftCurrent',
      vscode.Uri.file(file('current.csv')),
    );
    // accept the three column pickers' first items: the guessed target, prediction and time columns
    let done = false;
    void pending.then(() => {
      done = true;
    });
    for (let i = 0; i < 200 && !done; i++) {
      await sleep(150);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    const config = await pending;
    assert.deepStrictEqual(config, {
      reference: file('reference.csv'),
      current: file('current.csv'),
      target: 'target',
      prediction: 'prediction',
      time: 'timestamp',
    });
    await waitFor('report', () => reports()[0], 45_000);
  });

  it("the file picker offers the training data logged by runs first, then the workspace's data files", async () => {
    const dir = path.join(folder().uri.fsPath, '.mlsight', 'runs', 'run-drift');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'events.jsonl'),
      [
        { type: 'run', run_id: 'run-drift', experiment: 'drift-exp', name: 'trained-on-reference' },
        { type: 'dataset', name: 'train', role: 'train', path: 'drift-data/reference.csv', kind: 'file' },
        { type: 'dataset', name: 'gone', role: 'test', path: 'drift-data/missing.csv', kind: 'file' },
      ]
        .map(e => JSON.stringify(e))
        .join('\n') + '\n',
    );
    await vscode.commands.executeCommand('mlsight.refreshRuns');
    let items = await dataFileItems(api.stores, silentLogger);
    for (let i = 0; i < 100 && !items.some(x => /train data of run/.test(String(x.description))); i++) {
      await sleep(200);
      items = await dataFileItems(api.stores, silentLogger);
    }
    const files = items.filter(i => i.file);
    assert.strictEqual(files[0].file, file('reference.csv'));
    assert.match(String(files[0].description), /train data of run trained-on-reference/);
    assert.ok(!files.some(i => i.file?.endsWith('missing.csv')), 'a logged file that does not exist is not offered');
    assert.ok(
      files.some(i => i.file === file('small_current.csv')),
      'workspace data files follow',
    );
    assert.ok(
      items.some(i => i.browse),
      'and Browse…',
    );
  });

  it('with no data file to offer, the pickers show guidance with a next step (information), never an error', async () => {
    const shown: { kind: string; message: string; items: unknown[] }[] = [];
    const w = vscode.window as unknown as Record<string, unknown>;
    const ws = vscode.workspace as unknown as Record<string, unknown>;
    const saved = {
      info: w.showInformationMessage,
      warn: w.showWarningMessage,
      error: w.showErrorMessage,
      find: ws.findFiles,
    };
    const capture =
      (kind: string) =>
      (message: string, ...items: unknown[]) => {
        shown.push({ kind, message, items });
        return Promise.resolve(undefined);
      };
    w.showInformationMessage = capture('info');
    w.showWarningMessage = capture('warning');
    w.showErrorMessage = capture('error');
    ws.findFiles = () => Promise.resolve([]);
    try {
      const noStores = { folders: () => [] } as unknown as StoreManager;
      assert.strictEqual(await pickDriftConfig(noStores, silentLogger, {}), undefined);
      assert.strictEqual(
        await pickDriftConfig(noStores, silentLogger, { reference: file('reference.csv') }),
        undefined,
      );
    } finally {
      w.showInformationMessage = saved.info;
      w.showWarningMessage = saved.warn;
      w.showErrorMessage = saved.error;
      ws.findFiles = saved.find;
    }
    assert.deepStrictEqual(
      shown.map(x => x.kind),
      ['info', 'info'],
      JSON.stringify(shown),
    );
    assert.match(shown[0].message, /no data files in this workspace yet.*mlsight\.log_dataset/);
    assert.match(shown[1].message, /nothing to compare yet — reference\.csv is the only data file in this workspace/);
    for (const x of shown) {
      assert.deepStrictEqual(x.items, ['Browse…', 'Show Me How']);
    }
  });

  it('reads a JSON Lines file like CSV', async () => {
    // JSON Lines version of the small files, written here
    const toJsonl = (csv: string) => {
      const [head, ...rows] = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
      const names = head.split(',');
      return (
        rows
          .map(r =>
            JSON.stringify(
              Object.fromEntries(
                r.split(',').map((v, i) => [names[i], v === '' ? null : /^-?[\d.]+$/.test(v) ? Number(v) : v]),
              ),
            ),
          )
          .join('\n') + '\n'
      );
    };
    fs.writeFileSync(file('small_current.jsonl'), toJsonl(file('small_current.csv')));
    api.drift.controller.recorded = [];
    await vscode.commands.executeCommand('mlsight.openDriftReport', {
      reference: file('small_reference.csv'),
      current: file('small_current.jsonl'),
      target: null,
      prediction: null,
      time: null,
    });
    const m = await waitFor('report', () => reports()[0], 45_000);
    const r = m.report as Encoded;
    assert.strictEqual(r.current.rows, 300);
    assert.deepStrictEqual(
      r.columns.map(c => c.name),
      ['x', 'k', 'grade', 'yes', 'tiny', 'sparse'],
    );
  });
});
