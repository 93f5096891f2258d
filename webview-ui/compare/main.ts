// The run-comparison webview. Receives CompareData from the host (src/compare/comparePanel.ts) over the typed
// contract in src/compare/contract.ts, after announcing `ready`. All data is inserted as text (textContent),
// never as HTML. Charts: chart.js (no eval, CSSOM styles only, which the CSP allows).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import type {
  CompareData,
  CompareSelection,
  CompareViewSettings,
  CompareWebviewState,
  HostToWebview,
  WebviewToHost,
  XAxis,
} from '../../src/compare/contract';
import { selectionFrom, viewSettingsFrom } from '../../src/compare/contract';
import { formatDelta, splitFinalMetrics } from '../../src/core/compare/shape';
import { el, vscodeApi } from '../shared/vscodeApi';
import { colorOf, deltaMode, fmt } from './util';
import { renderCurves, renderFinals, updateCurveData } from './curves';
import { renderTable } from './table';
import { renderParallel } from './parallel';
import { renderScatter } from './scatter';
import { renderImportances } from './importances';
import './style.css';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Tooltip,
  Legend,
  ScatterController,
  BarController,
  BarElement,
);

const vscode = vscodeApi<WebviewToHost, CompareWebviewState>();
export const post = (m: WebviewToHost) => vscode.postMessage(m);

/** What a render shows: this webview's view settings and the host's reference run. */
export type Shown = CompareViewSettings & { referenceRunId: string | null };

export let data: CompareData | undefined;
// The host owns the runs and the reference (they arrive with the data and are only echoed into the persisted state,
// for the serializer); this webview owns its view settings, persisted across reloads.
const persisted = vscode.getState();
let view: CompareViewSettings = viewSettingsFrom(persisted);
let selection: CompareSelection | null = selectionFrom(persisted) ?? null;
export const shown = (): Shown | undefined =>
  selection ? { ...view, referenceRunId: selection.referenceRunId } : undefined;
export let charts: Chart[] = [];
let firstPaintReported = false;
let received = 0;
/** parallel-coordinates brushes: axis index -> [lo, hi] in axis units (0..1 normalised) */
export const brushes = new Map<number, [number, number]>();

export function setState(patch: Partial<CompareViewSettings>): void {
  view = { ...view, ...patch };
  vscode.setState({ selection, view });
}

// ---------------------------------------------------------------------------------------------------------

export function render(): void {
  const app = document.getElementById('app')!;
  for (const c of charts) {
    c.destroy();
  }
  charts = [];
  app.replaceChildren();
  app.setAttribute('aria-busy', 'false');
  const state = shown();
  if (!data || !state) {
    app.appendChild(el('p', { className: 'empty', text: 'Waiting for data…' }));
    return;
  }
  const d = data;
  const s = state;

  app.appendChild(el('h1', { text: `Comparing ${d.runs.length} run${d.runs.length === 1 ? '' : 's'}` }));
  if (d.missing.length) {
    app.appendChild(
      el('div', {
        className: 'banner error',
        text: `${d.missing.length} run(s) are no longer in the store: ${d.missing.join(', ')}`,
      }),
    );
  }
  renderBaselineWarnings(app, d);
  renderRunChips(app, d, s);
  renderToolbar(app, s);
  const { curves: curveKeys, finals } = splitFinalMetrics(d.metricKeys, d.series);
  renderCurves(app, d, s, curveKeys, finals);
  renderFinals(app, d, finals);
  renderTable(app, d, s);
  renderParallel(app, d, s);
  renderScatter(app, d, s);
  renderImportances(app, d);
}

function renderBaselineWarnings(app: HTMLElement, d: CompareData): void {
  for (const [, b] of Object.entries(d.baseline.byExperiment)) {
    if (b.runId) {
      continue;
    }
    const banner = el('div', { className: 'banner' });
    banner.setAttribute('role', 'alert');
    banner.appendChild(
      el('span', {
        text: `Experiment "${b.experimentName}" has no baseline model. Always compare against a simple baseline (a DummyClassifier or DummyRegressor run), or mark one of these runs as the baseline.`,
      }),
    );
    const add = el('button', { text: 'Add a baseline snippet', className: 'secondary' });
    add.addEventListener('click', () => post({ type: 'addBaselineSnippet' }));
    banner.appendChild(add);
    app.appendChild(banner);
  }
}

