// The model page: version timeline, lineage links, metrics across versions (chart.js), the audit log and the A/B
// tab. Receives ModelPageData from the host (src/models/modelPage.ts) over src/models/contract.ts after
// announcing `ready`. Everything is inserted as text (el()/textContent), never as HTML: names and reasons are user data.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type {
  AbView,
  HistoryView,
  HostToModelPage,
  ModelPageData,
  ModelPageState,
  ModelPageTab,
  ModelPageToHost,
  ModelPageVersion,
} from '../../src/models/contract';
import { css } from '../shared/theme';
import { el, vscodeApi } from '../shared/vscodeApi';
import './style.css';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

const vscode = vscodeApi<ModelPageToHost, ModelPageState>();
const post = (m: ModelPageToHost) => vscode.postMessage(m);

let data: ModelPageData | undefined;
let state: ModelPageState | undefined = vscode.getState();
let charts: Chart[] = [];
const TABS: { id: ModelPageTab; label: string }[] = [
  { id: 'overview', label: 'Versions' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'audit', label: 'Audit log' },
  { id: 'ab', label: 'A/B test' },
];

function num(x: number | null | undefined): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (!Number.isFinite(x)) {
    return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  }
  if (Number.isInteger(x)) {
    return x.toLocaleString('en-US');
  }
  return Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(4).replace(/\.?0+$/, '');
}
function pct(x: number): string {
  return `${(x * 100).toFixed(Math.abs(x) < 0.1 ? 2 : 1)} %`;
}
function pval(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
function date(t: number | null): string {
  return t ? new Date(t).toLocaleString() : '—';
}

function table(id: string, headers: string[], rows: (string | Node)[][]): HTMLElement {
  const t = el('table');
  t.id = id;
  t.appendChild(el('thead', {}, el('tr', {}, ...headers.map(h => el('th', { text: h })))));
  const body = el('tbody');
  for (const r of rows) {
    body.appendChild(el('tr', {}, ...r.map(c => (typeof c === 'string' ? el('td', { text: c }) : el('td', {}, c)))));
  }
  t.appendChild(body);
  return el('div', { className: 'table-wrap' }, t);
}

function link(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { className: 'link', text, title });
  b.addEventListener('click', onClick);
  return b;
}

function runLink(v: ModelPageVersion): Node {
  if (!v.runId) {
    return document.createTextNode('—');
  }
  if (!v.runExists) {
    return document.createTextNode(`${v.runName ?? v.runId} (not in this workspace)`);
  }
  return link(v.runName ?? v.runId, `Open run ${v.runId}`, () => post({ type: 'openRun', runId: v.runId! }));
}

function commitLink(d: ModelPageData, v: ModelPageVersion): Node {
  if (!v.gitCommit) {
    return document.createTextNode('—');
  }
  const label = `${v.gitCommit.slice(0, 10)}${v.gitBranch ? ` (${v.gitBranch})` : ''}${v.gitDirty ? ' + changes' : ''}`;
  return link(label, d.gitActions ? `Show commit ${v.gitCommit}` : `Copy commit ${v.gitCommit}`, () =>
    post({ type: 'showCommit', commit: v.gitCommit! }),
  );
}

