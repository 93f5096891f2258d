// The Drift report webview. Receives the report from the host (src/drift/driftPanel.ts) over the typed contract in
// src/drift/contract.ts, after announcing `ready`. All data is inserted as text (textContent via el()), never as
// HTML; column names can be anything. Charts: chart.js (no eval; CSSOM styles only, which the CSP allows).
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
  PointElement,
  Tooltip,
} from 'chart.js';
import type {
  DriftConfig,
  DriftReport,
  DriftViewState,
  HostToWebview,
  SortKey,
  WebviewToHost,
} from '../../src/drift/contract';
import type { ColumnReport, MissingCounts } from '../../src/core/drift/types';
import { ECDF_PROBABILITIES, METHOD_LABELS, METRIC_LABELS } from '../../src/core/drift/types';
import { MEASURED_FALSE_ALARMS, verdictReasoning } from '../../src/core/drift/explain';
import { el, vscodeApi } from '../shared/vscodeApi';
import './style.css';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);

const vscode = vscodeApi<WebviewToHost, DriftViewState>();
const post = (m: WebviewToHost) => vscode.postMessage(m);

let report: DriftReport | undefined;
let state: DriftViewState | undefined = vscode.getState();
let charts: Chart[] = [];
const MAX_CARDS = 60;
/** Short test names for the table (the full names are in the cells' tooltips). */
const METHOD_SHORT: Record<string, string> = {
  ks: 'K-S',
  chisquare: 'chi-square',
  z: 'Z-test',
  jensenshannon: 'Jensen-Shannon',
  wasserstein: 'Wasserstein (normed)',
  psi: 'PSI',
};

