// Over time: the current data cut into chunks, with performance and drift per chunk against the reference's bands.
import { Chart, ChartDataset } from 'chart.js';
import type { DriftReport, DriftViewState } from '../../src/drift/contract';
import { METRIC_LABELS } from '../../src/core/drift/types';
import { el } from '../shared/vscodeApi';
import { charts, render, setState } from './main';
import { alpha, colors, fmt } from './util';

export function overTime(app: HTMLElement, r: DriftReport, s: DriftViewState): void {
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
