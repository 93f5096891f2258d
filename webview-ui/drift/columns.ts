// The column table: one row per column, sortable; a click selects a column (kept in the view state).
import type { DriftReport, DriftViewState, SortKey } from '../../src/drift/contract';
import type { ColumnReport } from '../../src/core/drift/types';
import { METHOD_LABELS } from '../../src/core/drift/types';
import { el } from '../shared/vscodeApi';
import { render, setState } from './main';
import { METHOD_SHORT, fmt, missingOf } from './util';

export const COLUMNS: { key: SortKey; label: string; numeric?: boolean; title?: string }[] = [
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

export function sortValue(c: ColumnReport, k: SortKey): number | string {
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

export function sortedColumns(r: DriftReport, s: DriftViewState): ColumnReport[] {
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

export function table(app: HTMLElement, r: DriftReport, s: DriftViewState): void {
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