function decode<T>(v: unknown): T {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) {
      return x.map(walk);
    }
    if (x && typeof x === 'object') {
      const keys = Object.keys(x);
      if (keys.length === 1 && keys[0] === '$nf') {
        const s = (x as { $nf: string }).$nf;
        return s === 'NaN' ? NaN : s === 'Infinity' ? Infinity : -Infinity;
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        Object.defineProperty(out, k, {
          value: walk((x as Record<string, unknown>)[k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return x;
  };
  return walk(v) as T;
}

function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
function colors() {
  return {
    ref: css('--vscode-charts-blue', '#3794ff'),
    cur: css('--vscode-charts-orange', '#d18616'),
    bad: css('--vscode-charts-red', '#f14c4c'),
    ok: css('--vscode-charts-green', '#89d185'),
    purple: css('--vscode-charts-purple', '#b180d7'),
    text: css('--vscode-foreground', '#ccc'),
    grid: css('--vscode-panel-border', 'rgba(128,128,128,0.3)'),
  };
}
function alpha(c: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(c);
  if (!m) {
    return c;
  }
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? '∞' : '−∞';
  }
  if (Number.isInteger(v) && Math.abs(v) < 1e9) {
    return v.toLocaleString('en-US');
  }
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
    return v.toExponential(3);
  }
  return String(Number(v.toPrecision(4)));
}
const pct = (v: number) => `${Number((v * 100).toPrecision(3))}%`;
const missingOf = (m: MissingCounts) => m.missing + m.posInf + m.negInf + m.invalid;
const basename = (p: string) => p.split(/[\\/]/).pop() ?? p;

function setState(patch: Partial<DriftViewState>): void {
  if (!state) {
    return;
  }
  state = { ...state, ...patch };
  vscode.setState(state);
  // the host owns the configuration: tell it only the view settings
  post({
    type: 'state',
    view: { sort: state.sort, selected: state.selected, chart: state.chart, metric: state.metric },
  });
}

function button(
  text: string,
  onClick: () => void,
  opts: { className?: string; id?: string; title?: string } = {},
): HTMLButtonElement {
  const b = el('button', { text, className: opts.className ?? 'secondary', title: opts.title });
  if (opts.id) {
    b.id = opts.id;
  }
  b.addEventListener('click', onClick);
  return b;
}

// ---------------------------------------------------------------------------------------------------------

function header(app: HTMLElement, config: DriftConfig, r?: DriftReport): void {
  app.appendChild(el('h1', { text: 'Drift report' }));
  const files = el('div', { className: 'files' });
  const file = (which: 'reference' | 'current', p: string, rows?: number) => {
    const a = el('button', { className: 'link', text: basename(p), title: p });
    a.addEventListener('click', () => post({ type: 'openFile', which }));
    const span = el('span', { className: 'file' }, el('span', { className: 'muted', text: `${which}: ` }), a);
    if (rows !== undefined) {
      span.appendChild(el('span', { className: 'muted', text: ` (${rows.toLocaleString('en-US')} rows)` }));
    }
    return span;
  };
  files.append(
    file('reference', config.reference, r?.reference.rows),
    el('span', { className: 'arrow', text: '→' }),
    file('current', config.current, r?.current.rows),
  );
  const roles = [
    ['target', config.target],
    ['prediction', config.prediction],
    ['time', config.time],
  ].filter(([, v]) => v) as [string, string][];
  for (const [k, v] of roles) {
    files.appendChild(
      el('span', { className: 'role' }, el('span', { className: 'muted', text: `${k}: ` }), el('code', { text: v })),
    );
  }
  app.appendChild(files);
  const bar = el('div', { className: 'toolbar' });
  bar.append(
    button('Change…', () => post({ type: 'configure' }), { id: 'configure', title: 'Choose other files or columns' }),
    button('Re-run', () => post({ type: 'rerun' }), { id: 'rerun' }),
    button('Save as Watch', () => post({ type: 'saveWatch' }), {
      id: 'save-watch',
      title: 'Re-run this report whenever either file changes; warn in the status bar when it drifts',
    }),
    button('Settings', () => post({ type: 'openSettings' }), {
      id: 'settings',
      title: 'Thresholds and the retrain policy (mlsight.drift.*)',
    }),
  );
  if (r) {
    bar.append(
      button('Export JSON', () => post({ type: 'export', format: 'json' }), { id: 'export-json' }),
      button('Export CSV', () => post({ type: 'export', format: 'csv' }), { id: 'export-csv' }),
      button('Export HTML', () => post({ type: 'export', format: 'html' }), { id: 'export-html' }),
    );
  }
  app.appendChild(bar);
}

function verdict(app: HTMLElement, r: DriftReport): void {
  const v = r.verdict;
  const box = el('section', { className: `verdict ${v.level}` });
  box.id = 'verdict';
  box.setAttribute('role', 'status');
  box.appendChild(el('div', { className: 'headline', text: v.headline }));
  if (v.reasons.length) {
    const ul = el('ul');
    for (const x of v.reasons) {
      const li = el('li', { className: x.level });
      li.append(
        el('span', { className: `badge ${x.level === 'retrain' ? 'bad' : 'warn'}`, text: x.level }),
        el('span', { text: ` ${x.message}` }),
      );
      ul.appendChild(li);
    }
    box.appendChild(ul);
  } else {
    box.appendChild(
      el('p', {
        text: 'No column drift survived the correction, no feature drifted persistently over time, and performance stayed within its band.',
      }),
    );
  }
  const c = v.calibration;
  const m = MEASURED_FALSE_ALARMS;
  const rate = el('p', {
    className: 'muted small',
    text: `Designed false-alarm rate: at most about ${pct(c.alpha)} of reports on unchanged data say anything but "No drift detected"${c.alpha === 0.05 && c.columns.correction === 'holm' ? ` (measured by simulation: ${pct(m.rate)})` : ''}. Evidently's per-column flags below are shown as Evidently computes them; alone they raise no alarm.`,
  });
  rate.id = 'alarm-rate';
  box.appendChild(rate);
  box.appendChild(reasoning(r));
  app.appendChild(box);
}

/** How the verdict was reached: the tests and their correction, the chunks, the band's interval. */
function reasoning(r: DriftReport): HTMLElement {
  const d = el('details');
  d.id = 'reasoning';
  d.open = true;
  d.appendChild(el('summary', { text: 'How this verdict was reached' }));
  for (const sec of verdictReasoning(r)) {
    const s = el('div', { className: 'reason-section' });
    s.appendChild(el('div', { className: 'reason-title', text: sec.title }));
    for (const line of sec.lines) {
      s.appendChild(el('p', { text: line }));
    }
    if (sec.title === 'Column tests') {
      s.appendChild(testTable(r));
    }
    d.appendChild(s);
  }
  return d;
}

function testTable(r: DriftReport): HTMLElement {
  const t = el('table', { className: 'tests' });
  t.id = 'verdict-tests';
  const head = el('tr');
  for (const h of ['column', 'test', 'p-value', 'corrected', 'Evidently', 'alarm']) {
    head.appendChild(el('th', { text: h }));
  }
  t.appendChild(el('thead', {}, head));
  const body = el('tbody');
  const rows = [...r.verdict.calibration.columns.rows].sort(
    (a, b) => a.adjusted - b.adjusted || a.name.localeCompare(b.name),
  );
  for (const x of rows) {
    const tr = el('tr');
    tr.append(
      el('td', { text: x.name }),
      el('td', { text: x.test === 'ks' ? 'K-S' : 'chi-square homogeneity' }),
      el('td', { className: 'num', text: fmt(x.pValue) }),
      el('td', { className: 'num', text: fmt(x.adjusted) }),
      el('td', { text: x.evidentlyDrifted ? 'drifted' : '—' }),
      el(
        'td',
        {},
        x.alarm
          ? el('span', { className: 'badge bad', text: 'alarm' })
          : el('span', { className: 'muted', text: 'no' }),
      ),
    );
    body.appendChild(tr);
  }
  t.appendChild(body);
  return t;
}

function summary(app: HTMLElement, r: DriftReport): void {
  const wrap = el('div', { className: 'cards' });
  const card = (title: string, value: string, detail: string, bad: boolean | null, id: string) => {
    const c = el('section', { className: `card${bad ? ' drifted' : ''}` });
    c.id = id;
    c.append(
      el('div', { className: 'muted', text: title }),
      el('div', { className: 'value', text: value }),
      el('div', { className: 'muted small', text: detail }),
    );
    wrap.appendChild(c);
  };
  const d = r.dataset;
  card(
    'Dataset drift',
    `${d.nDrifted} of ${d.nColumns} columns`,
    `${pct(d.share)} drifted; dataset drift at ${pct(d.driftShare)}: ${d.drifted ? 'yes' : 'no'}`,
    d.drifted,
    'card-dataset',
  );
  const t = r.columns.find(c => c.role === 'target');
  if (t) {
    card(
      `Label drift (${t.name})`,
      t.drifted ? 'drifted' : 'no drift',
      `${METHOD_LABELS[t.method]} ${fmt(t.score)}, threshold ${fmt(t.threshold)}`,
      t.drifted,
      'card-label',
    );
  }
  const p = r.columns.find(c => c.role === 'prediction');
  if (p) {
    card(
      `Prediction drift (${p.name})`,
      p.drifted ? 'drifted' : 'no drift',
      `${METHOD_LABELS[p.method]} ${fmt(p.score)}, threshold ${fmt(p.threshold)}`,
      p.drifted,
      'card-prediction',
    );
  }
  const perf = r.overTime?.performance;
  if (perf) {
    const s = perf.series.find(x => x.metric === perf.primary)!;
    const below = s.band
      ? s.band.z.filter(z => z !== null && z < -s.band!.multiplier).length
      : s.degraded.filter(Boolean).length;
    const persistent = !!r.verdict.calibration.performance?.degradedRun;
    card(
      `Performance (${METRIC_LABELS[s.metric]})`,
      `${fmt(s.reference)} → ${fmt(s.current)}`,
      `reference → current; ${below} of ${s.values.length} chunks below the band${persistent ? ' (persistent)' : ''}`,
      persistent,
      'card-performance',
    );
  }
  app.appendChild(wrap);
}

// ---------------------------------------------------------------------------------------------------------
// The column table

const COLUMNS: { key: SortKey; label: string; numeric?: boolean; title?: string }[] = [
  { key: 'name', label: 'column' },
  { key: 'type', label: 'type' },
  { key: 'method', label: 'test' },
  { key: 'statistic', label: 'statistic', numeric: true, title: 'The test statistic (D, χ², z) or the distance' },
  { key: 'pValue', label: 'p-value', numeric: true },
  {
    key: 'score',
    label: 'drift score',
    numeric: true,
    title: "Evidently's drift score: the p-value for tests, the distance otherwise",
  },
  { key: 'threshold', label: 'threshold', numeric: true },
  { key: 'drifted', label: 'drift' },
  {
    key: 'missing',
    label: 'missing ref / cur',
    numeric: true,
    title: 'missing, infinite and invalid values, left out of the statistics',
  },
];

function sortValue(c: ColumnReport, k: SortKey): number | string {
  switch (k) {
    case 'name':
      return c.name;
    case 'role':
      return c.role;
    case 'type':
      return c.type;
    case 'method':
      return c.method;
    case 'statistic':
      return c.statistic;
    case 'pValue':
      return c.pValue ?? Infinity;
    case 'score':
      return c.score;
    case 'threshold':
      return c.threshold;
    case 'drifted':
      return c.drifted ? 1 : 0;
    case 'missing':
      return missingOf(c.missingRef) + missingOf(c.missingCur);
  }
}

function sortedColumns(r: DriftReport, s: DriftViewState): ColumnReport[] {
  const { key, descending } = s.sort;
  return [...r.columns].sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    let c =
      typeof va === 'number' && typeof vb === 'number'
        ? Number.isNaN(va)
          ? 1
          : Number.isNaN(vb)
            ? -1
            : va - vb
        : String(va).localeCompare(String(vb));
    if (c === 0 && key === 'drifted') {
      c = a.score - b.score;
    } // then by score
    if (c === 0) {
      c = a.name.localeCompare(b.name);
    }
    return descending ? -c : c;
  });
}

