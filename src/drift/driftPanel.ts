import * as path from 'path';
import * as vscode from 'vscode';
import { Worker } from 'worker_threads';
import {
  ChunkPeriod, DriftMethod, DriftOptions, DriftReport, driftReportFromFiles, encodeNonFinite, PerformanceMetric, reportToCsv, reportToHtml, reportToJson,
} from '../core/drift';
import type { DriftWorkerJob, DriftWorkerMessage } from '../cliDrift';
import { DATA_ENCODINGS, DataEncoding } from '../core/drift/dataset';
import { Logger } from '../core/log';
import { DisposableStore } from '../platform/disposables';
import { webviewHtml, webviewOptions } from '../platform/webviewHtml';
import { defaultDriftViewState, DRIFT_VIEW_TYPE, DriftConfig, DriftViewState, HostToWebview, isWebviewToHost, WebviewToHost } from './contract';

/** The drift options from the settings (mlsight.drift.*) of the folder a file is in. */
export function driftSettings(scope: vscode.Uri | undefined): DriftOptions & { maxRows: number; encoding: DataEncoding } {
  const c = vscode.workspace.getConfiguration('mlsight.drift', scope);
  const method = (v: string | undefined): DriftMethod | 'auto' => (v && v !== 'auto' ? v as DriftMethod : 'auto');
  const num = (k: string, d: number) => { const v = c.get<number>(k, d); return typeof v === 'number' && Number.isFinite(v) ? v : d; };
  const threshold = c.get<number | null>('retrain.performanceThreshold', null);
  const p = num('threshold.pValue', 0.05);
  return {
    driftShare: num('driftShare', 0.5),
    numericalMethod: method(c.get<string>('numericalMethod', 'auto')),
    categoricalMethod: method(c.get<string>('categoricalMethod', 'auto')),
    methods: { ...(c.get<Record<string, DriftMethod>>('columnMethods', {}) ?? {}) },
    exclude: c.get<string[]>('excludeColumns', []) ?? [],
    thresholds: { ks: p, chisquare: p, z: p, psi: num('threshold.psi', 0.1), wasserstein: num('threshold.wasserstein', 0.1), jensenshannon: num('threshold.jensenShannon', 0.1) },
    chunks: Math.max(2, Math.floor(num('chunks', 10))),
    period: c.get<ChunkPeriod>('chunkPeriod', 'count'),
    maxRows: Math.max(1, Math.floor(num('maxRows', 5_000_000))),
    encoding: DATA_ENCODINGS.find(e => e === c.get<string>('encoding', 'utf8')) ?? 'utf8',
    retrain: {
      onDatasetDrift: c.get<boolean>('retrain.onDatasetDrift', true),
      onLabelDrift: c.get<boolean>('retrain.onLabelDrift', true),
      onPerformanceAlert: c.get<boolean>('retrain.onPerformanceAlert', true),
      minAlertChunks: Math.max(1, Math.floor(num('retrain.minAlertChunks', 2))),
      performanceMetric: c.get<PerformanceMetric | 'auto'>('retrain.performanceMetric', 'auto'),
      performanceThreshold: typeof threshold === 'number' && Number.isFinite(threshold) ? threshold : null,
    },
    verdict: { alpha: num('verdict.alpha', 0.05), correction: c.get<string>('verdict.correction', 'holm') === 'bh' ? 'bh' : 'holm' },
    psiBinning: c.get<string>('psiBinning', 'evidently') === 'deciles' ? 'deciles' : 'evidently',
    map: columnMap(c.get<unknown>('columnMap', {})),
  };
}

/** The mlsight.drift.columnMap setting: reference name → current name (entries that are not two names are skipped). */
function columnMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) { return out; }
  for (const [k, x] of Object.entries(v)) { if (k && typeof x === 'string' && x) { out[k] = x; } }
  return out;
}

export interface DriftHooks {
  /** asks for a new configuration (files and columns), starting from the current one */
  configure(current: DriftConfig): Promise<DriftConfig | undefined>;
  /** saves the configuration as a drift watch ("Save as Watch") */
  saveWatch(config: DriftConfig): Promise<unknown>;
}

/**
 * Runs a report off the extension host's thread: in a worker thread whose script is the CLI bundle (dist/cli.js,
 * `drift --worker`), so reading a large file never freezes VS Code. Falls back to the host's thread if a worker
 * cannot start.
 */