function renderHeader(app: HTMLElement, d: ModelPageData): void {
  app.appendChild(el('h1', { text: d.model }));
  const facts: string[] = [
    `${d.versions.length} version${d.versions.length === 1 ? '' : 's'}`,
    Object.entries(d.aliases)
      .map(([a, v]) => `@${a} → v${v}`)
      .join('  ') || 'no aliases',
    d.team
      ? `team · ${d.team.uri}`
      : d.backend === 'mlsight'
        ? 'ML Sight registry'
        : d.backend === 'mlflow-filestore'
          ? 'MLflow FileStore (aliases and stages written back)'
          : 'MLflow database (read-only)',
  ];
  if (d.primaryMetric) {
    facts.push(`gate: ${d.primaryMetric} (${d.direction === 'minimize' ? 'lower' : 'higher'} is better)`);
  }
  app.appendChild(el('p', { className: 'muted', text: facts.join(' · ') }));
  if (d.description) {
    app.appendChild(el('p', { text: d.description }));
  }
  const canary = el('div', { className: 'canary' });
  canary.id = 'canary';
  if (d.team) {
    // a team model: no canary (it needs the workspace's outcome logs), say why instead of offering it
    canary.appendChild(el('span', { className: 'muted', text: d.team.unsupported }));
  } else {
    canary.appendChild(
      el('span', {
        text: d.canary
          ? `Canary: v${d.canary.challenger} gets ${pct(d.canary.share)} of the traffic (mlsight.route), the champion the rest.`
          : 'No canary: all traffic goes to the champion.',
      }),
    );
    canary.appendChild(
      link('Configure Canary…', 'Choose the challenger version and its traffic share', () =>
        post({ type: 'configureCanary' }),
      ),
    );
  }
  const actions = el('div', { className: 'actions' });
  actions.id = 'model-actions';
  actions.appendChild(link('Promote…', 'Promote a version through the gate', () => post({ type: 'promote' })));
  // an MLflow database read from the workspace is never written: only its own MLflow can move its aliases
  if (d.team || d.backend !== 'mlflow-sqlite') {
    actions.appendChild(
      link('Set Alias…', 'Point an alias at a version, or remove one (outside the gate)', () =>
        post({ type: 'setAlias' }),
      ),
    );
    actions.appendChild(
      link('Undo Last Promotion', 'Move the alias back where the last promotion found it', () =>
        post({ type: 'undoPromotion' }),
      ),
    );
  }
  if (d.team && !d.team.raceFree) {
    actions.appendChild(
      el('span', {
        className: 'muted',
        text: 'A tracking server has no lock: two alias moves at the same moment can both pass the check.',
      }),
    );
  }
  canary.appendChild(actions);
  app.appendChild(canary);
}

function renderTabs(app: HTMLElement, current: ModelPageTab): void {
  const bar = el('div', { className: 'tabs' });
  bar.setAttribute('role', 'tablist');
  for (const t of TABS) {
    const b = el('button', {
      className: t.id === current ? 'tab active' : 'tab',
      text: t.id === 'ab' && data?.ab.analysis ? `${t.label} · ${verdictWord(data.ab.analysis.verdict)}` : t.label,
    });
    b.setAttribute('role', 'tab');
    b.dataset.tab = t.id;
    b.setAttribute('aria-selected', String(t.id === current));
    b.addEventListener('click', () => {
      if (state) {
        state = { ...state, tab: t.id };
        vscode.setState(state);
      }
      render();
    });
    bar.appendChild(b);
  }
  app.appendChild(bar);
}

function verdictWord(v: AbView['verdict']): string {
  return v === 'promote'
    ? 'challenger wins'
    : v === 'keep-champion'
      ? 'keep champion'
      : v === 'invalid'
        ? 'invalid'
        : 'keep collecting';
}

function renderOverview(app: HTMLElement, d: ModelPageData): void {
  app.appendChild(el('h2', { text: 'Version timeline' }));
  const list = el('ol', { className: 'timeline' });
  list.id = 'timeline';
  for (const v of d.versions) {
    const item = el('li');
    const head = el('div', { className: 'tl-head' });
    head.appendChild(el('span', { className: 'version', text: `v${v.version}` }));
    for (const a of v.aliases) {
      head.appendChild(el('span', { className: `badge alias${a === 'champion' ? ' champion' : ''}`, text: `@${a}` }));
    }
    if (v.stage !== 'None') {
      head.appendChild(el('span', { className: 'badge stage', text: v.stage }));
    }
    if (d.canary?.challenger === v.version) {
      head.appendChild(el('span', { className: 'badge canary-badge', text: `canary ${pct(d.canary.share)}` }));
    }
    head.appendChild(
      el('span', {
        className: 'muted',
        text: `registered ${date(v.createdAt)}${v.createdBy ? ` by ${v.createdBy}` : ''}`,
      }),
    );
    item.appendChild(head);
    if (v.description) {
      item.appendChild(el('div', { text: v.description }));
    }
    const lineage = el('div', { className: 'lineage' });
    lineage.appendChild(el('span', { className: 'muted', text: 'run ' }));
    lineage.appendChild(runLink(v));
    if (v.experiment) {
      lineage.appendChild(el('span', { className: 'muted', text: ` in ${v.experiment}` }));
    }
    lineage.appendChild(el('span', { className: 'muted', text: ' · commit ' }));
    lineage.appendChild(commitLink(d, v));
    if (v.datasets.length) {
      lineage.appendChild(
        el('span', {
          className: 'muted',
          text: ` · data ${v.datasets.map(x => `${x.name} ${x.digest ? x.digest.slice(0, 15) : '(no hash)'}`).join(', ')}`,
        }),
      );
    }
    item.appendChild(lineage);
    if (d.primaryMetric && v.metrics[d.primaryMetric] !== undefined) {
      item.appendChild(
        el('div', { className: 'muted', text: `${d.primaryMetric} ${num(v.metrics[d.primaryMetric])}` }),
      );
    }
    list.appendChild(item);
  }
  app.appendChild(list);
  const events = d.history
    .filter(h =>
      ['alias.set', 'alias.delete', 'stage.set', 'promote', 'promotion.undo', 'canary.set'].includes(h.action),
    )
    .slice(-8)
    .reverse();
  if (events.length) {
    app.appendChild(el('h2', { text: 'Recent changes' }));
    app.appendChild(auditTable('recent', events));
  }
}