function table(app: HTMLElement, r: DriftReport, s: DriftViewState): void {
  app.appendChild(el('h2', { text: `Columns (${r.columns.length})` }));
  const t = el('table');
  t.id = 'drift-table';
  t.appendChild(
    el('caption', {
      className: 'muted',
      text: "Drift per column, with Evidently's default test for each column's type and size. Click a header to sort, a row to see its distributions.",
    }),
  );
  const head = el('tr');
  for (const c of COLUMNS) {
    const th = el('th');
    th.setAttribute('scope', 'col');
    const sorted = s.sort.key === c.key;
    if (sorted) {
      th.setAttribute('aria-sort', s.sort.descending ? 'descending' : 'ascending');
    }
    const b = el('button', {
      className: 'sort',
      text: `${c.label}${sorted ? (s.sort.descending ? ' ▼' : ' ▲') : ''}`,
      title: c.title ?? `Sort by ${c.label}`,
    });
    b.dataset.sort = c.key;
    b.addEventListener('click', () => {
      setState({ sort: { key: c.key, descending: sorted ? !s.sort.descending : c.key === 'drifted' } });
      render();
    });
    th.appendChild(b);
    if (c.numeric) {
      th.className = 'num';
    }
    head.appendChild(th);
  }
  t.appendChild(el('thead', {}, head));
  const body = el('tbody');
  for (const c of sortedColumns(r, s)) {
    const tr = el('tr', { className: c.drifted ? 'drifted' : '' });
    tr.dataset.column = c.name;
    tr.tabIndex = 0;
    if (s.selected === c.name) {
      tr.classList.add('selected');
    }
    const name = el('td', { className: 'name' }, el('span', { text: c.name }));
    if (c.role !== 'feature') {
      name.appendChild(el('span', { className: 'badge role', text: c.role === 'target' ? 'target' : 'prediction' }));
    }
    const drift = el('td');
    drift.appendChild(
      el('span', { className: `badge ${c.drifted ? 'bad' : 'good'}`, text: c.drifted ? 'drifted' : 'no drift' }),
    );
    tr.append(
      name,
      el('td', { text: c.type }),
      el('td', {
        text: METHOD_SHORT[c.method] ?? c.method,
        title: `${METHOD_LABELS[c.method]}: ${c.methodSource === 'evidently-default' ? "Evidently's default for this column" : c.methodSource === 'column' ? 'set for this column (mlsight.drift.columnMethods)' : 'set for every column of this type'}`,
      }),
      el('td', { className: 'num', text: fmt(c.statistic) }),
      el('td', { className: 'num', text: fmt(c.pValue) }),
      el('td', { className: 'num', text: fmt(c.score) }),
      el('td', { className: 'num', text: fmt(c.threshold) }),
      drift,
      el('td', {
        className: 'num',
        text: `${fmt(missingOf(c.missingRef))} / ${fmt(missingOf(c.missingCur))}`,
        title: `reference: ${c.missingRef.missing} missing, ${c.missingRef.posInf + c.missingRef.negInf} infinite, ${c.missingRef.invalid} invalid; current: ${c.missingCur.missing} missing, ${c.missingCur.posInf + c.missingCur.negInf} infinite, ${c.missingCur.invalid} invalid`,
      }),
    );
    const select = () => {
      setState({ selected: c.name });
      for (const x of Array.from(body.querySelectorAll('tr.selected'))) {
        x.classList.remove('selected');
      }
      tr.classList.add('selected');
      const card = Array.from(document.querySelectorAll<HTMLElement>('.dist-card')).find(
        x => x.dataset.column === c.name,
      );
      card?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      card?.classList.add('flash');
      setTimeout(() => card?.classList.remove('flash'), 900);
    };
    tr.addEventListener('click', select);
    tr.addEventListener('keydown', e => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select();
      }
    });
    body.appendChild(tr);
  }
  t.appendChild(body);
  app.appendChild(el('div', { className: 'table-wrap' }, t));
}

