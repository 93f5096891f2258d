// Distributions: a histogram or ECDF card per column (reference against current), in the table's order.
import { Chart, ChartDataset } from 'chart.js';
import type { DriftReport, DriftViewState } from '../../src/drift/contract';
import type { ColumnReport } from '../../src/core/drift/types';
import { ECDF_PROBABILITIES, METHOD_LABELS } from '../../src/core/drift/types';
import { el } from '../shared/vscodeApi';
import { charts, render, setState } from './main';
import { MAX_CARDS, alpha, colors, fmt, pct } from './util';
import { sortedColumns } from './columns';

export function histogramChart(canvas: HTMLCanvasElement, c: ColumnReport): Chart {
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

export function ecdfChart(canvas: HTMLCanvasElement, c: ColumnReport): Chart {
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

export function distributions(app: HTMLElement, r: DriftReport, s: DriftViewState): void {
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