function renderMetrics(app: HTMLElement, d: ModelPageData): void {
  app.appendChild(el('h2', { text: 'Metrics across versions' }));
  if (!d.metricKeys.length) {
    app.appendChild(el('p', { className: 'muted', text: 'The versions have no metrics (their runs logged none).' }));
    return;
  }
  const versions = [...d.versions].sort((a, b) => a.version - b.version);
  const keys = d.metricKeys.slice(0, 12);
  const grid = el('div', { className: 'charts' });
  grid.id = 'metric-charts';
  const fg = css('--vscode-foreground', '#ccc');
  const grid_ = css('--vscode-panel-border', 'rgba(128,128,128,0.3)');
  const colour = css('--vscode-charts-blue', '#3794ff');
  const champ = css('--vscode-charts-green', '#89d185');
  for (const key of keys) {
    const box = el('div', { className: 'chart-box' });
    box.appendChild(el('h3', { text: `${key}${key === d.primaryMetric ? ' (primary)' : ''}` }));
    const canvas = el('canvas');
    canvas.setAttribute('aria-label', `${key} by version`);
    box.appendChild(canvas);
    grid.appendChild(box);
    const values = versions.map(v => (v.metrics[key] !== undefined ? v.metrics[key] : null));
    const isChampion = versions.map(v => v.aliases.includes('champion'));
    charts.push(
      new Chart(canvas, {
        type: versions.length > 1 ? 'line' : 'bar',
        data: {
          labels: versions.map(v => `v${v.version}`),
          datasets: [
            {
              label: key,
              data: values,
              borderColor: colour,
              backgroundColor: colour,
              spanGaps: true,
              pointRadius: isChampion.map(c => (c ? 6 : 3)),
              pointBackgroundColor: isChampion.map(c => (c ? champ : colour)),
            },
          ],
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: c => `${key}: ${num(c.parsed.y)}` } } },
          scales: {
            x: { ticks: { color: fg }, grid: { color: grid_ } },
            y: { ticks: { color: fg }, grid: { color: grid_ } },
          },
        },
      }),
    );
  }
  app.appendChild(grid);
  app.appendChild(
    el('p', {
      className: 'muted',
      text: "Metrics as registered (the run's values when the version was registered). The champion's point is larger.",
    }),
  );
  app.appendChild(
    table(
      'metrics-table',
      [
        'metric',
        ...versions.map(v => `v${v.version}${v.aliases.length ? ` ${v.aliases.map(a => `@${a}`).join(' ')}` : ''}`),
      ],
      keys.map(k => [k, ...versions.map(v => num(v.metrics[k]))]),
    ),
  );
}

function auditTable(id: string, rows: HistoryView[]): HTMLElement {
  return table(
    id,
    ['when', 'who', 'action', 'subject', 'from → to', 'reason'],
    rows.map(h => [
      `${date(h.at)}${h.unverified ? ' ⚠ unverified' : ''}`,
      h.actor,
      `${h.action}${h.override ? ' (override)' : ''}`,
      `${h.version !== null ? `v${h.version}` : ''}${h.alias ? ` @${h.alias}` : ''}`.trim() || '—',
      h.from === null && h.to === null ? '—' : `${h.from ?? '∅'} → ${h.to ?? '∅'}`,
      h.reason ?? '',
    ]),
  );
}

