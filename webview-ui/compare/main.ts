// The run-comparison webview. Receives CompareData from the host (src/compare/comparePanel.ts) over the typed
// contract in src/compare/contract.ts, after announcing `ready`. All data is inserted as text (textContent),
// never as HTML. Charts: chart.js (no eval, CSSOM styles only, which the CSP allows).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  ChartDataset,
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
import { emaSmooth } from '../../src/core/compare/series';
import { diffOnly, toCsv, TableRow, CellValue, asNumber, higherIsBetter } from '../../src/core/compare/table';
import {
  DeltaMode,
  MISSING_LABEL,
  bestIndices,
  differingCells,
  fitLabel,
  formatDelta,
  metricColorPositions,
  nonOverlapping,
  parallelAxis,
  pickScatterParam,
  rampColor,
  splitFinalMetrics,
} from '../../src/core/compare/shape';
import { el, vscodeApi } from '../shared/vscodeApi';
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
const post = (m: WebviewToHost) => vscode.postMessage(m);

/** What a render shows: this webview's view settings and the host's reference run. */
type Shown = CompareViewSettings & { referenceRunId: string | null };

let data: CompareData | undefined;
// The host owns the runs and the reference (they arrive with the data and are only echoed into the persisted state,
// for the serializer); this webview owns its view settings, persisted across reloads.
const persisted = vscode.getState();
let view: CompareViewSettings = viewSettingsFrom(persisted);
let selection: CompareSelection | null = selectionFrom(persisted) ?? null;
const shown = (): Shown | undefined => (selection ? { ...view, referenceRunId: selection.referenceRunId } : undefined);
let charts: Chart[] = [];
let firstPaintReported = false;
let received = 0;
/** parallel-coordinates brushes: axis index -> [lo, hi] in axis units (0..1 normalised) */
const brushes = new Map<number, [number, number]>();

function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
function palette(): string[] {
  return [
    '--vscode-charts-blue',
    '--vscode-charts-orange',
    '--vscode-charts-green',
    '--vscode-charts-red',
    '--vscode-charts-purple',
    '--vscode-charts-yellow',
  ].map((v, i) => css(v, ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'][i]));
}
function colorOf(i: number): string {
  const p = palette();
  return p[i % p.length];
}
function dash(i: number): number[] {
  return i < 6 ? [] : i < 12 ? [6, 3] : [2, 3];
}

function setState(patch: Partial<CompareViewSettings>): void {
  view = { ...view, ...patch };
  vscode.setState({ selection, view });
}

function fmt(v: CellValue | undefined): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3
        ? v.toExponential(4)
        : v.toPrecision(6).replace(/\.?0+$/, '');
  }
  return v;
}
function deltaMode(s: Shown): DeltaMode {
  return s.deltaMode === 'relative' ? 'relative' : 'absolute';
}

// ---------------------------------------------------------------------------------------------------------

