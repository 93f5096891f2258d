// Scatter of a metric against a parameter (it starts on a parameter that varies across the runs)
import { Chart } from 'chart.js';
import type { CompareData } from '../../src/compare/contract';
import { TableRow, asNumber } from '../../src/core/compare/table';
import { parallelAxis, pickScatterParam } from '../../src/core/compare/shape';
import { el } from '../shared/vscodeApi';
import { charts, render, setState, Shown } from './main';
import { colorOf, fmt } from './util';
import { axisColors } from './curves';

export function renderScatter(app: HTMLElement, d: CompareData, s: Shown): void {
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
