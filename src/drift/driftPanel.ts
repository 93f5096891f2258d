import * as path from 'path';
import * as vscode from 'vscode';
import { Worker } from 'worker_threads';
import {
  ChunkPeriod,
  DriftMethod,
  DriftOptions,
  DriftReport,
  driftReportFromFiles,
  encodeNonFinite,
  PerformanceMetric,
  reportToCsv,
  reportToHtml,
  reportToJson,
} from '../core/drift';
import type { DriftWorkerJob, DriftWorkerMessage } from '../cliDrift';
import { DATA_ENCODINGS, DataEncoding } from '../core/drift/dataset';
import { Logger } from '../core/log';
import { errorMessage } from '../core/errors';
import { DisposableStore } from '../platform/disposables';
import { Panel, PanelHost, PanelKind, PanelPage } from '../platform/webviewPanel';
import {
  defaultDriftViewState,
  DRIFT_MESSAGES,
  DRIFT_VIEW_TYPE,
  DriftConfig,
  DriftViewState,
  HostToWebview,
  restoreDriftViewState,
  WebviewToHost,
} from './contract';

/** The drift options from the settings (mlsight.drift.*) of the folder a file is in. */
export function driftSettings(
  scope: vscode.Uri | undefined,
): DriftOptions & { maxRows: number; encoding: DataEncoding } {
  const c = vscode.workspace.getConfiguration('mlsight.drift', scope);
  const method = (v: string | undefined): DriftMethod | 'auto' => (v && v !== 'auto' ? (v as DriftMethod) : 'auto');
  const num = (k: string, d: number) => {
    const v = c.get<number>(k, d);
    return typeof v === 'number' && Number.isFinite(v) ? v : d;
  };
  const threshold = c.get<number | null>('retrain.performanceThreshold', null);
  const p = num('threshold.pValue', 0.05);
  return {
    driftShare: num('driftShare', 0.5),
    numericalMethod: method(c.get<string>('numericalMethod', 'auto')),
    categoricalMethod: method(c.get<string>('categoricalMethod', 'auto')),
    methods: { ...(c.get<Record<string, DriftMethod>>('columnMethods', {}) ?? {}) },
    exclude: c.get<string[]>('excludeColumns', []) ?? [],
    thresholds: {
      ks: p,
      chisquare: p,
      z: p,
      psi: num('threshold.psi', 0.1),
      wasserstein: num('threshold.wasserstein', 0.1),
      jensenshannon: num('threshold.jensenShannon', 0.1),
    },
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
    verdict: {
      alpha: num('verdict.alpha', 0.05),
      correction: c.get<string>('verdict.correction', 'holm') === 'bh' ? 'bh' : 'holm',
    },
    psiBinning: c.get<string>('psiBinning', 'evidently') === 'deciles' ? 'deciles' : 'evidently',
    map: columnMap(c.get<unknown>('columnMap', {})),
  };
}