function renderRunChips(app: HTMLElement, d: CompareData, s: Shown): void {
  const wrap = el('div', { className: 'runs' });
  wrap.setAttribute('aria-label', 'Runs');
  d.runs.forEach((r, i) => {
    const chip = el('div', { className: 'run-chip' });
    chip.dataset.runId = r.id;
    const name = el('div', { className: 'name' });
    const sw = el('span', { className: 'swatch' });
    sw.style.background = colorOf(i);
    name.append(sw, el('span', { text: r.name }));
    if (r.isBaseline) {
      name.appendChild(el('span', { className: 'badge', text: 'baseline' }));
    }
    if (s.referenceRunId === r.id) {
      name.appendChild(el('span', { className: 'badge', text: 'reference' }));
    }
    chip.appendChild(name);
    chip.appendChild(
      el('span', {
        className: 'muted',
        text: `${r.experiment} · ${r.status.toLowerCase()}${r.gitCommit ? ' · ' + r.gitCommit.slice(0, 7) + (r.gitDirty ? '*' : '') : ''}`,
      }),
    );
    // the difference to the baseline on the headline metric, absolute by default ("+0.61 val/accuracy")
    const delta = d.baseline.delta?.[r.id],
      bv = d.baseline.baselineValue?.[r.id];
    const shown =
      delta !== null && delta !== undefined && bv !== null && bv !== undefined
        ? formatDelta(delta, bv, deltaMode(s))
        : null;
    if (shown && !r.isBaseline && d.baseline.metric) {
      const better = d.baseline.higherIsBetter ? delta! >= 0 : delta! <= 0;
      const imp = el('span', {
        className: `vs-baseline ${better ? 'better' : 'worse'}`,
        text: `${shown} ${d.baseline.metric} vs baseline (${fmt(bv)})`,
      });
      imp.title = `${d.baseline.metric} ${better ? 'better' : 'worse'} than the experiment's baseline run (${d.baseline.higherIsBetter ? 'higher' : 'lower'} is better)`;
      chip.appendChild(imp);
    }
    const actions = el('div');
    const pin = el('button', {
      className: 'link',
      text: s.referenceRunId === r.id ? 'Unpin reference' : 'Pin as reference',
    });
    // the host owns the reference: it answers with data that shows the new one
    pin.addEventListener('click', () => post({ type: 'setReference', runId: s.referenceRunId === r.id ? null : r.id }));
    const base = el('button', { className: 'link', text: 'Set as baseline' });
    base.disabled = r.isBaseline;
    base.addEventListener('click', () => post({ type: 'setBaseline', runId: r.id }));
    const open = el('button', { className: 'link', text: 'Open' });
    open.addEventListener('click', () => post({ type: 'openRun', runId: r.id }));
    actions.append(pin, base, open);
    chip.appendChild(actions);
    wrap.appendChild(chip);
  });
  app.appendChild(wrap);
}

function renderToolbar(app: HTMLElement, s: Shown): void {
  const bar = el('div', { className: 'toolbar' });
  const xLabel = el('label', { text: 'X axis' });
  const x = el('select');
  x.id = 'x-axis';
  for (const [v, t] of [
    ['step', 'Step'],
    ['wall', 'Wall time'],
    ['relative', 'Relative time (s)'],
  ] as [XAxis, string][]) {
    const o = el('option', { text: t });
    o.value = v;
    o.selected = s.xAxis === v;
    x.appendChild(o);
  }
  x.addEventListener('change', () => {
    setState({ xAxis: x.value as XAxis });
    render();
  });
  xLabel.appendChild(x);
  const smLabel = el('label', { text: 'Smoothing' });
  const sm = el('input');
  sm.type = 'range';
  sm.min = '0';
  sm.max = '0.99';
  sm.step = '0.01';
  sm.value = String(s.smoothing);
  sm.id = 'smoothing';
  sm.setAttribute('aria-label', 'Smoothing (exponential moving average weight)');
  const smVal = el('span', { text: s.smoothing.toFixed(2) });
  smVal.id = 'smoothing-value';
  sm.addEventListener('input', () => {
    smVal.textContent = Number(sm.value).toFixed(2);
  });
  sm.addEventListener('change', () => {
    setState({ smoothing: Number(sm.value) });
    updateCurveData();
  });
  smLabel.append(sm, smVal);
  const logLabel = el('label', { text: 'Log y' });
  const log = el('input');
  log.type = 'checkbox';
  log.checked = s.logY;
  log.id = 'log-y';
  log.addEventListener('change', () => {
    setState({ logY: log.checked });
    render();
  });
  logLabel.prepend(log);
  bar.append(xLabel, smLabel, logLabel);
  app.appendChild(bar);
}

// ---------------------------------------------------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const m = event.data;
  if (!m || typeof m !== 'object') {
    return;
  }
  if (m.type === 'error') {
    const app = document.getElementById('app')!;
    app.replaceChildren(el('div', { className: 'banner error', text: m.message }));
    return;
  }
  if (m.type === 'data') {
    const t0 = performance.now();
    received++;
    data = m.data;
    selection = m.selection;
    vscode.setState({ selection, view });
    render();
    document.body.dataset.renders = String(received);
    if (!firstPaintReported) {
      firstPaintReported = true;
      performance.mark('mlsight-first-data');
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          performance.mark('mlsight-first-paint');
          const points = m.data.series.reduce((a, s) => a + s.steps.length, 0);
          const ms = performance.now() - t0;
          document.body.dataset.firstPaintMs = ms.toFixed(1);
          post({ type: 'firstPaint', ms, points });
        }),
      );
    }
  }
});

post({ type: 'ready' });