function renderAudit(app: HTMLElement, d: ModelPageData): void {
  app.appendChild(el('h2', { text: 'Audit log' }));
  app.appendChild(
    el('p', {
      className: 'muted',
      text: d.team
        ? `Every promotion and alias move ML Sight made on this team model, oldest first, from the model-version tags mlsight.audit.* in ${d.team.uri} (changes made with MLflow itself are not listed).`
        : 'Every change to this model, oldest first, from .mlsight/audit.jsonl (append-only, hash-chained).',
    }),
  );
  if (d.auditChain.message) {
    const w = el('p', {
      className: d.auditChain.state === 'broken' ? 'chain-broken' : 'muted',
      text: d.auditChain.message,
    });
    w.id = 'audit-chain';
    app.appendChild(w);
  }
  app.appendChild(
    d.history.length ? auditTable('audit', d.history) : el('p', { className: 'muted', text: 'No recorded changes.' }),
  );
}

function renderAb(app: HTMLElement, d: ModelPageData): void {
  app.appendChild(el('h2', { text: 'A/B test: challenger against champion' }));
  const ab = d.ab;
  if (!ab.analysis) {
    app.appendChild(el('p', { className: 'muted', text: 'message' in ab ? ab.message : '' }));
    return;
  }
  const a = ab.analysis;
  const box = el('div', { className: `verdict ${a.verdict}` });
  box.id = 'ab-verdict';
  box.appendChild(el('strong', { text: a.headline }));
  for (const r of a.reasons) {
    box.appendChild(el('div', { text: r }));
  }
  app.appendChild(box);
  app.appendChild(
    el('p', {
      className: 'muted',
      text: `From ${a.source}. Sample ratio: the challenger got ${pct(a.srm.observedShare)} of ${num(a.srm.counts[0] + a.srm.counts[1])} where ${pct(a.srm.expectedShare)} was planned${d.canary ? ' (the canary share)' : ''}; χ² p = ${pval(a.srm.pValue)}${a.srm.mismatch ? ' — MISMATCH' : ''}.`,
    }),
  );
  app.appendChild(
    table(
      'ab-metrics',
      ['metric', 'role', 'champion', 'challenger', 'test', 'p', 'difference (CI)', 'lift (CI)', 'outcome', 'power'],
      a.metrics.map(m => {
        const arm = (name: string) => {
          const x = m.arms.find(y => y.name === name);
          return x ? `${num(x.mean)} (n=${num(x.n)})` : '—';
        };
        return [
          m.name,
          m.role,
          arm('champion'),
          arm('challenger'),
          m.test,
          pval(m.pValue),
          `${num(m.difference)} [${num(m.ci[0])}, ${num(m.ci[1])}]`,
          m.lift ? `${pct(m.lift.value)} [${pct(m.lift.ci[0])}, ${pct(m.lift.ci[1])}]` : '—',
          m.outcome,
          m.power !== null ? `${pct(m.power)}${m.moreNeeded ? `, ~${num(m.moreNeeded)} more needed` : ''}` : '—',
        ];
      }),
    ),
  );
}

function render(): void {
  for (const c of charts) {
    c.destroy();
  }
  charts = [];
  const app = document.getElementById('app')!;
  app.replaceChildren();
  if (!data) {
    app.appendChild(el('p', { className: 'muted', text: 'Loading…' }));
    return;
  }
  const tab = state?.tab ?? 'overview';
  renderHeader(app, data);
  if (data.auditChain.state === 'broken' && tab !== 'audit') {
    const w = el('p', {
      className: 'chain-broken',
      text: `⚠ ${data.auditChain.message ?? 'The audit log does not verify.'}`,
    });
    w.id = 'audit-chain-banner';
    app.appendChild(w);
  }
  renderTabs(app, tab);
  const panel = el('div', { className: 'tab-panel' });
  panel.dataset.tab = tab;
  app.appendChild(panel);
  if (tab === 'overview') {
    renderOverview(panel, data);
  } else if (tab === 'metrics') {
    renderMetrics(panel, data);
  } else if (tab === 'audit') {
    renderAudit(panel, data);
  } else {
    renderAb(panel, data);
  }
}

window.addEventListener('message', (e: MessageEvent<HostToModelPage>) => {
  const m = e.data;
  if (m.type === 'data') {
    data = m.data;
    state = {
      folder: m.state.folder,
      model: m.state.model,
      ...(m.state.team ? { team: true } : {}),
      tab: state?.model === m.state.model ? (state.tab ?? m.state.tab) : m.state.tab,
    };
    vscode.setState(state);
    render();
  } else if (m.type === 'error') {
    const app = document.getElementById('app')!;
    app.replaceChildren(el('p', { className: 'error', text: m.message }));
  }
});

render();
post({ type: 'ready' });