/** The mlsight.drift.columnMap setting: reference name → current name (entries that are not two names are skipped). */
function columnMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    return out;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k && typeof x === 'string' && x) {
      out[k] = x;
    }
  }
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
export function runDriftReport(
  extensionUri: vscode.Uri,
  config: DriftConfig,
  options: DriftOptions & { maxRows?: number },
  onProgress: (message: string, fraction?: number) => void,
  log: Logger,
): { result: Promise<DriftReport>; cancel(): void } {
  const job: DriftWorkerJob = {
    kind: 'mlsight-drift',
    reference: config.reference,
    current: config.current,
    options: { ...options, target: config.target, prediction: config.prediction, time: config.time },
  };
  let worker: Worker | undefined;
  try {
    worker = new Worker(vscode.Uri.joinPath(extensionUri, 'dist', 'cli.js').fsPath, {
      argv: ['drift', '--worker'],
      workerData: job,
      stdout: true,
      stderr: true,
    });
  } catch (e) {
    log.warn(
      `Drift: no worker thread (${e instanceof Error ? e.message : String(e)}); computing on the extension host.`,
    );
    const controller = new AbortController();
    return {
      result: driftReportFromFiles(job.reference, job.current, job.options, { onProgress, signal: controller.signal }),
      cancel: () => controller.abort(),
    };
  }
  const w = worker;
  let settled = false;
  const result = new Promise<DriftReport>((resolve, reject) => {
    w.on('message', (m: DriftWorkerMessage) => {
      if (m.type === 'progress') {
        onProgress(m.message, m.fraction);
        return;
      }
      settled = true;
      if (m.type === 'report') {
        resolve(m.report);
      } else {
        reject(new Error(m.message));
      }
      void w.terminate();
    });
    w.on('error', e => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    w.on('exit', code => {
      if (!settled) {
        settled = true;
        reject(
          new Error(code === 1 ? 'the drift computation was stopped' : `the drift worker exited with code ${code}`),
        );
      }
    });
  });
  return {
    result,
    cancel: () => {
      if (!settled) {
        settled = true;
        void w.terminate();
      }
    },
  };
}

/** The drift panel for the panel host: one panel (reused), restored after a reload, validated messages. */
const DRIFT_PANEL: PanelKind<DriftViewState, WebviewToHost> = {
  viewType: DRIFT_VIEW_TYPE,
  bundle: 'drift',
  name: 'Drift',
  title: s => `Drift: ${path.basename(s.config.current)}`,
  key: () => 'drift',
  restore: raw => restoreDriftViewState(raw),
  messages: DRIFT_MESSAGES,
};

/** Opens, restores and feeds the Drift report panel (one panel, reused) through the panel host. */
export class DriftController implements vscode.Disposable {
  private readonly host: PanelHost<DriftViewState, HostToWebview, WebviewToHost>;
  private page: DriftPage | undefined;
  /** what the webview last said it rendered (tests) */
  lastRendered: { rows: number; charts: number } | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly hooks: DriftHooks,
  ) {
    this.host = new PanelHost({ extensionUri, log }, DRIFT_PANEL, panel => {
      const page = new DriftPage(panel, this.extensionUri, this.log, this.hooks, {
        onRendered: r => {
          this.lastRendered = r;
        },
        onDispose: () => {
          if (this.page === page) {
            this.page = undefined;
          }
        },
      });
      this.page = page;
      return page;
    });
  }

  /** every message sent to the webview, when recording is on (extension-host tests) */
  get recorded(): HostToWebview[] | undefined {
    return this.host.recorded;
  }
  set recorded(r: HostToWebview[] | undefined) {
    this.host.recorded = r;
  }

  get isOpen(): boolean {
    return !!this.page;
  }
  /** the report on screen (tests) */
  get report(): DriftReport | undefined {
    return this.page?.report;
  }
  /** the configuration on screen */
  get config(): DriftConfig | undefined {
    return this.page?.config;
  }

  /** Opens the panel on a configuration, or shows it in the open panel (a new report; no column selected). */
  async open(config: DriftConfig): Promise<void> {
    this.host.open(prev => (prev ? { ...prev, config, selected: null } : defaultDriftViewState(config)));
    // a panel whose webview is not ready yet is not refreshed by the host: start its report here
    this.page?.sync();
  }

  /** Hands a message to the open panel as if its webview had sent it (validated the same way; tests). */
  async receive(m: unknown): Promise<void> {
    const panel = this.host.panels()[0];
    if (panel) {
      await this.host.receive(panel, m);
    }
  }

  /** The open panel's state: its configuration and the webview's view settings (tests). */
  get viewState(): DriftViewState | undefined {
    return this.host.panels()[0]?.state;
  }

  /** Waits for the report being computed (tests). */
  whenComputed(): Promise<DriftReport | undefined> {
    return this.page?.computing ?? Promise.resolve(this.page?.report);
  }

  dispose(): void {
    this.host.dispose();
  }
}

/** One open drift panel: computes its report (in a worker) and re-runs it when a file or a setting changes. */
class DriftPage implements PanelPage<WebviewToHost> {
  private readonly disposables = new DisposableStore();
  private watchers = new DisposableStore();
  private disposed = false;
  private job: { cancel(): void } | undefined;
  private rerunTimer: NodeJS.Timeout | undefined;
  /** the configuration the report (being) computed is for */
  private computedFor: DriftConfig | undefined;
  report: DriftReport | undefined;
  computing: Promise<DriftReport | undefined> | undefined;

