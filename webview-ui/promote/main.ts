// The promotion review page. Receives a PromoteReview from the host (src/models/promotePanel.ts) over the typed
// contract in src/models/contract.ts, after announcing `ready`. Everything is inserted as text (textContent), never
// as HTML: model names, run names and reasons are user data.
import type {
  AbMetricView,
  AbView,
  HostToPromote,
  PromoteReview,
  PromoteToHost,
  VersionCard,
} from '../../src/models/contract';
import { el, vscodeApi } from '../shared/vscodeApi';
import './style.css';

const vscode = vscodeApi<PromoteToHost, { reason: string }>();
const post = (m: PromoteToHost) => vscode.postMessage(m);

let review: PromoteReview | undefined;
let status: { kind: 'busy' | 'done' | 'error'; message: string } | undefined;
let reasonDraft = vscode.getState()?.reason ?? '';

function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (Number.isNaN(x)) {
    return 'NaN';
  }
  if (!Number.isFinite(x)) {
    return x > 0 ? '∞' : '−∞';
  }
  if (Number.isInteger(x)) {
    return x.toLocaleString('en-US');
  }
  return Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(digits).replace(/\.?0+$/, '');
}
function signed(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : x === 0 ? '±0' : `${x > 0 ? '+' : '−'}${num(Math.abs(x))}`;
}
function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : `${(x * 100).toFixed(Math.abs(x) < 0.1 ? 2 : 1)} %`;
}
function pval(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
function date(t: number | null): string {
  return t ? new Date(t).toLocaleString() : '—';
}

function td(text: string, className?: string): HTMLTableCellElement {
  return el('td', { text, className });
}
function th(text: string, className?: string): HTMLTableCellElement {
  return el('th', { text, className });
}
function row(...cells: HTMLTableCellElement[]): HTMLTableRowElement {
  return el('tr', {}, ...cells);
}

function runCell(v: VersionCard | null): HTMLTableCellElement {
  const cell = el('td');
  if (!v?.runId) {
    cell.textContent = '—';
    return cell;
  }
  if (v.runExists) {
    const b = el('button', { className: 'link', text: v.runName ?? v.runId, title: `Open run ${v.runId}` });
    b.addEventListener('click', () => post({ type: 'openRun', runId: v.runId! }));
    cell.appendChild(b);
  } else {
    cell.textContent = `${v.runName ?? v.runId} (not in this workspace)`;
  }
  return cell;
}

function renderVersions(app: HTMLElement, r: PromoteReview): void {
  app.appendChild(el('h2', { text: 'Champion and challenger' }));
  const c = r.champion;
  const x = r.challenger;
  const table = el('table', { className: 'versions' });
  table.id = 'versions';
  table.appendChild(
    el(
      'thead',
      {},
      row(th(''), th(c ? `Champion v${c.version}` : 'Champion (none yet)'), th(`Challenger v${x.version}`)),
    ),
  );
  const body = el('tbody');
  const line = (label: string, f: (v: VersionCard) => string) =>
    body.appendChild(row(th(label), td(c ? f(c) : '—'), td(f(x))));
  line('Aliases', v => v.aliases.map(a => `@${a}`).join(' ') || '—');
  line('Stage', v => v.stage);
  body.appendChild(row(th('Run'), runCell(c), runCell(x)));
  const statusCell = (v: VersionCard | null) => {
    const cell = td(
      v ? `${v.runStatus ?? 'unknown'}${v.runStatusNote ? ` — ${v.runStatusNote}` : ''}` : '—',
      v && v.runStatus !== 'FINISHED' ? 'worse' : undefined,
    );
    if (v) {
      cell.dataset.status = v.runStatus ?? 'unknown';
    }
    return cell;
  };
  const statusRow = row(th('Run status'), statusCell(c), statusCell(x));
  statusRow.id = 'run-status';
  body.appendChild(statusRow);
  line('Commit', v =>
    v.gitCommit
      ? `${v.gitCommit.slice(0, 10)}${v.gitBranch ? ` (${v.gitBranch})` : ''}${v.gitDirty ? ' + uncommitted changes' : ''}`
      : '—',
  );
  line(
    'Data',
    v =>
      v.datasets.map(d => `${d.name} ${d.digest ? d.digest.slice(0, 19) : '(no hash)'} (${d.role})`).join(', ') || '—',
  );
  line('Registered', v => `${date(v.createdAt)}${v.createdBy ? ` by ${v.createdBy}` : ''}`);
  line('Description', v => v.description ?? '—');
  // metrics at registration, primary first
  const rows = [...r.comparison.rows].sort((a, b) =>
    a.key === r.comparison.metric ? -1 : b.key === r.comparison.metric ? 1 : a.key.localeCompare(b.key),
  );
  if (rows.length) {
    const sec = el(
      'tr',
      { className: 'section' },
      el('td', { text: `Metrics ${x.metricsFrom === 'registration' ? 'at registration' : 'of the runs'}` }),
    );
    (sec.firstChild as HTMLTableCellElement).colSpan = 3;
    body.appendChild(sec);
  }
  for (const m of rows) {
    const primary = m.key === r.comparison.metric;
    const name = th(`${m.key}${primary ? ' (primary)' : ''}`, primary ? 'primary' : undefined);
    name.title = m.direction === 'maximize' ? 'higher is better' : 'lower is better';
    const chall = td(
      `${num(m.challenger)}${m.delta !== null ? `  ${signed(m.delta)}` : ''}`,
      m.better === true ? 'better' : m.better === false ? 'worse' : undefined,
    );
    const tr = row(name, td(num(m.champion)), chall);
    tr.dataset.metric = m.key;
    body.appendChild(tr);
  }
  table.appendChild(body);
  app.appendChild(el('div', { className: 'table-wrap' }, table));
}

function renderGate(app: HTMLElement, r: PromoteReview): void {
  app.appendChild(el('h2', { text: 'Promotion gate' }));
  const list = el('ul', { className: 'checks' });
  list.id = 'gate-checks';
  for (const c of r.gate.checks) {
    const li = el(
      'li',
      { className: c.skipped ? 'skipped' : c.ok ? 'ok' : 'fail' },
      el('span', { className: 'mark', text: c.skipped ? '–' : c.ok ? '✓' : '✗' }),
      el('span', { className: 'label', text: c.label }),
      el('span', { className: 'detail', text: c.detail }),
      ...(c.ok ? [] : [el('code', { className: 'code', text: c.code })]),
    );
    li.dataset.check = c.id;
    li.dataset.code = c.code;
    list.appendChild(li);
  }
  app.appendChild(list);
  const rates = el('p', { className: 'muted', text: `How often this gate errs: ${r.errorRates}` });
  rates.id = 'gate-error-rates';
  app.appendChild(rates);
}

function renderAbMetric(m: AbMetricView, alpha: number, targetLift: number): HTMLElement {
  const card = el('div', { className: `ab-metric ${m.outcome}` });
  card.dataset.metric = m.name;
  card.appendChild(
    el('h3', {
      text: `${m.role === 'primary' ? 'Primary' : 'Guardrail'}: ${m.name} (${m.direction === 'maximize' ? 'higher' : 'lower'} is better)`,
    }),
  );
  const t = el('table');
  t.appendChild(
    el('thead', {}, row(th('Arm'), th('n'), th(m.arms[0].successes !== undefined ? 'successes' : 'sd'), th('mean'))),
  );
  const b = el('tbody');
  for (const a of m.arms) {
    b.appendChild(
      row(td(a.name), td(num(a.n)), td(a.successes !== undefined ? num(a.successes) : num(a.sd)), td(num(a.mean))),
    );
  }
  t.appendChild(b);
  card.appendChild(t);
  const facts = el('dl', { className: 'facts' });
  const fact = (k: string, v: string) => {
    facts.appendChild(el('dt', { text: k }));
    facts.appendChild(el('dd', { text: v }));
  };
  fact(
    'Test',
    `${m.test}: statistic ${num(m.statistic)}${m.df !== null ? `, df ${num(m.df)}` : ''}, p = ${pval(m.pValue)}`,
  );
  fact(
    'Difference',
    `${signed(m.difference)} (${Math.round((1 - alpha) * 100)} % CI ${num(m.ci[0])} … ${num(m.ci[1])})`,
  );
  if (m.lift) {
    fact('Relative lift', `${pct(m.lift.value)} (CI ${pct(m.lift.ci[0])} … ${pct(m.lift.ci[1])})`);
  }
  if (m.sequential) {
    fact(
      'Sequential',
      `${m.sequential.method === 'gavi' ? 'GAVI confidence sequence' : 'mSPRT'}: always-valid p = ${pval(m.sequential.pValue)}${m.sequential.ci ? ` (CI ${num(m.sequential.ci[0])} … ${num(m.sequential.ci[1])})` : ''}`,
    );
  }
  fact(
    `Power, ${pct(targetLift)} lift`,
    `${m.power === null ? '—' : pct(m.power)}; detectable now: ${num(m.mde)}; needed: ${m.requiredTotal === null ? '—' : num(m.requiredTotal)} observations${m.moreNeeded ? ` (${num(m.moreNeeded)} more)` : ''}`,
  );
  fact(
    'Outcome',
    m.outcome === 'better'
      ? 'significantly better'
      : m.outcome === 'worse'
        ? 'significantly worse'
        : 'no significant difference',
  );
  card.appendChild(facts);
  return card;
}

function renderAb(app: HTMLElement, ab: AbView | null, excluded: string | null): void {
  app.appendChild(el('h2', { text: 'A/B test' }));
  const sec = el('section');
  sec.id = 'ab';
  if (excluded) {
    const p = el('p', { className: 'warning', text: excluded });
    p.id = 'ab-excluded';
    sec.appendChild(p);
  }
  if (!ab) {
    sec.appendChild(
      el('p', { className: 'muted', text: 'No A/B data was given: the decision rests on the offline metrics.' }),
    );
    app.appendChild(sec);
    return;
  }
  const banner = el('div', { className: `verdict ${ab.verdict}` }, el('strong', { text: ab.headline }));
  banner.id = 'ab-verdict';
  sec.appendChild(banner);
  for (const r of ab.reasons.slice(1)) {
    sec.appendChild(el('p', { text: r }));
  }
  sec.appendChild(
    el('p', {
      className: 'muted',
      text: `Data: ${ab.source}. Sample ratio: challenger ${pct(ab.srm.observedShare)} of ${num(ab.srm.counts[0] + ab.srm.counts[1])} (planned ${pct(ab.srm.expectedShare)}), χ² p = ${pval(ab.srm.pValue)}${ab.srm.mismatch ? ' — MISMATCH' : ''}.`,
    }),
  );
  const grid = el('div', { className: 'ab-grid' });
  for (const m of ab.metrics) {
    grid.appendChild(renderAbMetric(m, ab.alpha, ab.targetLift));
  }
  sec.appendChild(grid);
  app.appendChild(sec);
}

function renderHistory(app: HTMLElement, r: PromoteReview): void {
  if (!r.history.length) {
    return;
  }
  app.appendChild(el('h2', { text: 'Recent registry history' }));
  const t = el('table', { className: 'history' });
  t.appendChild(el('thead', {}, row(th('When'), th('Who'), th('What'), th('Change'), th('Reason'))));
  const b = el('tbody');
  for (const h of r.history) {
    const what = `${h.action}${h.version !== null ? ` v${h.version}` : ''}${h.alias ? ` @${h.alias}` : ''}${h.override ? ' (override)' : ''}`;
    b.appendChild(
      row(
        td(date(h.at)),
        td(h.actor),
        td(what),
        td(h.from !== null || h.to !== null ? `${h.from ?? '∅'} → ${h.to ?? '∅'}` : ''),
        td(h.reason ?? ''),
      ),
    );
  }
  t.appendChild(b);
  app.appendChild(el('div', { className: 'table-wrap' }, t));
}

function renderDecision(app: HTMLElement, r: PromoteReview): void {
  const box = el('section', { className: 'decision' });
  box.id = 'decision';
  const pass = r.gate.pass;
  box.appendChild(el('h2', { text: pass ? 'Decision' : 'Decision: the gate failed' }));
  if (!pass) {
    box.appendChild(
      el('p', {
        text: 'Promoting anyway is an override: your reason is recorded with the failed checks in the audit log.',
      }),
    );
  }
  const label = el('label', {
    text: pass ? 'Reason (recorded in the audit log)' : 'Why override the gate? (required, recorded)',
  });
  label.htmlFor = 'reason';
  const input = el('textarea');
  input.id = 'reason';
  input.rows = 3;
  input.value = reasonDraft;
  input.placeholder = pass ? 'e.g. wins the A/B test on conversion' : 'e.g. legal requires the new model by Friday';
  const go = el('button', {
    text: pass ? `Promote to ${r.targetLabel}` : 'Promote Anyway…',
    className: pass ? '' : 'danger',
  });
  go.id = 'promote';
  const cancel = el('button', { text: 'Cancel', className: 'secondary' });
  cancel.id = 'cancel';
  const busy = status?.kind === 'busy' || status?.kind === 'done';
  const sync = () => {
    go.disabled = busy || !input.value.trim();
  };
  input.addEventListener('input', () => {
    reasonDraft = input.value;
    vscode.setState({ reason: reasonDraft });
    sync();
  });
  go.addEventListener('click', () => {
    if (input.value.trim()) {
      post({ type: 'promote', reason: input.value, override: !pass });
    }
  });
  cancel.addEventListener('click', () => post({ type: 'cancel' }));
  input.disabled = busy;
  cancel.disabled = status?.kind === 'done';
  sync();
  box.appendChild(label);
  box.appendChild(input);
  box.appendChild(el('div', { className: 'buttons' }, go, cancel));
  if (status) {
    const s = el('div', { className: `status ${status.kind}`, text: status.message });
    s.id = 'status';
    s.setAttribute('role', status.kind === 'error' ? 'alert' : 'status');
    box.appendChild(s);
  }
  app.appendChild(box);
}

function render(): void {
  const app = document.getElementById('app')!;
  app.replaceChildren();
  app.setAttribute('aria-busy', 'false');
  if (!review) {
    app.appendChild(el('p', { className: 'muted', text: 'Waiting for the review…' }));
    return;
  }
  const r = review;
  app.appendChild(el('h1', { text: `Promote ${r.model} v${r.challenger.version} to ${r.targetLabel}` }));
  if (r.backend === 'mlflow-filestore') {
    app.appendChild(
      el('p', {
        className: 'muted',
        text: 'An MLflow model: the alias or stage is also written to its files in mlruns/, so MlflowClient and models:/ URIs see it.',
      }),
    );
  }
  const banner = el(
    'div',
    { className: `verdict ${r.gate.pass ? 'promote' : 'blocked'}` },
    el('strong', { text: r.gate.pass ? 'The gate passes.' : 'The gate fails.' }),
    el('span', { text: r.gate.pass ? ` ${r.comparison.reason}` : ` ${r.gate.failures.join(' ')}` }),
  );
  banner.id = 'gate-verdict';
  app.appendChild(banner);
  renderVersions(app, r);
  renderGate(app, r);
  renderAb(app, r.ab, r.abExcluded);
  renderDecision(app, r);
  renderHistory(app, r);
}

window.addEventListener('message', (e: MessageEvent<HostToPromote>) => {
  const m = e.data;
  switch (m.type) {
    case 'review':
      review = m.review;
      status = undefined;
      break;
    case 'busy':
    case 'done':
    case 'error':
      status = { kind: m.type, message: m.message };
      break;
  }
  render();
});

render();
post({ type: 'ready' });
