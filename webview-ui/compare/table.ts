// The comparison table: runs as columns, parameters, metrics, tags and datasets as rows; diff-only, sort, CSV.
import type { CompareData } from '../../src/compare/contract';
import { diffOnly, toCsv, TableRow, asNumber } from '../../src/core/compare/table';
import { DeltaMode, bestIndices, differingCells, formatDelta } from '../../src/core/compare/shape';
import { el } from '../shared/vscodeApi';
import { post, render, setState, Shown } from './main';
import { deltaMode, fmt } from './util';

export const SECTION_TITLES: Record<TableRow['section'], string> = {
  info: 'Run',
  param: 'Parameters',
  metric: 'Metrics (latest)',
  tag: 'Tags',
  dataset: 'Datasets',
};

export function columnOrder(d: CompareData, s: Shown): number[] {
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

export function renderTable(app: HTMLElement, d: CompareData, s: Shown): void {
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
