// Metric curves (one line chart per metric, smoothed, on the chosen x axis) and final metrics (one bar per run).
import { Chart, ChartDataset } from 'chart.js';
import type { CompareData } from '../../src/compare/contract';
import { emaSmooth } from '../../src/core/compare/series';
import { asNumber, higherIsBetter } from '../../src/core/compare/table';
import { bestIndices, fitLabel } from '../../src/core/compare/shape';
import { el } from '../shared/vscodeApi';
import { charts, data, post, shown, Shown } from './main';
import { colorOf, dash, fmt } from './util';
import { css } from '../shared/theme';

export interface CurveRef {
  chart: Chart;
  key: string;
}
export let curves: CurveRef[] = [];

export function xOf(s: Shown, step: number, time: number | null, start: number | null): number {
  if (s.xAxis === 'step') {
    return step;
  }
  if (time === null) {
    return NaN;
  }
  return s.xAxis === 'wall' ? time : (time - (start ?? time)) / 1000;
}

export function curveDatasets(key: string): ChartDataset<'line', { x: number; y: number }[]>[] {
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

export function axisColors() {
  return { text: css('--vscode-foreground', '#ccc'), grid: css('--vscode-panel-border', 'rgba(128,128,128,0.3)') };
}

export function renderCurves(app: HTMLElement, d: CompareData, s: Shown, curveKeys: string[], finals: string[]): void {
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
export function renderFinals(app: HTMLElement, d: CompareData, finals: string[]): void {
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

export function updateCurveData(): void {
  for (const c of curves) {
    c.chart.data.datasets = curveDatasets(c.key);
    c.chart.update('none');
  }
}

export function savePng(chart: Chart, name: string): void {
  const url = chart.toBase64Image('image/png', 1);
  post({ type: 'save', kind: 'png', suggestedName: name, content: url.slice(url.indexOf(',') + 1) });
}