export function runDriftReport(extensionUri: vscode.Uri, config: DriftConfig, options: DriftOptions & { maxRows?: number },
  onProgress: (message: string, fraction?: number) => void, log: Logger): { result: Promise<DriftReport>; cancel(): void } {
  const job: DriftWorkerJob = { kind: 'mlsight-drift', reference: config.reference, current: config.current, options: { ...options, target: config.target, prediction: config.prediction, time: config.time } };
  let worker: Worker | undefined;
  try {
    worker = new Worker(vscode.Uri.joinPath(extensionUri, 'dist', 'cli.js').fsPath, { argv: ['drift', '--worker'], workerData: job, stdout: true, stderr: true });
  } catch (e) {
    log.warn(`Drift: no worker thread (${e instanceof Error ? e.message : String(e)}); computing on the extension host.`);
    const controller = new AbortController();
    return { result: driftReportFromFiles(job.reference, job.current, job.options, { onProgress, signal: controller.signal }), cancel: () => controller.abort() };
  }
  const w = worker;
  let settled = false;
  const result = new Promise<DriftReport>((resolve, reject) => {
    w.on('message', (m: DriftWorkerMessage) => {
      if (m.type === 'progress') { onProgress(m.message, m.fraction); return; }
      settled = true;
      if (m.type === 'report') { resolve(m.report); } else { reject(new Error(m.message)); }
      void w.terminate();
    });
    w.on('error', e => { if (!settled) { settled = true; reject(e); } });
    w.on('exit', code => { if (!settled) { settled = true; reject(new Error(code === 1 ? 'the drift computation was stopped' : `the drift worker exited with code ${code}`)); } });
  });
  return { result, cancel: () => { if (!settled) { settled = true; void w.terminate(); } } };
}

/** Opens, restores and feeds the Drift report panel (one panel, reused). */
export class DriftController implements vscode.Disposable {
  private panel: DriftPanel | undefined;
  private readonly disposables = new DisposableStore();
  /** every message sent to the webview, when recording is on (extension-host tests) */
  recorded: HostToWebview[] | undefined;
  /** what the webview last said it rendered (tests) */
  lastRendered: { rows: number; charts: number } | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: Logger, private readonly hooks: DriftHooks) {
    this.disposables.track(vscode.window.registerWebviewPanelSerializer(DRIFT_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const s = state as Partial<DriftViewState> | undefined;
        const c = s?.config;
        if (!c || typeof c.reference !== 'string' || typeof c.current !== 'string') { panel.dispose(); return; }
        this.adopt(panel, { ...defaultDriftViewState(c), ...s } as DriftViewState);
      },
    }));
  }

  get isOpen(): boolean { return !!this.panel; }
  /** the report on screen (tests) */
  get report(): DriftReport | undefined { return this.panel?.report; }
  /** the configuration on screen */
  get config(): DriftConfig | undefined { return this.panel?.config; }

  async open(config: DriftConfig): Promise<void> {
    if (this.panel) { this.panel.setConfig(config); this.panel.reveal(); return; }
    const panel = vscode.window.createWebviewPanel(DRIFT_VIEW_TYPE, 'Drift Report', vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    this.adopt(panel, defaultDriftViewState(config));
  }

  /** Waits for the report being computed (tests). */
  whenComputed(): Promise<DriftReport | undefined> { return this.panel?.computing ?? Promise.resolve(this.panel?.report); }

  private adopt(panel: vscode.WebviewPanel, state: DriftViewState): void {
    this.panel?.dispose();
    const p = new DriftPanel(panel, state, this.extensionUri, this.log, this.hooks, {
      onPost: m => { this.recorded?.push(m); },
      onRendered: r => { this.lastRendered = r; },
    });
    this.panel = p;
    p.onDispose(() => { if (this.panel === p) { this.panel = undefined; } });
  }

  dispose(): void { this.panel?.dispose(); this.disposables.dispose(); }
}