// ---------------------------------------------------------------------------------------------------------
// Distributions

function histogramChart(canvas: HTMLCanvasElement, c: ColumnReport): Chart {
  const k = colors();
  const h = c.histogram;
  const labels =
    h.kind === 'bins' ? h.reference.map((_, i) => `${fmt(h.edges[i])} – ${fmt(h.edges[i + 1])}`) : h.categories;
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'reference',
          data: h.reference,
          backgroundColor: alpha(k.ref, 0.65),
          borderColor: k.ref,
          borderWidth: 1,
        },
        { label: 'current', data: h.current, backgroundColor: alpha(k.cur, 0.65), borderColor: k.cur, borderWidth: 1 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: true, labels: { color: k.text, boxWidth: 12 } },
        tooltip: { callbacks: { label: x => `${x.dataset.label}: ${pct(Number(x.parsed.y))}` } },
      },
      scales: {
        x: { ticks: { color: k.text, maxRotation: 45, autoSkip: true, maxTicksLimit: 12 }, grid: { display: false } },
        y: {
          ticks: { color: k.text, callback: v => pct(Number(v)) },
          grid: { color: k.grid },
          title: { display: true, text: 'share of rows', color: k.text },
        },
      },
    },
  });
}

function ecdfChart(canvas: HTMLCanvasElement, c: ColumnReport): Chart {
  const k = colors();
  const e = c.ecdf!;
  const pts = (q: number[]) => q.map((x, i) => ({ x, y: ECDF_PROBABILITIES[i] }));
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'reference',
          data: pts(e.reference),
          borderColor: k.ref,
          backgroundColor: k.ref,
          stepped: 'after',
          pointRadius: 0,
          borderWidth: 1.5,
        },
        {
          label: 'current',
          data: pts(e.current),
          borderColor: k.cur,
          backgroundColor: k.cur,
          stepped: 'after',
          pointRadius: 0,
          borderWidth: 1.5,
        },
      ] as ChartDataset<'line', { x: number; y: number }[]>[],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      plugins: {
        legend: { display: true, labels: { color: k.text, boxWidth: 12 } },
        tooltip: {
          callbacks: { label: x => `${x.dataset.label}: ${pct(Number(x.parsed.y))} ≤ ${fmt(Number(x.parsed.x))}` },
        },
      },
      scales: {
        x: {
          type: 'linear',
          ticks: { color: k.text, maxTicksLimit: 8, callback: v => fmt(Number(v)) },
          grid: { color: k.grid },
        },
        y: {
          min: 0,
          max: 1,
          ticks: { color: k.text, callback: v => pct(Number(v)) },
          grid: { color: k.grid },
          title: { display: true, text: 'ECDF', color: k.text },
        },
      },
    },
  });
}

