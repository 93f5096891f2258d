// The run page webview: everything about one run. Data arrives over src/runs/contract.ts after `ready`;
// every value is inserted as text. Sparklines are drawn on small canvases (no chart library needed).
import type { HostToRunPage, RunPageData, RunPageState, RunPageToHost } from '../../src/runs/contract';
import { formatDuration } from '../../src/core/runs/format';
import { el, vscodeApi } from '../shared/vscodeApi';
import './style.css';

const vscode = vscodeApi<RunPageToHost, RunPageState>();
const post = (m: RunPageToHost) => vscode.postMessage(m);

function fmt(v: number): string {
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? 'inf' : '-inf';
  }
  if (Number.isInteger(v)) {
    return String(v);
  }
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(4) : v.toPrecision(6).replace(/\.?0+$/, '');
}
function bytes(n: number | null): string {
  if (n === null) {
    return '';
  }
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
function table(headers: string[], rows: (string | Node)[][], id?: string): HTMLTableElement {
  const t = el('table');
  if (id) {
    t.id = id;
  }
  const hr = el('tr');
  for (const h of headers) {
    hr.appendChild(el('th', { text: h }));
  }
  const thead = el('thead');
  thead.appendChild(hr);
  t.appendChild(thead);
  const tb = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    for (const c of r) {
      const td = el('td');
      if (typeof c === 'string') {
        td.textContent = c;
      } else {
        td.appendChild(c);
      }
      tr.appendChild(td);
    }
    tb.appendChild(tr);
  }
  t.appendChild(tb);
  return t;
}

function sparkline(values: number[]): HTMLCanvasElement {
  const c = el('canvas', { className: 'spark' });
  c.setAttribute('role', 'img');
  const finite = values.filter(Number.isFinite);
  c.setAttribute(
    'aria-label',
    finite.length ? `trend from ${fmt(finite[0])} to ${fmt(finite[finite.length - 1])}` : 'no finite values',
  );
  requestAnimationFrame(() => {
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 140,
      h = c.clientHeight || 26;
    c.width = w * dpr;
    c.height = h * dpr;
    const ctx = c.getContext('2d')!;
    ctx.scale(dpr, dpr);
    if (finite.length < 2) {
      return;
    }
    const lo = Math.min(...finite),
      hi = Math.max(...finite);
    ctx.strokeStyle = getComputedStyle(document.body).getPropertyValue('--vscode-charts-blue').trim() || '#3794ff';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        return;
      }
      const x = 2 + (i / (values.length - 1)) * (w - 4);
      const y = hi === lo ? h / 2 : 2 + (1 - (v - lo) / (hi - lo)) * (h - 4);
      if (i === 0) {
        ctx.moveTo(x, y);
      } else {
        ctx.lineTo(x, y);
      }
    });
    ctx.stroke();
  });
  return c;
}

