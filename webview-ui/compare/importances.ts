// Feature importance, side by side
import { Chart } from 'chart.js';
import type { CompareData } from '../../src/compare/contract';
import { el } from '../shared/vscodeApi';
import { charts } from './main';
import { colorOf } from './util';
import { axisColors, savePng } from './curves';

export function renderImportances(app: HTMLElement, d: CompareData): void {
  app.appendChild(el('h2', { text: 'Feature importance' }));
  if (!d.importances.length) {
    app.appendChild(
      el('p', {
        className: 'empty',
        text: 'No run logged feature importances (mlsight: run.log_feature_importance(names, values)). Ignoring feature importance hides what a model relies on.',
      }),
    );
    return;
  }
  const names = [...new Set(d.importances.flatMap(f => f.names.slice(0, 20)))].slice(0, 25);
  const card = el('section', { className: 'chart-card' });
  const box = el('div', { className: 'chart-box tall' });
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'Feature importance per run');
  box.appendChild(canvas);
  const png = el('button', { className: 'link', text: 'PNG' });
  card.append(box, png);
  app.appendChild(card);
  const { text, grid } = axisColors();
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: names,
      datasets: d.importances.map(f => {
        const i = d.runs.findIndex(r => r.id === f.runId);
        return {
          label: d.runs[i]?.name ?? f.runId,
          data: names.map(n => {
            const k = f.names.indexOf(n);
            return k >= 0 ? f.values[k] : 0;
          }),
          backgroundColor: colorOf(i),
        };
      }),
    },
    options: {
      indexAxis: 'y',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, labels: { color: text } } },
      scales: {
        x: { ticks: { color: text }, grid: { color: grid } },
        y: { ticks: { color: text, autoSkip: false }, grid: { color: grid } },
      },
    },
  });
  png.addEventListener('click', () => savePng(chart, 'feature-importance'));
  charts.push(chart);
}