function render(): void {
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
// Metric curves

interface CurveRef {
  chart: Chart;
  key: string;
}
let curves: CurveRef[] = [];

function xOf(s: Shown, step: number, time: number | null, start: number | null): number {
  if (s.xAxis === 'step') {
    return step;
  }
  if (time === null) {
    return NaN;
  }
  return s.xAxis === 'wall' ? time : (time - (start ?? time)) / 1000;
}

function curveDatasets(key: string): ChartDataset<'line', { x: number; y: number }[]>[] {
  const d = data!,
    s = shown()!;
  return d.runs
    .map((r, i) => {
      const series = d.series.find(x => x.runId === r.id && x.key === key);
      if (!series) {
        return undefined;
      }
      const ys = emaSmooth(series.values, s.smoothing);
      const pts = series.steps
        .map((step, j) => ({ x: xOf(s, step, series.times[j], r.startTime), y: ys[j] }))
        .filter(p => Number.isFinite(p.x) && (!s.logY || p.y > 0));
      // a run that logged this metric once (or a handful of times) gets markers: a line needs two points
      const few = pts.length <= 1 ? 4 : pts.length <= 12 ? 2.5 : 0;
      // the assertion is needed under webview-ui's tsconfig (the root one, which ESLint uses, infers without it)
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      return {
        label: r.name,
        data: pts,
        borderColor: colorOf(i),
        backgroundColor: colorOf(i),
        borderDash: dash(i),
        borderWidth: r.id === s.referenceRunId ? 2.5 : 1.5,
        pointRadius: few,
        pointHitRadius: 4,
        tension: 0,
        spanGaps: true,
      } as ChartDataset<'line', { x: number; y: number }[]>;
    })
    .filter((x): x is ChartDataset<'line', { x: number; y: number }[]> => !!x);
}

function axisColors() {
  return { text: css('--vscode-foreground', '#ccc'), grid: css('--vscode-panel-border', 'rgba(128,128,128,0.3)') };
}

function renderCurves(app: HTMLElement, d: CompareData, s: Shown, curveKeys: string[], finals: string[]): void {
  app.appendChild(el('h2', { text: 'Metric curves' }));
  curves = [];
  if (!d.metricKeys.length) {
    app.appendChild(el('p', { className: 'empty', text: 'These runs logged no metrics.' }));
    return;
  }
  if (!curveKeys.length) {
    app.appendChild(
      el('p', {
        className: 'empty',
        text: `These runs logged each metric once (${finals.length} final metric${finals.length === 1 ? '' : 's'}, below). Log a metric with step= to see its curve.`,
      }),
    );
    return;
  }
  const grid = el('div', { className: 'charts' });
  const { text, grid: gridColor } = axisColors();
  for (const key of curveKeys) {
    const card = el('section', { className: 'chart-card' });
    card.dataset.metric = key;
    const head = el('header');
    const total = d.series.filter(x => x.key === key).reduce((a, x) => a + x.total, 0);
    const drawn = d.series.filter(x => x.key === key).reduce((a, x) => a + x.steps.length, 0);
    const nonFinite = d.series.filter(x => x.key === key).reduce((a, x) => a + x.nonFinite.length, 0);
    const partial = d.series
      .filter(x => x.key === key && !x.complete)
      .map(x => d.runs.find(r => r.id === x.runId)?.name ?? x.runId);
    const title = el('div');
    title.append(
      el('span', { className: 'title', text: key }),
      el('span', {
        className: 'muted',
        text: `  ${total.toLocaleString()} points${drawn < total ? `, ${drawn.toLocaleString()} drawn` : ''}${nonFinite ? `, ${nonFinite} NaN/inf not drawn` : ''}`,
      }),
    );
    if (partial.length) {
      const note = el('span', {
        className: 'muted',
        text: ` · sampled copy for ${partial.join(', ')} (its metric files could not be read)`,
      });
      note.title = "The store keeps about 32 points per series; full histories are read from the runs' own files.";
      title.append(note);
    }
    const png = el('button', { className: 'link', text: 'PNG' });
    png.title = `Save the ${key} chart as PNG`;
    head.append(title, png);
    const box = el('div', { className: 'chart-box' });
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${key} against ${s.xAxis}`);
    box.appendChild(canvas);
    card.append(head, box);
    grid.appendChild(card);
    const chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: curveDatasets(key) },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false, axis: 'x' },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: c => `${c.dataset.label}: ${fmt(c.parsed.y)}` } },
        },
        scales: {
          x: {
            type: 'linear',
            title: {
              display: true,
              text: s.xAxis === 'step' ? 'step' : s.xAxis === 'wall' ? 'wall time' : 'seconds since start',
              color: text,
            },
            ticks: {
              color: text,
              maxTicksLimit: 8,
              callback: v => (s.xAxis === 'wall' ? new Date(Number(v)).toLocaleTimeString() : fmt(Number(v))),
            },
            grid: { color: gridColor },
          },
          y: {
            type: s.logY ? 'logarithmic' : 'linear',
            ticks: { color: text, maxTicksLimit: 6 },
            grid: { color: gridColor },
          },
        },
      },
    });
    png.addEventListener('click', () => savePng(chart, key));
    charts.push(chart);
    curves.push({ chart, key });
  }
  app.appendChild(grid);
}

/** Metrics every run logged once (test scores, final evaluations): one bar per run, the best one marked. */
function renderFinals(app: HTMLElement, d: CompareData, finals: string[]): void {
  if (!finals.length) {
    return;
  }
  app.appendChild(el('h2', { text: 'Final metrics' }));
  const grid = el('div', { className: 'charts finals' });
  grid.id = 'final-metrics';
  const { text, grid: gridColor } = axisColors();
  for (const key of finals) {
    const row = d.rows.find(r => r.section === 'metric' && r.key === key);
    if (!row) {
      continue;
    }
    const values = row.values.map(v => asNumber(v));
    const best = bestIndices(key, row.values);
    const card = el('section', { className: 'chart-card' });
    card.dataset.metric = key;
    const head = el('header');
    head.append(
      el('span', { className: 'title', text: key }),
      el('span', {
        className: 'muted',
        text: `${higherIsBetter(key) ? 'higher' : 'lower'} is better${best.length ? ` · best: ${best.map(i => d.runs[i].name).join(', ')} ${fmt(values[best[0]])}` : ''}`,
      }),
    );
    const box = el('div', { className: 'chart-box' });
    box.style.height = `${Math.max(90, 34 + 26 * d.runs.length)}px`;
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute(
      'aria-label',
      `${key} per run: ${d.runs.map((r, i) => `${r.name} ${values[i] === undefined ? 'none' : fmt(values[i])}`).join(', ')}`,
    );
    box.appendChild(canvas);
    card.append(head, box);
    grid.appendChild(card);
    const chart = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: d.runs.map(r => r.name),
        datasets: [
          {
            label: key,
            data: values.map(v => (v !== undefined && Number.isFinite(v) ? v : null)),
            backgroundColor: d.runs.map((_, i) => colorOf(i)),
            borderColor: d.runs.map((_, i) => (best.includes(i) ? text : colorOf(i))),
            borderWidth: d.runs.map((_, i) => (best.includes(i) ? 2 : 0)),
            barPercentage: 0.8,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: c => `${c.label}: ${fmt(c.parsed.x)}` } },
        },
        scales: {
          x: { ticks: { color: text, maxTicksLimit: 6 }, grid: { color: gridColor } },
          y: {
            ticks: { color: text, autoSkip: false, callback: (_v, i) => fitLabel(d.runs[i]?.name ?? '', 24) },
            grid: { display: false },
          },
        },
      },
    });
    charts.push(chart);
  }
  app.appendChild(grid);
}

function updateCurveData(): void {
  for (const c of curves) {
    c.chart.data.datasets = curveDatasets(c.key);
    c.chart.update('none');
  }
}

function savePng(chart: Chart, name: string): void {
  const url = chart.toBase64Image('image/png', 1);
  post({ type: 'save', kind: 'png', suggestedName: name, content: url.slice(url.indexOf(',') + 1) });
}

// ---------------------------------------------------------------------------------------------------------
// Table

const SECTION_TITLES: Record<TableRow['section'], string> = {
  info: 'Run',
  param: 'Parameters',
  metric: 'Metrics (latest)',
  tag: 'Tags',
  dataset: 'Datasets',
};

function columnOrder(d: CompareData, s: Shown): number[] {
  const idx = d.runs.map((_, i) => i);
  if (!s.sort) {
    return idx;
  }
  const row = d.rows.find(r => r.section === s.sort!.section && r.key === s.sort!.key);
  if (!row) {
    return idx;
  }
  const val = (i: number) => {
    const n = asNumber(row.values[i]);
    return n === undefined ? String(row.values[i] ?? '') : n;
  };
  return idx.sort((a, b) => {
    const va = val(a),
      vb = val(b);
    const c =
      typeof va === 'number' && typeof vb === 'number'
        ? Number.isNaN(va)
          ? 1
          : Number.isNaN(vb)
            ? -1
            : va - vb
        : String(va).localeCompare(String(vb));
    return s.sort!.descending ? -c : c;
  });
}

function renderTable(app: HTMLElement, d: CompareData, s: Shown): void {
  app.appendChild(el('h2', { text: 'Parameters, metrics and tags' }));
  const bar = el('div', { className: 'toolbar' });
  const diffLabel = el('label', { text: 'Show only differences' });
  const diff = el('input');
  diff.type = 'checkbox';
  diff.checked = s.diffOnly;
  diff.id = 'diff-only';
  diff.addEventListener('change', () => {
    setState({ diffOnly: diff.checked });
    render();
  });
  diffLabel.prepend(diff);
  const refLabel = el('label', { text: 'Reference run' });
  const ref = el('select');
  ref.id = 'reference';
  const none = el('option', { text: '(none)' });
  none.value = '';
  ref.appendChild(none);
  for (const r of d.runs) {
    const o = el('option', { text: r.name });
    o.value = r.id;
    o.selected = r.id === s.referenceRunId;
    ref.appendChild(o);
  }
  ref.addEventListener('change', () => {
    const runId = ref.value || null;
    post({ type: 'setReference', runId });
  });
  refLabel.appendChild(ref);
  const modeLabel = el('label', { text: 'Deltas' });
  const mode = el('select');
  mode.id = 'delta-mode';
  for (const [v, t] of [
    ['absolute', 'absolute (+0.02)'],
    ['relative', 'relative (+2.1 %)'],
  ] as [DeltaMode, string][]) {
    const o = el('option', { text: t });
    o.value = v;
    o.selected = deltaMode(s) === v;
    mode.appendChild(o);
  }
  mode.addEventListener('change', () => {
    setState({ deltaMode: mode.value as DeltaMode });
    render();
  });
  modeLabel.appendChild(mode);
  modeLabel.title = 'How differences to the reference run and to the baseline are shown';
  const csvBtn = el('button', { className: 'secondary', text: 'Export CSV' });
  csvBtn.id = 'export-csv';
  bar.append(diffLabel, refLabel, modeLabel, csvBtn);
  app.appendChild(bar);

  const order = columnOrder(d, s);
  const rows = s.diffOnly ? diffOnly(d.rows) : d.rows;
  csvBtn.addEventListener('click', () => {
    const header = ['section', 'key', ...order.map(i => d.runs[i].name)];
    post({
      type: 'save',
      kind: 'csv',
      suggestedName: 'run-comparison',
      content: toCsv(
        header,
        rows.map(r => [r.section, r.key, ...order.map(i => r.display?.[i] ?? r.values[i])]),
      ),
    });
  });
  if (!rows.length) {
    app.appendChild(
      el('p', {
        className: 'empty',
        text: s.diffOnly ? 'These runs do not differ in any parameter, metric or tag.' : 'Nothing to show.',
      }),
    );
    return;
  }
  const refIdx = d.runs.findIndex(r => r.id === s.referenceRunId);
  const table = el('table');
  table.id = 'compare-table';
  const thead = el('thead');
  const hr = el('tr');
  hr.appendChild(el('th', { text: 'name' }));
  for (const i of order) {
    const th = el('th', { text: d.runs[i].name });
    if (i === refIdx) {
      th.className = 'reference';
      th.title = 'reference run';
    }
    hr.appendChild(th);
  }
  thead.appendChild(hr);
  table.appendChild(thead);
  const tbody = el('tbody');
  let section: string | undefined;
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      const tr = el('tr', { className: 'section' });
      const td = el('td', { text: SECTION_TITLES[r.section] });
      td.colSpan = order.length + 1;
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    const tr = el('tr');
    tr.dataset.key = r.key;
    const th = el('th', { className: 'key', text: r.key });
    th.tabIndex = 0;
    const sortedHere = s.sort && s.sort.key === r.key && s.sort.section === r.section;
    th.title = 'Sort the runs by this row';
    if (sortedHere) {
      th.textContent = `${r.key} ${s.sort!.descending ? '▼' : '▲'}`;
    }
    const toggle = () => {
      setState({ sort: { key: r.key, section: r.section, descending: sortedHere ? !s.sort!.descending : false } });
      render();
    };
    th.addEventListener('click', toggle);
    th.addEventListener('keydown', e => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle();
      }
    });
    tr.appendChild(th);
    // highlight only the cells that differ (from the reference, else from the row's usual value); metrics, which
    // nearly always differ, mark their best value instead
    const differing = r.section === 'metric' ? [] : differingCells(r.values, refIdx);
    const best = r.section === 'metric' ? bestIndices(r.key, r.values) : [];
    for (const i of order) {
      const td = el('td', { text: r.display?.[i] ?? fmt(r.values[i]) });
      if (r.differs && differing[i]) {
        td.classList.add('differs');
      }
      if (best.includes(i)) {
        td.classList.add('best');
        td.title = `best ${r.key}`;
      }
      if (i === refIdx) {
        td.classList.add('reference');
      }
      const delta = r.deltas?.[i];
      const refValue = refIdx >= 0 ? asNumber(r.values[refIdx]) : undefined;
      const shown =
        refIdx >= 0 && i !== refIdx && delta !== null && delta !== undefined && delta !== 0 && refValue !== undefined
          ? formatDelta(delta, refValue, deltaMode(s))
          : null;
      if (shown) {
        td.appendChild(el('span', { className: 'delta muted', text: `(${shown})` }));
      }
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  table.appendChild(tbody);
  const wrap = el('div', { className: 'table-wrap' });
  wrap.appendChild(table);
  app.appendChild(wrap);
}

// ---------------------------------------------------------------------------------------------------------
// Parallel coordinates (canvas 2D; numeric, log and categorical axes; a run without a value sits on the axis's
// "missing" tick; lines coloured by the chosen metric; drag on an axis to brush, double-click clears)

/** Cuts text to fit `px` pixels in the canvas's font. */
function fitText(ctx: CanvasRenderingContext2D, text: string, px: number): string {
  if (ctx.measureText(text).width <= px) {
    return text;
  }
  let n = Math.max(1, Math.floor((text.length * px) / Math.max(1, ctx.measureText(text).width)));
  while (n > 1 && ctx.measureText(fitLabel(text, n)).width > px) {
    n--;
  }
  return fitLabel(text, n);
}

function renderParallel(app: HTMLElement, d: CompareData, s: Shown): void {
  app.appendChild(el('h2', { text: 'Parallel coordinates' }));
  const paramRows = d.rows.filter(r => r.section === 'param');
  const metricRows = d.rows.filter(r => r.section === 'metric');
  if (!paramRows.length || !metricRows.length) {
    app.appendChild(el('p', { className: 'empty', text: 'Needs runs with parameters and metrics.' }));
    return;
  }
  // by default the differing parameters most runs have (a parameter of one model family only says little)
  const have = (r: TableRow) => r.values.filter(v => v !== null && v !== '').length;
  const chosen = s.pcParams.length
    ? s.pcParams.filter(p => paramRows.some(r => r.key === p))
    : paramRows
        .filter(r => r.differs)
        .sort((a, b) => have(b) - have(a))
        .slice(0, 6)
        .map(r => r.key);
  const metric =
    s.pcMetric && metricRows.some(r => r.key === s.pcMetric) ? s.pcMetric : (d.baseline.metric ?? metricRows[0].key);
  const checks = el('div', { className: 'checks' });
  for (const r of paramRows) {
    const lab = el('label', { text: r.key });
    const cb = el('input');
    cb.type = 'checkbox';
    cb.checked = chosen.includes(r.key);
    cb.addEventListener('change', () => {
      brushes.clear();
      setState({ pcParams: cb.checked ? [...chosen, r.key] : chosen.filter(k => k !== r.key) });
      render();
    });
    lab.prepend(cb);
    checks.appendChild(lab);
  }
  const mLabel = el('label', { text: 'Colour by metric' });
  const msel = el('select');
  msel.id = 'pc-metric';
  for (const r of metricRows) {
    const o = el('option', { text: r.key });
    o.value = r.key;
    o.selected = r.key === metric;
    msel.appendChild(o);
  }
  msel.addEventListener('change', () => {
    brushes.clear();
    setState({ pcMetric: msel.value });
    render();
  });
  mLabel.appendChild(msel);
  checks.appendChild(mLabel);
  app.appendChild(checks);
  const metricValues = metricRows.find(r => r.key === metric)!.values;
  const axes = [
    ...chosen.map(k => parallelAxis(k, 'param', paramRows.find(r => r.key === k)!.values)),
    parallelAxis(metric, 'metric', metricValues),
  ];
  const colorT = metricColorPositions(metric, metricValues);
  const lineColor = (ri: number) => {
    const t = colorT[ri];
    return t === null ? css('--vscode-disabledForeground', '#888') : rampColor(t);
  };

  // the colour legend: worst → best value of the metric
  const nums = metricValues.map(v => asNumber(v)).filter((n): n is number => n !== undefined && Number.isFinite(n));
  const legend = el('div', { className: 'pc-legend' });
  legend.id = 'pc-legend';
  if (nums.length) {
    const up = higherIsBetter(metric);
    const worst = up ? Math.min(...nums) : Math.max(...nums),
      best = up ? Math.max(...nums) : Math.min(...nums);
    const ramp = el('span', { className: 'ramp' });
    ramp.style.background = `linear-gradient(to right, ${[0, 0.33, 0.66, 1].map(rampColor).join(', ')})`;
    legend.append(
      el('span', { text: `${metric}: worse ${fmt(worst)}` }),
      ramp,
      el('span', { text: `${fmt(best)} better` }),
    );
    if (colorT.some(t => t === null)) {
      legend.appendChild(el('span', { className: 'muted', text: ' · grey: no value' }));
    }
  }
  app.appendChild(legend);

  const status = el('p', { className: 'muted' });
  const canvas = el('canvas', { className: 'pc' });
  canvas.setAttribute('role', 'img');
  canvas.setAttribute(
    'aria-label',
    `Parallel coordinates of ${axes.map(a => a.name).join(', ')}, coloured by ${metric}`,
  );
  const wrap = el('div', { className: 'pc-wrap' });
  wrap.appendChild(canvas);
  const png = el('button', { className: 'link', text: 'PNG' });
  png.addEventListener('click', () =>
    post({
      type: 'save',
      kind: 'png',
      suggestedName: 'parallel-coordinates',
      content: canvas.toDataURL('image/png').split(',')[1],
    }),
  );
  app.append(wrap, status, png);
  const pad = { l: 24, r: 24, t: 44, b: 18 };
  let dragging: { axis: number; from: number } | undefined;
  const geom = () => {
    const w = canvas.clientWidth,
      h = canvas.clientHeight;
    const xs = axes.map((_, i) => pad.l + (axes.length === 1 ? 0 : (i * (w - pad.l - pad.r)) / (axes.length - 1)));
    return {
      w,
      h,
      xs,
      y: (t: number) => pad.t + (1 - t) * (h - pad.t - pad.b),
      t: (y: number) => 1 - (y - pad.t) / (h - pad.t - pad.b),
    };
  };
  const selected = (ri: number) =>
    [...brushes.entries()].every(([ai, [lo, hi]]) => {
      const t = axes[ai].positions[ri];
      return t >= lo && t <= hi;
    });
  const draw = () => {
    const dpr = window.devicePixelRatio || 1;
    const g = geom();
    canvas.width = Math.round(g.w * dpr);
    canvas.height = Math.round(g.h * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.w, g.h);
    const { text, grid } = axisColors();
    const muted = css('--vscode-descriptionForeground', text);
    ctx.font = `${css('--vscode-font-size', '12px')} ${css('--vscode-font-family', 'sans-serif')}`;
    const order = d.runs
      .map((_, ri) => ri)
      .sort((a, b) => Number(selected(a)) - Number(selected(b)) || (colorT[a] ?? -1) - (colorT[b] ?? -1));
    for (const ri of order) {
      const on = selected(ri);
      ctx.strokeStyle = on ? lineColor(ri) : grid;
      ctx.globalAlpha = on ? 0.95 : 0.3;
      ctx.lineWidth = on ? 2 : 1;
      for (let ai = 1; ai < axes.length; ai++) {
        // a segment to or from a missing value is dashed
        ctx.setLineDash(axes[ai - 1].present[ri] && axes[ai].present[ri] ? [] : [4, 3]);
        ctx.beginPath();
        ctx.moveTo(g.xs[ai - 1], g.y(axes[ai - 1].positions[ri]));
        ctx.lineTo(g.xs[ai], g.y(axes[ai].positions[ri]));
        ctx.stroke();
      }
      if (axes.length === 1) {
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillRect(g.xs[0] - 3, g.y(axes[0].positions[ri]) - 3, 6, 6);
      }
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    const spacing = axes.length > 1 ? g.xs[1] - g.xs[0] : g.w - pad.l - pad.r;
    // axis names: two staggered rows when the space between axes is narrow, each cut to the room it has
    const stagger = axes.length > 2 && spacing < 150;
    const nameRoom = (stagger ? 2 * spacing : spacing) - 10;
    axes.forEach((a, ai) => {
      const x = g.xs[ai];
      const first = ai === 0,
        last = ai === axes.length - 1 && axes.length > 1;
      ctx.strokeStyle = text;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, g.y(0));
      ctx.lineTo(x, g.y(1));
      ctx.stroke();
      ctx.fillStyle = text;
      ctx.textAlign = first ? 'left' : last ? 'right' : 'center';
      ctx.font = `600 ${css('--vscode-font-size', '12px')} ${css('--vscode-font-family', 'sans-serif')}`;
      const name = a.name + (a.log ? ' (log)' : '');
      ctx.fillText(
        fitText(ctx, name, first || last ? Math.min(nameRoom, spacing / 2 + nameRoom / 2) : nameRoom),
        first ? x - 4 : last ? x + 4 : x,
        stagger && ai % 2 ? 30 : 14,
      );
      ctx.font = `${css('--vscode-font-size', '12px')} ${css('--vscode-font-family', 'sans-serif')}`;
      // tick labels to the right of the axis (left of the last one), none overlapping another
      const ys = a.ticks.map(t => g.y(t.pos));
      const keep = a.ticks.map(
        (t, i) => !!t.missing || i === 0 || i === a.ticks.length - 1 - (a.ticks.at(-1)?.missing ? 1 : 0),
      );
      const shown = nonOverlapping(ys, 14, keep);
      ctx.textAlign = last ? 'right' : 'left';
      const room = Math.max(30, Math.min(130, spacing - 16));
      a.ticks.forEach((t, i) => {
        const y = ys[i];
        ctx.beginPath();
        ctx.moveTo(x - 3, y);
        ctx.lineTo(x + 3, y);
        ctx.stroke();
        if (!shown[i]) {
          return;
        }
        ctx.fillStyle = t.missing ? muted : text;
        ctx.fillText(fitText(ctx, t.label, room), x + (last ? -6 : 6), y + 4);
      });
      const b = brushes.get(ai);
      if (b) {
        ctx.fillStyle = css('--vscode-editor-selectionBackground', 'rgba(100,150,255,0.3)');
        ctx.globalAlpha = 0.5;
        ctx.fillRect(x - 6, g.y(b[1]), 12, g.y(b[0]) - g.y(b[1]));
        ctx.globalAlpha = 1;
      }
    });
    const n = d.runs.filter((_, ri) => selected(ri)).length;
    const missing = axes.filter(a => a.present.some(p => !p)).map(a => a.name);
    status.textContent =
      (brushes.size
        ? `${n} of ${d.runs.length} runs inside the brushed ranges (double-click an axis to clear it).`
        : 'Drag along an axis to filter runs.') +
      (missing.length
        ? ` Runs without a value sit on the "${MISSING_LABEL}" tick of ${missing.join(', ')} (dashed).`
        : '');
  };
  const axisAt = (x: number) => {
    const g = geom();
    let best = -1,
      dist = 24;
    g.xs.forEach((ax, i) => {
      if (Math.abs(ax - x) < dist) {
        dist = Math.abs(ax - x);
        best = i;
      }
    });
    return best;
  };
  canvas.addEventListener('mousedown', e => {
    const ai = axisAt(e.offsetX);
    if (ai >= 0) {
      dragging = { axis: ai, from: geom().t(e.offsetY) };
    }
  });
  canvas.addEventListener('mousemove', e => {
    if (!dragging) {
      return;
    }
    const t = geom().t(e.offsetY);
    const lo = Math.max(0, Math.min(dragging.from, t)),
      hi = Math.min(1, Math.max(dragging.from, t));
    if (hi - lo > 0.005) {
      brushes.set(dragging.axis, [lo, hi]);
      draw();
    }
  });
  window.addEventListener('mouseup', () => {
    dragging = undefined;
  });
  canvas.addEventListener('dblclick', e => {
    const ai = axisAt(e.offsetX);
    if (ai >= 0) {
      brushes.delete(ai);
      draw();
    }
  });
  requestAnimationFrame(draw);
  new ResizeObserver(() => draw()).observe(canvas);
}

// ---------------------------------------------------------------------------------------------------------
// Scatter of a metric against a parameter (it starts on a parameter that varies across the runs)

function renderScatter(app: HTMLElement, d: CompareData, s: Shown): void {
  const params = d.rows.filter(r => r.section === 'param');
  const metrics = d.rows.filter(r => r.section === 'metric');
  if (!params.length || !metrics.length) {
    return;
  }
  app.appendChild(el('h2', { text: 'Metric against parameter' }));
  const p =
    s.scatterParam && params.some(r => r.key === s.scatterParam)
      ? s.scatterParam
      : (pickScatterParam(params) ?? params[0].key);
  const m =
    s.scatterMetric && metrics.some(r => r.key === s.scatterMetric)
      ? s.scatterMetric
      : (d.baseline.metric ?? metrics[0].key);
  const bar = el('div', { className: 'toolbar' });
  const mk = (label: string, id: string, rows: TableRow[], value: string, onChange: (v: string) => void) => {
    const l = el('label', { text: label });
    const sel = el('select');
    sel.id = id;
    for (const r of rows) {
      const o = el('option', { text: r.key });
      o.value = r.key;
      o.selected = r.key === value;
      sel.appendChild(o);
    }
    sel.addEventListener('change', () => onChange(sel.value));
    l.appendChild(sel);
    return l;
  };
  bar.append(
    mk('Parameter', 'scatter-param', params, p, v => {
      setState({ scatterParam: v });
      render();
    }),
    mk('Metric', 'scatter-metric', metrics, m, v => {
      setState({ scatterMetric: v });
      render();
    }),
  );
  app.appendChild(bar);
  const axis = parallelAxis(p, 'param', params.find(r => r.key === p)!.values);
  const cats = axis.ticks.filter(t => !t.missing).map(t => t.label);
  const xs = params
    .find(r => r.key === p)!
    .values.map((v, i) => (!axis.present[i] ? NaN : axis.numeric ? asNumber(v)! : cats.indexOf(String(v))));
  const ys = metrics.find(r => r.key === m)!.values.map(v => asNumber(v));
  const card = el('section', { className: 'chart-card' });
  card.id = 'scatter';
  const box = el('div', { className: 'chart-box' });
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${m} against ${p}`);
  box.appendChild(canvas);
  card.appendChild(box);
  const left = d.runs.filter((_, i) => !Number.isFinite(xs[i]) || !Number.isFinite(ys[i] ?? NaN)).map(r => r.name);
  if (left.length) {
    card.appendChild(el('p', { className: 'muted', text: `Not shown (no ${p} or no ${m}): ${left.join(', ')}` }));
  }
  app.appendChild(card);
  const { text, grid } = axisColors();
  const chart = new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: d.runs.map((r, i) => ({
        label: r.name,
        data: [{ x: xs[i], y: ys[i] ?? NaN }].filter(q => Number.isFinite(q.x) && Number.isFinite(q.y)),
        backgroundColor: colorOf(i),
        borderColor: colorOf(i),
        pointRadius: 5,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: c =>
              `${c.dataset.label}: ${p}=${axis.numeric ? fmt(c.parsed.x) : cats[Number(c.parsed.x)]}, ${m}=${fmt(c.parsed.y)}`,
          },
        },
      },
      scales: {
        x: {
          type: (axis.log ? 'logarithmic' : 'linear') as 'linear',
          title: { display: true, text: p, color: text },
          grid: { color: grid },
          min: axis.numeric ? undefined : -0.5,
          max: axis.numeric ? undefined : cats.length - 0.5,
          ticks: {
            color: text,
            stepSize: axis.numeric ? undefined : 1,
            callback: v => (axis.numeric ? fmt(Number(v)) : (cats[Number(v)] ?? '')),
          },
        },
        y: { title: { display: true, text: m, color: text }, ticks: { color: text }, grid: { color: grid } },
      },
    },
  });
  charts.push(chart);
}