function render(d: RunPageData): void {
  const app = document.getElementById('app')!;
  app.replaceChildren();
  app.setAttribute('aria-busy', 'false');
  const r = d.run;
  app.appendChild(el('h1', { text: r.name ?? r.id }));
  const head = el('div', { className: 'row' });
  head.append(
    el('span', { className: `status-${r.status}`, text: r.status }),
    el('span', { className: 'muted', text: `${d.experiment} · ${r.source} · ${r.id}` }),
  );
  const copy = el('button', { className: 'link', text: 'Copy ID' });
  copy.addEventListener('click', () => post({ type: 'copy', text: r.id }));
  const cmp = el('button', { text: 'Compare with…' });
  cmp.addEventListener('click', () => post({ type: 'compareWith' }));
  head.append(copy, cmp);
  app.appendChild(head);
  const times = el('div', { className: 'row muted' });
  if (r.startTime) {
    times.appendChild(el('span', { text: `started ${new Date(r.startTime).toLocaleString()}` }));
  }
  if (r.startTime && r.endTime) {
    times.appendChild(el('span', { text: `duration ${formatDuration(r.endTime - r.startTime)}` }));
  }
  app.appendChild(times);
  if (r.note) {
    app.appendChild(el('p', { text: r.note }));
  }
  if (r.description) {
    app.appendChild(el('p', { className: 'muted', text: r.description }));
  }
  const error = r.tags['mlsight.error'];
  if (error) {
    app.appendChild(el('div', { className: 'banner', text: error }));
  }

  app.appendChild(el('h2', { text: `Reproducibility ${d.repro.passed}/${d.repro.total}` }));
  const repro = el('ul');
  repro.id = 'repro';
  for (const c of d.repro.checks) {
    repro.appendChild(el('li', { className: c.ok ? 'ok' : 'bad', text: `${c.ok ? '✓' : '✗'} ${c.detail}` }));
  }
  app.appendChild(repro);

  if (r.gitCommit) {
    app.appendChild(el('h2', { text: 'Code version' }));
    const g = el('div', { className: 'row' });
    g.appendChild(
      el('span', {
        text: `${r.gitCommit}${r.gitBranch ? ` (${r.gitBranch})` : ''}${r.gitDirty ? ' · uncommitted changes when it ran' : ''}`,
      }),
    );
    if (d.gitActions) {
      const diff = el('button', { text: 'Show diff to now' });
      diff.addEventListener('click', () => post({ type: 'showDiff' }));
      const wt = el('button', { text: 'Check out in a worktree' });
      wt.addEventListener('click', () => post({ type: 'checkoutWorktree' }));
      g.append(diff, wt);
    } else {
      g.appendChild(
        el('span', { className: 'muted', text: '(git actions need a trusted workspace that is a git repository)' }),
      );
    }
    app.appendChild(g);
  }

  const metrics = Object.entries(r.latestMetrics).filter(([k]) => !k.startsWith('feature_importance/'));
  app.appendChild(el('h2', { text: 'Metrics' }));
  app.appendChild(
    metrics.length
      ? table(
          ['name', 'latest', 'step', 'history'],
          metrics.map(([k, m]) => {
            const s = d.sparklines[k];
            return [
              k,
              fmt(m.value),
              String(m.step),
              s && s.values.length > 1
                ? sparkline(s.values)
                : el('span', { className: 'muted', text: s ? `${s.total} point` : '' }),
            ];
          }),
          'metrics',
        )
      : el('p', { className: 'muted', text: 'No metrics.' }),
  );
  const params = Object.entries(r.params);
  app.appendChild(el('h2', { text: 'Parameters' }));
  app.appendChild(
    params.length
      ? table(
          ['name', 'value'],
          params.map(([k, v]) => [k, v]),
          'params',
        )
      : el('p', { className: 'muted', text: 'No parameters.' }),
  );
  if (r.datasets.length) {
    app.appendChild(el('h2', { text: 'Datasets' }));
    app.appendChild(
      table(
        ['name', 'role', 'rows', 'content hash'],
        r.datasets.map(s => [s.name, s.role, s.rows === null ? '' : s.rows.toLocaleString(), s.digest ?? 'not hashed']),
        'datasets',
      ),
    );
  }
  if (d.artifacts.length) {
    app.appendChild(el('h2', { text: 'Artifacts' }));
    app.appendChild(
      table(
        ['path', 'kind', 'size'],
        d.artifacts.map(a => {
          let cell: string | Node = a.path;
          if (a.openable) {
            const b = el('button', { className: 'link', text: a.path });
            b.addEventListener('click', () => post({ type: 'openArtifact', path: a.path }));
            cell = b;
          }
          return [cell, a.kind, bytes(a.size)];
        }),
        'artifacts',
      ),
    );
  }
  const userTags = Object.entries(r.tags).filter(([k]) => !k.startsWith('mlsight.') && !k.startsWith('mlflow.'));
  if (userTags.length) {
    app.appendChild(el('h2', { text: 'Tags' }));
    app.appendChild(
      table(
        ['name', 'value'],
        userTags.map(([k, v]) => [k, v]),
        'tags',
      ),
    );
  }
  const env = Object.entries(r.tags).filter(
    ([k]) => k.startsWith('mlsight.') && !['mlsight.traceback', 'mlsight.error'].includes(k),
  );
  if (env.length) {
    app.appendChild(el('h2', { text: 'Environment' }));
    app.appendChild(
      table(
        ['name', 'value'],
        env.map(([k, v]) => [k.slice(8), v]),
        'environment',
      ),
    );
  }
  const tb = r.tags['mlsight.traceback'];
  if (tb) {
    app.appendChild(el('h2', { text: 'Traceback' }));
    app.appendChild(el('pre', { text: tb }));
  }
}

window.addEventListener('message', (e: MessageEvent<HostToRunPage>) => {
  const m = e.data;
  if (m?.type === 'data') {
    vscode.setState(m.state); // what the serializer restores after a reload
    render(m.data);
  } else if (m?.type === 'error') {
    document.getElementById('app')!.replaceChildren(el('div', { className: 'banner', text: m.message }));
  }
});

post({ type: 'ready' });