  constructor(
    private readonly panel: Panel<DriftViewState, HostToWebview>,
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly hooks: DriftHooks,
    private readonly events: { onRendered(r: { rows: number; charts: number }): void; onDispose(): void },
  ) {
    this.disposables.track(
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('mlsight.drift')) {
          this.scheduleRerun();
        }
      }),
    );
    this.sync();
  }

  get config(): DriftConfig {
    return this.panel.state.config;
  }

  /** Starts a new report when the configuration changed (a new one is a new object). Returns whether it did. */
  sync(): boolean {
    if (this.disposed || this.computedFor === this.panel.state.config) {
      return false;
    }
    this.watch();
    this.compute();
    return true;
  }

  /** The webview is ready, or the panel was opened again: sends the report, or says it is being computed. */
  async refresh(): Promise<void> {
    if (this.sync()) {
      return;
    }
    if (this.report) {
      this.sendReport();
    } else {
      this.post({ type: 'loading', config: this.config, message: 'Reading the data…', fraction: 0 });
    }
  }

  /** Re-runs the report when either file changes (debounced). */
  private watch(): void {
    this.watchers.dispose();
    this.watchers = new DisposableStore();
    for (const file of [this.config.reference, this.config.current]) {
      const pattern = new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file));
      const w = vscode.workspace.createFileSystemWatcher(pattern, true, false, false);
      this.watchers.track(w);
      this.watchers.track(w.onDidChange(() => this.scheduleRerun()));
      this.watchers.track(w.onDidDelete(() => this.scheduleRerun()));
    }
  }

  private scheduleRerun(): void {
    if (this.rerunTimer) {
      clearTimeout(this.rerunTimer);
    }
    this.rerunTimer = setTimeout(() => {
      this.rerunTimer = undefined;
      this.compute();
    }, 800);
  }

  private post(m: HostToWebview): void {
    if (!this.disposed) {
      this.panel.post(m);
    }
  }

  private compute(): void {
    if (this.disposed) {
      return;
    }
    this.job?.cancel();
    const config = this.config;
    this.computedFor = config;
    const options = driftSettings(vscode.Uri.file(config.current));
    const t0 = Date.now();
    const onProgress = (message: string, fraction?: number) => {
      if (this.panel.ready && this.job === job) {
        this.post({ type: 'loading', config, message, fraction });
      }
    };
    const job = runDriftReport(this.extensionUri, config, options, onProgress, this.log);
    this.job = job;
    if (this.panel.ready) {
      this.post({ type: 'loading', config, message: 'Reading the data…', fraction: 0 });
    }
    this.computing = job.result.then(
      report => {
        if (this.job !== job || this.disposed) {
          return undefined;
        }
        this.report = report;
        const files = `${path.basename(config.reference)} → ${path.basename(config.current)}`;
        const took = Date.now() - t0;
        this.log.info(`Drift: ${files}: ${report.columns.length} columns, ${report.verdict.level} (${took} ms).`);
        if (this.panel.ready) {
          this.sendReport();
        }
        return report;
      },
      (e: unknown) => {
        if (this.job !== job || this.disposed) {
          return undefined;
        }
        const message = errorMessage(e);
        this.report = undefined;
        this.log.error(`Drift: ${message}`);
        this.post({ type: 'error', config, message });
        return undefined;
      },
    );
  }

  private sendReport(): void {
    if (!this.report) {
      return;
    }
    const state = this.panel.state;
    this.post({ type: 'report', config: state.config, report: encodeNonFinite(this.report), state });
  }

  async onMessage(msg: Exclude<WebviewToHost, { type: 'ready' }>): Promise<void> {
    switch (msg.type) {
      case 'state':
        // the webview owns only its view settings; the configuration stays the host's
        this.panel.state = { ...this.panel.state, ...msg.view, config: this.config };
        break;
      case 'rerun':
        this.compute();
        break;
      case 'configure': {
        const next = await this.hooks.configure(this.config);
        if (next && !this.disposed) {
          this.panel.state = { ...this.panel.state, config: next, selected: null };
          this.panel.title = DRIFT_PANEL.title(this.panel.state);
          this.sync();
        }
        break;
      }
      case 'openFile': {
        const file = msg.which === 'reference' ? this.config.reference : this.config.current;
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
        break;
      }
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'mlsight.drift');
        break;
      case 'saveWatch':
        await this.hooks.saveWatch(this.config);
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
    if (!r) {
      return;
    }
    const base =
      path
        .basename(r.current.path)
        .replace(/\.[^.]*$/, '')
        .replace(/[^\w.-]+/g, '_')
        .slice(0, 60) || 'current';
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(path.dirname(r.current.path), `drift-${base}.${format}`)),
      filters: format === 'json' ? { JSON: ['json'] } : format === 'csv' ? { CSV: ['csv'] } : { HTML: ['html'] },
    });
    if (!target) {
      return;
    }
    const text =
      format === 'json'
        ? JSON.stringify(reportToJson(r), null, 2) + '\n'
        : format === 'csv'
          ? reportToCsv(r)
          : reportToHtml(r);
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    void vscode.window.showInformationMessage(`ML Sight: saved ${path.basename(target.fsPath)}.`);
  }

  /** The panel closed (the host disposes the webview panel itself). */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.job?.cancel();
    if (this.rerunTimer) {
      clearTimeout(this.rerunTimer);
    }
    this.watchers.dispose();
    this.disposables.dispose();
    this.events.onDispose();
  }
}