// ---------------------------------------------------------------------------------------------------------
// Feature importance, side by side

function renderImportances(app: HTMLElement, d: CompareData): void {
  app.appendChild(el('h2', { text: 'Feature importance' }));
  if (!d.importances.length) {
    app.appendChild(
      el('p', {
        className: 'empty',
        text: 'No run logged feature importances (mlsight: run.log_feature_importance(names, values)). Ignoring feature importance hides what a model relies on.',
      }),
    );
    return;
  }
  const names = [...new Set(d.importances.flatMap(f => f.names.slice(0, 20)))].slice(0, 25);
  const card = el('section', { className: 'chart-card' });
  const box = el('div', { className: 'chart-box tall' });
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'Feature importance per run');
  box.appendChild(canvas);
  const png = el('button', { className: 'link', text: 'PNG' });
  card.append(box, png);
  app.appendChild(card);
  const { text, grid } = axisColors();
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: names,
      datasets: d.importances.map(f => {
        const i = d.runs.findIndex(r => r.id === f.runId);
        return {
          label: d.runs[i]?.name ?? f.runId,
          data: names.map(n => {
            const k = f.names.indexOf(n);
            return k >= 0 ? f.values[k] : 0;
          }),
          backgroundColor: colorOf(i),
        };
      }),
    },
    options: {
      indexAxis: 'y',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, labels: { color: text } } },
      scales: {
        x: { ticks: { color: text }, grid: { color: grid } },
        y: { ticks: { color: text, autoSkip: false }, grid: { color: grid } },
      },
    },
  });
  png.addEventListener('click', () => savePng(chart, 'feature-importance'));
  charts.push(chart);
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