class DriftPanel {
  private readonly disposables = new DisposableStore();
  private watchers = new DisposableStore();
  private ready = false;
  private disposed = false;
  private readonly disposeListeners: (() => void)[] = [];
  private job: { cancel(): void } | undefined;
  private rerunTimer: NodeJS.Timeout | undefined;
  report: DriftReport | undefined;
  computing: Promise<DriftReport | undefined> | undefined;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private state: DriftViewState,
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly hooks: DriftHooks,
    private readonly events: { onPost(m: HostToWebview): void; onRendered(r: { rows: number; charts: number }): void },
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'drift', 'Drift Report');
    this.updateTitle();
    this.watch();
    this.disposables.track(panel.webview.onDidReceiveMessage(m => { void this.onMessage(m); }));
    this.disposables.track(panel.onDidDispose(() => this.dispose()));
    this.disposables.track(vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('mlsight.drift')) { this.scheduleRerun(); } }));
    this.compute();
  }

  onDispose(l: () => void): void { this.disposeListeners.push(l); }
  get config(): DriftConfig { return this.state.config; }
  reveal(): void { this.panel.reveal(); }

  setConfig(config: DriftConfig): void {
    this.state = { ...this.state, config, selected: null };
    this.updateTitle();
    this.watch();
    this.compute();
  }

  private updateTitle(): void { this.panel.title = `Drift: ${path.basename(this.state.config.current)}`; }

  /** Re-runs the report when either file changes (debounced). */
  private watch(): void {
    this.watchers.dispose();
    this.watchers = new DisposableStore();
    for (const file of [this.state.config.reference, this.state.config.current]) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)), true, false, false);
      this.watchers.track(w);
      this.watchers.track(w.onDidChange(() => this.scheduleRerun()));
      this.watchers.track(w.onDidDelete(() => this.scheduleRerun()));
    }
  }

  private scheduleRerun(): void {
    if (this.rerunTimer) { clearTimeout(this.rerunTimer); }
    this.rerunTimer = setTimeout(() => { this.rerunTimer = undefined; this.compute(); }, 800);
  }

  private post(m: HostToWebview): void {
    if (this.disposed) { return; }
    this.events.onPost(m);
    void this.panel.webview.postMessage(m);
  }

  private compute(): void {
    this.job?.cancel();
    const config = this.state.config;
    const options = driftSettings(vscode.Uri.file(config.current));
    const t0 = Date.now();
    const job = runDriftReport(this.extensionUri, config, options, (message, fraction) => {
      if (this.ready && this.job === job) { this.post({ type: 'loading', config, message, fraction }); }
    }, this.log);
    this.job = job;
    const loading: HostToWebview = { type: 'loading', config, message: 'Reading the data…', fraction: 0 };
    if (this.ready) { this.post(loading); }
    this.computing = job.result.then(report => {
      if (this.job !== job || this.disposed) { return undefined; }
      this.report = report;
      this.log.info(`Drift: ${path.basename(config.reference)} → ${path.basename(config.current)}: ${report.columns.length} columns, ${report.verdict.level} (${Date.now() - t0} ms).`);
      if (this.ready) { this.sendReport(); }
      return report;
    }, (e: unknown) => {
      if (this.job !== job || this.disposed) { return undefined; }
      const message = e instanceof Error ? e.message : String(e);
      this.report = undefined;
      this.log.error(`Drift: ${message}`);
      this.post({ type: 'error', config, message });
      return undefined;
    });
  }

  private sendReport(): void {
    if (!this.report) { return; }
    this.post({ type: 'report', config: this.state.config, report: encodeNonFinite(this.report), state: this.state });
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isWebviewToHost(m)) { this.log.warn('Drift: ignored an unknown message from the webview.'); return; }
    const msg: WebviewToHost = m;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.report) { this.sendReport(); } else { this.post({ type: 'loading', config: this.state.config, message: 'Reading the data…', fraction: 0 }); }
        break;
      case 'state':
        this.state = { ...msg.state, config: this.state.config };
        break;
      case 'rerun':
        this.compute();
        break;
      case 'configure': {
        const next = await this.hooks.configure(this.state.config);
        if (next) { this.setConfig(next); }
        break;
      }
      case 'openFile':
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(msg.which === 'reference' ? this.state.config.reference : this.state.config.current));
        break;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'mlsight.drift');
        break;
      case 'saveWatch':
        await this.hooks.saveWatch(this.state.config);
        break;
      case 'export':
        await this.export(msg.format);
        break;
      case 'rendered':
        this.events.onRendered({ rows: msg.rows, charts: msg.charts });
        break;
    }
  }

  private async export(format: 'json' | 'csv' | 'html'): Promise<void> {
    const r = this.report;
    if (!r) { return; }
    const base = path.basename(r.current.path).replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_').slice(0, 60) || 'current';
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(path.dirname(r.current.path), `drift-${base}.${format}`)),
      filters: format === 'json' ? { JSON: ['json'] } : format === 'csv' ? { CSV: ['csv'] } : { HTML: ['html'] },
    });
    if (!target) { return; }
    const text = format === 'json' ? JSON.stringify(reportToJson(r), null, 2) + '\n' : format === 'csv' ? reportToCsv(r) : reportToHtml(r);
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    void vscode.window.showInformationMessage(`ML Sight: saved ${path.basename(target.fsPath)}.`);
  }

  dispose(): void {
    if (this.disposed) { return; }
    this.disposed = true;
    this.job?.cancel();
    if (this.rerunTimer) { clearTimeout(this.rerunTimer); }
    this.watchers.dispose();
    this.disposables.dispose();
    this.panel.dispose();
    for (const l of this.disposeListeners) { l(); }
  }
}