function distributions(app: HTMLElement, r: DriftReport, s: DriftViewState): void {
  app.appendChild(el('h2', { text: 'Distributions: reference against current' }));
  const bar = el('div', { className: 'toolbar' });
  const label = el('label', { text: 'Chart' });
  const sel = el('select');
  sel.id = 'chart-kind';
  for (const [v, t] of [
    ['histogram', "Histogram (Evidently's bins)"],
    ['ecdf', 'ECDF (what K-S compares)'],
  ] as const) {
    const o = el('option', { text: t });
    o.value = v;
    o.selected = s.chart === v;
    sel.appendChild(o);
  }
  sel.addEventListener('change', () => {
    setState({ chart: sel.value as DriftViewState['chart'] });
    render();
  });
  label.appendChild(sel);
  bar.appendChild(label);
  app.appendChild(bar);
  const grid = el('div', { className: 'dist-grid' });
  const cols = sortedColumns(r, s);
  const shown = cols.slice(0, MAX_CARDS);
  if (s.selected && !shown.some(c => c.name === s.selected)) {
    const sc = cols.find(c => c.name === s.selected);
    if (sc) {
      shown.unshift(sc);
    }
  }
  for (const c of shown) {
    const card = el('section', { className: `dist-card${c.drifted ? ' drifted' : ''}` });
    card.dataset.column = c.name;
    const head = el('header');
    head.append(
      el('span', { className: 'title', text: c.name }),
      el('span', { className: `badge ${c.drifted ? 'bad' : 'good'}`, text: c.drifted ? 'drifted' : 'no drift' }),
    );
    card.appendChild(head);
    card.appendChild(
      el('div', {
        className: 'muted small',
        text: `${c.type} · ${METHOD_LABELS[c.method]} ${fmt(c.score)} (threshold ${fmt(c.threshold)})${c.summary ? ` · mean ${fmt(c.summary.reference.mean)} → ${fmt(c.summary.current.mean)}` : ''}`,
      }),
    );
    const box = el('div', { className: 'chart-box' });
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    const useEcdf = s.chart === 'ecdf' && c.ecdf;
    canvas.setAttribute('aria-label', `${useEcdf ? 'ECDF' : 'Histogram'} of ${c.name}, reference against current`);
    box.appendChild(canvas);
    card.appendChild(box);
    if (c.histogram.kind === 'categories' && c.histogram.otherCount) {
      card.appendChild(
        el('div', {
          className: 'muted small',
          text: `${c.histogram.otherCount} smaller categories are summed in the last bar.`,
        }),
      );
    }
    grid.appendChild(card);
    charts.push(useEcdf ? ecdfChart(canvas, c) : histogramChart(canvas, c));
  }
  app.appendChild(grid);
  if (cols.length > shown.length) {
    app.appendChild(
      el('p', {
        className: 'muted',
        text: `${cols.length - shown.length} more columns are in the table; sort it to bring them here.`,
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Over time

function overTime(app: HTMLElement, r: DriftReport, s: DriftViewState): void {
  const ot = r.overTime;
  app.appendChild(el('h2', { text: 'Over time' }));
  if (!ot) {
    app.appendChild(el('p', { className: 'empty', text: 'Too few current rows to cut into chunks.' }));
    return;
  }
  const k = colors();
  app.appendChild(
    el('p', {
      className: 'muted',
      text: `${ot.chunks.length} chunks ${ot.period === 'count' ? `of equal size${ot.timeColumn ? `, in the order of "${ot.timeColumn}"` : ', in file order'}` : `by ${ot.period} of "${ot.timeColumn}"`}; the reference is cut into ${ot.referenceChunks} chunks the same way for the alert bands (NannyML: mean ± 3 standard deviations).`,
    }),
  );
  const labels = ot.chunks.map(c => c.label);
  const perf = ot.performance;
  if (perf) {
    const metric = perf.series.find(x => x.metric === s.metric) ?? perf.series.find(x => x.metric === perf.primary)!;
    const bar = el('div', { className: 'toolbar' });
    const lab = el('label', { text: 'Performance metric' });
    const sel = el('select');
    sel.id = 'metric';
    for (const x of perf.series) {
      const o = el('option', { text: METRIC_LABELS[x.metric] });
      o.value = x.metric;
      o.selected = x.metric === metric.metric;
      sel.appendChild(o);
    }
    sel.addEventListener('change', () => {
      setState({ metric: sel.value });
      render();
    });
    lab.appendChild(sel);
    bar.appendChild(lab);
    if (perf.unlabelledRows) {
      bar.appendChild(
        el('span', {
          className: 'muted',
          text: `${perf.unlabelledRows.toLocaleString('en-US')} current rows have no label or prediction.`,
        }),
      );
    }
    app.appendChild(bar);
    const card = el('section', { className: 'chart-card wide' });
    card.id = 'performance-chart';
    const box = el('div', { className: 'chart-box tall' });
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${METRIC_LABELS[metric.metric]} per chunk with the reference band`);
    box.appendChild(canvas);
    card.appendChild(box);
    app.appendChild(card);
    const flat = (v: number | null) => labels.map(() => v);
    // red points: outside the verdict's band when there is one, else outside NannyML's
    const outside = (i: number) =>
      metric.band ? metric.band.z[i] !== null && Math.abs(metric.band.z[i]) > metric.band.multiplier : metric.alerts[i];
    const datasets: ChartDataset<'line', (number | null)[]>[] = [
      {
        label: METRIC_LABELS[metric.metric],
        data: metric.values,
        borderColor: k.cur,
        backgroundColor: k.cur,
        borderWidth: 2,
        pointRadius: 4,
        spanGaps: true,
        pointBackgroundColor: metric.values.map((_, i) => (outside(i) ? k.bad : k.cur)),
        pointBorderColor: metric.values.map((_, i) => (outside(i) ? k.bad : k.cur)),
      },
    ];
    if (metric.band) {
      const b = metric.band;
      datasets.push({
        label: 'verdict band (lower)',
        data: b.lower,
        borderColor: k.bad,
        borderDash: [4, 3],
        pointRadius: 0,
        borderWidth: 1.5,
      });
      datasets.push({
        label: 'verdict band (upper)',
        data: b.upper,
        borderColor: alpha(k.bad, 0.5),
        borderDash: [4, 3],
        pointRadius: 0,
        borderWidth: 1,
      });
    }
    if (metric.lower !== null) {
      datasets.push({
        label: 'NannyML band (lower)',
        data: flat(metric.lower),
        borderColor: k.ref,
        borderDash: [6, 4],
        pointRadius: 0,
        borderWidth: 1,
      });
    }
    if (metric.upper !== null) {
      datasets.push({
        label: 'NannyML band (upper)',
        data: flat(metric.upper),
        borderColor: k.ref,
        borderDash: [6, 4],
        pointRadius: 0,
        borderWidth: 1,
      });
    }
    if (metric.reference !== null) {
      datasets.push({
        label: 'reference',
        data: flat(metric.reference),
        borderColor: alpha(k.ref, 0.5),
        pointRadius: 0,
        borderWidth: 1,
      });
    }
    if (perf.threshold !== null && metric.metric === perf.primary) {
      datasets.push({
        label: 'your threshold',
        data: flat(perf.threshold),
        borderColor: k.bad,
        borderDash: [2, 3],
        pointRadius: 0,
        borderWidth: 1.5,
      });
    }
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: { labels, datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: true, labels: { color: k.text, boxWidth: 12 } },
            tooltip: { callbacks: { label: x => `${x.dataset.label}: ${fmt(x.parsed.y)}` } },
          },
          scales: {
            x: { ticks: { color: k.text, maxRotation: 30 }, grid: { display: false } },
            y: { ticks: { color: k.text }, grid: { color: k.grid } },
          },
        },
      }),
    );
  }
  const special = ot.drift.filter(d => d.role !== 'feature');
  if (special.length) {
    const card = el('section', { className: 'chart-card wide' });
    card.id = 'label-drift-chart';
    card.appendChild(
      el('div', {
        className: 'muted small',
        text: 'Label and prediction drift per chunk: Jensen–Shannon distance (base 2) against the whole reference, with each alert threshold dashed.',
      }),
    );
    const box = el('div', { className: 'chart-box' });
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', 'Label and prediction drift per chunk');
    box.appendChild(canvas);
    card.appendChild(box);
    app.appendChild(card);
    const palette = [k.purple, k.cur];
    const datasets: ChartDataset<'line', (number | null)[]>[] = [];
    special.forEach((d, i) => {
      datasets.push({
        label: `${d.role}: ${d.name}`,
        data: d.values,
        borderColor: palette[i % 2],
        backgroundColor: palette[i % 2],
        pointRadius: 3,
        borderWidth: 2,
      });
      if (d.upper !== null) {
        datasets.push({
          label: `${d.name} alert threshold`,
          data: labels.map(() => d.upper),
          borderColor: palette[i % 2],
          borderDash: [6, 4],
          pointRadius: 0,
          borderWidth: 1,
        });
      }
    });
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: { labels, datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: true, labels: { color: k.text, boxWidth: 12 } } },
          scales: {
            x: { ticks: { color: k.text, maxRotation: 30 }, grid: { display: false } },
            y: { min: 0, ticks: { color: k.text }, grid: { color: k.grid } },
          },
        },
      }),
    );
  }
  const features = ot.drift.filter(d => d.role === 'feature');
  if (features.length) {
    app.appendChild(el('h3', { text: 'Feature drift per chunk' }));
    app.appendChild(
      el('p', {
        className: 'muted',
        text: "Jensen–Shannon distance (base 2) of each chunk against the whole reference; highlighted cells are above the column's alert threshold (NannyML). The verdict counts a feature only when it stays above in consecutive chunks with a significant test (hover a cell for the test's p-value and the PSI on fixed reference deciles).",
      }),
    );
    const t = el('table', { className: 'heat' });
    t.id = 'chunk-table';
    const head = el('tr', {}, el('th', { text: 'column' }), el('th', { className: 'num', text: 'threshold' }));
    ot.chunks.forEach(c => {
      const th = el('th', { className: 'num', text: `#${c.index + 1}`, title: `${c.label} (${c.rows} rows)` });
      head.appendChild(th);
    });
    t.appendChild(el('thead', {}, head));
    const body = el('tbody');
    for (const d of features) {
      const tr = el('tr');
      tr.dataset.column = d.name;
      tr.append(el('td', { className: 'name', text: d.name }), el('td', { className: 'num', text: fmt(d.upper) }));
      d.values.forEach((v, i) => {
        const extra = `test p ${fmt(d.pValues[i])}; PSI on reference deciles ${fmt(d.psi[i])}`;
        const td = el('td', {
          className: `num${d.alerts[i] ? ' alert' : ''}`,
          text: fmt(v),
          title: `${ot.chunks[i].label}${d.alerts[i] ? ': above the alert threshold' : ''} — ${extra}`,
        });
        if (v !== null && d.upper) {
          td.style.setProperty('--heat', String(Math.min(1, v / (2 * d.upper))));
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    t.appendChild(body);
    app.appendChild(el('div', { className: 'table-wrap' }, t));
  }
}

function notes(app: HTMLElement, r: DriftReport): void {
  if (r.skipped.length) {
    app.appendChild(el('h2', { text: 'Not analysed' }));
    const ul = el('ul');
    ul.id = 'skipped';
    for (const s of r.skipped) {
      ul.appendChild(el('li', {}, el('code', { text: s.name }), el('span', { text: `: ${s.reason}` })));
    }
    app.appendChild(ul);
  }
  if (r.warnings.length) {
    app.appendChild(el('h2', { text: 'Warnings' }));
    const ul = el('ul');
    ul.id = 'warnings';
    for (const w of r.warnings) {
      ul.appendChild(el('li', { text: w }));
    }
    app.appendChild(ul);
  }
  app.appendChild(
    el('p', {
      className: 'muted small',
      text: `Computed ${new Date(r.createdAt).toLocaleString()} in ${fmt(Math.round(r.timings.loadMs + r.timings.analyseMs))} ms. Tests and thresholds: Evidently's defaults unless set (Settings).`,
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------

function clear(): HTMLElement {
  const app = document.getElementById('app')!;
  for (const c of charts) {
    c.destroy();
  }
  charts = [];
  app.replaceChildren();
  return app;
}

function render(): void {
  if (!report || !state) {
    return;
  }
  const app = clear();
  app.setAttribute('aria-busy', 'false');
  header(app, state.config, report);
  verdict(app, report);
  summary(app, report);
  table(app, report, state);
  distributions(app, report, state);
  overTime(app, report, state);
  notes(app, report);
  document.body.dataset.columns = String(report.columns.length);
  post({ type: 'rendered', rows: report.columns.length, charts: charts.length });
}

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const m = event.data;
  if (!m || typeof m !== 'object') {
    return;
  }
  if (m.type === 'loading') {
    // a re-run of the report on screen (a file or a setting changed): keep it, say it is being updated
    if (
      report &&
      state &&
      state.config.reference === m.config.reference &&
      state.config.current === m.config.current &&
      document.getElementById('drift-table')
    ) {
      let note = document.getElementById('updating');
      if (!note) {
        note = el('div', { className: 'banner' });
        note.id = 'updating';
        note.setAttribute('role', 'status');
        document.getElementById('app')!.prepend(note);
      }
      note.textContent = `Updating the report: ${m.message}`;
      return;
    }
    const app = clear();
    app.setAttribute('aria-busy', 'true');
    header(app, m.config);
    const box = el('div', { className: 'loading' });
    box.id = 'loading';
    box.appendChild(el('p', { text: m.message }));
    const bar = el('progress');
    if (m.fraction !== undefined) {
      bar.max = 1;
      bar.value = m.fraction;
    }
    box.appendChild(bar);
    app.appendChild(box);
    return;
  }
  if (m.type === 'error') {
    const app = clear();
    app.setAttribute('aria-busy', 'false');
    header(app, m.config);
    const banner = el('div', { className: 'banner error' });
    banner.id = 'error';
    banner.setAttribute('role', 'alert');
    banner.appendChild(el('span', { text: m.message }));
    app.appendChild(banner);
    return;
  }
  if (m.type === 'report') {
    report = decode<DriftReport>(m.report);
    const same = state && state.config.reference === m.config.reference && state.config.current === m.config.current;
    state = same && state ? { ...state, config: m.config } : m.state;
    vscode.setState(state);
    render();
  }
});

post({ type: 'ready' });
