// The Drift report webview. Receives the report from the host (src/drift/driftPanel.ts) over the typed contract in
// src/drift/contract.ts, after announcing `ready`. All data is inserted as text (textContent via el()), never as
// HTML; column names can be anything. Charts: chart.js (no eval; CSSOM styles only, which the CSP allows).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { DriftReport, DriftViewState, HostToWebview, WebviewToHost } from '../../src/drift/contract';
import { el, vscodeApi } from '../shared/vscodeApi';
import { header, notes, summary, verdict } from './overview';
import { table } from './columns';
import { distributions } from './distributions';
import { overTime } from './overTime';
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
export const post = (m: WebviewToHost) => vscode.postMessage(m);

let report: DriftReport | undefined;
let state: DriftViewState | undefined = vscode.getState();
export let charts: Chart[] = [];

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

export function setState(patch: Partial<DriftViewState>): void {
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

export function render(): void {
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
