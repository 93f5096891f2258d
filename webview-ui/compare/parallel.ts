// Parallel coordinates (canvas 2D; numeric, log and categorical axes; a run without a value sits on the axis's
// "missing" tick; lines coloured by the chosen metric; drag on an axis to brush, double-click clears)
import type { CompareData } from '../../src/compare/contract';
import { TableRow, asNumber, higherIsBetter } from '../../src/core/compare/table';
import {
  MISSING_LABEL,
  fitLabel,
  metricColorPositions,
  nonOverlapping,
  parallelAxis,
  rampColor,
} from '../../src/core/compare/shape';
import { el } from '../shared/vscodeApi';
import { brushes, post, render, setState, Shown } from './main';
import { fmt } from './util';
import { css } from '../shared/theme';
import { axisColors } from './curves';

/** Cuts text to fit `px` pixels in the canvas's font. */
export function fitText(ctx: CanvasRenderingContext2D, text: string, px: number): string {
  if (ctx.measureText(text).width <= px) {
    return text;
  }
  let n = Math.max(1, Math.floor((text.length * px) / Math.max(1, ctx.measureText(text).width)));
  while (n > 1 && ctx.measureText(fitLabel(text, n)).width > px) {
    n--;
  }
  return fitLabel(text, n);
}

export function renderParallel(app: HTMLElement, d: CompareData, s: Shown): void {
  app.appendChild(el('h2', { text: 'Parallel coordinates' }));
  const paramRows = d.rows.filter(r => r.section === 'param');
  const metricRows = d.rows.filter(r => r.section === 'metric');
  if (!paramRows.length || !metricRows.length) {
    app.appendChild(el('p', { className: 'empty', text: 'Needs runs with parameters and metrics.' }));
    return;
  }
  // by default the differing parameters most runs have (a parameter of one model family only says little)
  const have = (r: TableRow) => r.values.filter(v => v !== null && v !== '').length;
  const chosen = s.pcParams.length
    ? s.pcParams.filter(p => paramRows.some(r => r.key === p))
    : paramRows
        .filter(r => r.differs)
        .sort((a, b) => have(b) - have(a))
        .slice(0, 6)
        .map(r => r.key);
  const metric =
    s.pcMetric && metricRows.some(r => r.key === s.pcMetric) ? s.pcMetric : (d.baseline.metric ?? metricRows[0].key);
  const checks = el('div', { className: 'checks' });
  for (const r of paramRows) {
    const lab = el('label', { text: r.key });
    const cb = el('input');
    cb.type = 'checkbox';
    cb.checked = chosen.includes(r.key);
    cb.addEventListener('change', () => {
      brushes.clear();
      setState({ pcParams: cb.checked ? [...chosen, r.key] : chosen.filter(k => k !== r.key) });
      render();
    });
    lab.prepend(cb);
    checks.appendChild(lab);
  }
  const mLabel = el('label', { text: 'Colour by metric' });
  const msel = el('select');
  msel.id = 'pc-metric';
  for (const r of metricRows) {
    const o = el('option', { text: r.key });
    o.value = r.key;
    o.selected = r.key === metric;
    msel.appendChild(o);
  }
  msel.addEventListener('change', () => {
    brushes.clear();
    setState({ pcMetric: msel.value });
    render();
  });
  mLabel.appendChild(msel);
  checks.appendChild(mLabel);
  app.appendChild(checks);
  const metricValues = metricRows.find(r => r.key === metric)!.values;
  const axes = [
    ...chosen.map(k => parallelAxis(k, 'param', paramRows.find(r => r.key === k)!.values)),
    parallelAxis(metric, 'metric', metricValues),
  ];
  const colorT = metricColorPositions(metric, metricValues);
  const lineColor = (ri: number) => {
    const t = colorT[ri];
    return t === null ? css('--vscode-disabledForeground', '#888') : rampColor(t);
  };

  // the colour legend: worst → best value of the metric
  const nums = metricValues.map(v => asNumber(v)).filter((n): n is number => n !== undefined && Number.isFinite(n));
  const legend = el('div', { className: 'pc-legend' });
  legend.id = 'pc-legend';
  if (nums.length) {
    const up = higherIsBetter(metric);
    const worst = up ? Math.min(...nums) : Math.max(...nums),
      best = up ? Math.max(...nums) : Math.min(...nums);
    const ramp = el('span', { className: 'ramp' });
    ramp.style.background = `linear-gradient(to right, ${[0, 0.33, 0.66, 1].map(rampColor).join(', ')})`;
    legend.append(
      el('span', { text: `${metric}: worse ${fmt(worst)}` }),
      ramp,
      el('span', { text: `${fmt(best)} better` }),
    );
    if (colorT.some(t => t === null)) {
      legend.appendChild(el('span', { className: 'muted', text: ' · grey: no value' }));
    }
  }
  app.appendChild(legend);

  const status = el('p', { className: 'muted' });
  const canvas = el('canvas', { className: 'pc' });
  canvas.setAttribute('role', 'img');
  canvas.setAttribute(
    'aria-label',
    `Parallel coordinates of ${axes.map(a => a.name).join(', ')}, coloured by ${metric}`,
  );
  const wrap = el('div', { className: 'pc-wrap' });
  wrap.appendChild(canvas);
  const png = el('button', { className: 'link', text: 'PNG' });
  png.addEventListener('click', () =>
    post({
      type: 'save',
      kind: 'png',
      suggestedName: 'parallel-coordinates',
      content: canvas.toDataURL('image/png').split(',')[1],
    }),
  );
  app.append(wrap, status, png);
  const pad = { l: 24, r: 24, t: 44, b: 18 };
  let dragging: { axis: number; from: number } | undefined;
  const geom = () => {
    const w = canvas.clientWidth,
      h = canvas.clientHeight;
    const xs = axes.map((_, i) => pad.l + (axes.length === 1 ? 0 : (i * (w - pad.l - pad.r)) / (axes.length - 1)));
    return {
      w,
      h,
      xs,
      y: (t: number) => pad.t + (1 - t) * (h - pad.t - pad.b),
      t: (y: number) => 1 - (y - pad.t) / (h - pad.t - pad.b),
    };
  };
  const selected = (ri: number) =>
    [...brushes.entries()].every(([ai, [lo, hi]]) => {
      const t = axes[ai].positions[ri];
      return t >= lo && t <= hi;
    });
  const draw = () => {
    const dpr = window.devicePixelRatio || 1;
    const g = geom();
    canvas.width = Math.round(g.w * dpr);
    canvas.height = Math.round(g.h * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.w, g.h);
    const { text, grid } = axisColors();
    const muted = css('--vscode-descriptionForeground', text);
    ctx.font = `${css('--vscode-font-size', '12px')} ${css('--vscode-font-family', 'sans-serif')}`;
    const order = d.runs
      .map((_, ri) => ri)
      .sort((a, b) => Number(selected(a)) - Number(selected(b)) || (colorT[a] ?? -1) - (colorT[b] ?? -1));
    for (const ri of order) {
      const on = selected(ri);
      ctx.strokeStyle = on ? lineColor(ri) : grid;
      ctx.globalAlpha = on ? 0.95 : 0.3;
      ctx.lineWidth = on ? 2 : 1;
      for (let ai = 1; ai < axes.length; ai++) {
        // a segment to or from a missing value is dashed
        ctx.setLineDash(axes[ai - 1].present[ri] && axes[ai].present[ri] ? [] : [4, 3]);
        ctx.beginPath();
        ctx.moveTo(g.xs[ai - 1], g.y(axes[ai - 1].positions[ri]));
        ctx.lineTo(g.xs[ai], g.y(axes[ai].positions[ri]));
        ctx.stroke();
      }
      if (axes.length === 1) {
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillRect(g.xs[0] - 3, g.y(axes[0].positions[ri]) - 3, 6, 6);
      }
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    const spacing = axes.length > 1 ? g.xs[1] - g.xs[0] : g.w - pad.l - pad.r;
    // axis names: two staggered rows when the space between axes is narrow, each cut to the room it has
    const stagger = axes.length > 2 && spacing < 150;
    const nameRoom = (stagger ? 2 * spacing : spacing) - 10;
    axes.forEach((a, ai) => {
      const x = g.xs[ai];
      const first = ai === 0,
        last = ai === axes.length - 1 && axes.length > 1;
      ctx.strokeStyle = text;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, g.y(0));
      ctx.lineTo(x, g.y(1));
      ctx.stroke();
      ctx.fillStyle = text;
      ctx.textAlign = first ? 'left' : last ? 'right' : 'center';
      ctx.font = `600 ${css('--vscode-font-size', '12px')} ${css('--vscode-font-family', 'sans-serif')}`;
      const name = a.name + (a.log ? ' (log)' : '');
      ctx.fillText(
        fitText(ctx, name, first || last ? Math.min(nameRoom, spacing / 2 + nameRoom / 2) : nameRoom),
        first ? x - 4 : last ? x + 4 : x,
        stagger && ai % 2 ? 30 : 14,
      );
      ctx.font = `${css('--vscode-font-size', '12px')} ${css('--vscode-font-family', 'sans-serif')}`;
      // tick labels to the right of the axis (left of the last one), none overlapping another
      const ys = a.ticks.map(t => g.y(t.pos));
      const keep = a.ticks.map(
        (t, i) => !!t.missing || i === 0 || i === a.ticks.length - 1 - (a.ticks.at(-1)?.missing ? 1 : 0),
      );
      const shown = nonOverlapping(ys, 14, keep);
      ctx.textAlign = last ? 'right' : 'left';
      const room = Math.max(30, Math.min(130, spacing - 16));
      a.ticks.forEach((t, i) => {
        const y = ys[i];
        ctx.beginPath();
        ctx.moveTo(x - 3, y);
        ctx.lineTo(x + 3, y);
        ctx.stroke();
        if (!shown[i]) {
          return;
        }
        ctx.fillStyle = t.missing ? muted : text;
        ctx.fillText(fitText(ctx, t.label, room), x + (last ? -6 : 6), y + 4);
      });
      const b = brushes.get(ai);
      if (b) {
        ctx.fillStyle = css('--vscode-editor-selectionBackground', 'rgba(100,150,255,0.3)');
        ctx.globalAlpha = 0.5;
        ctx.fillRect(x - 6, g.y(b[1]), 12, g.y(b[0]) - g.y(b[1]));
        ctx.globalAlpha = 1;
      }
    });
    const n = d.runs.filter((_, ri) => selected(ri)).length;
    const missing = axes.filter(a => a.present.some(p => !p)).map(a => a.name);
    status.textContent =
      (brushes.size
        ? `${n} of ${d.runs.length} runs inside the brushed ranges (double-click an axis to clear it).`
        : 'Drag along an axis to filter runs.') +
      (missing.length
        ? ` Runs without a value sit on the "${MISSING_LABEL}" tick of ${missing.join(', ')} (dashed).`
        : '');
  };
  const axisAt = (x: number) => {
    const g = geom();
    let best = -1,
      dist = 24;
    g.xs.forEach((ax, i) => {
      if (Math.abs(ax - x) < dist) {
        dist = Math.abs(ax - x);
        best = i;
      }
    });
    return best;
  };
  canvas.addEventListener('mousedown', e => {
    const ai = axisAt(e.offsetX);
    if (ai >= 0) {
      dragging = { axis: ai, from: geom().t(e.offsetY) };
    }
  });
  canvas.addEventListener('mousemove', e => {
    if (!dragging) {
      return;
    }
    const t = geom().t(e.offsetY);
    const lo = Math.max(0, Math.min(dragging.from, t)),
      hi = Math.min(1, Math.max(dragging.from, t));
    if (hi - lo > 0.005) {
      brushes.set(dragging.axis, [lo, hi]);
      draw();
    }
  });
  window.addEventListener('mouseup', () => {
    dragging = undefined;
  });
  canvas.addEventListener('dblclick', e => {
    const ai = axisAt(e.offsetX);
    if (ai >= 0) {
      brushes.delete(ai);
      draw();
    }
  });
  requestAnimationFrame(draw);
  new ResizeObserver(() => draw()).observe(canvas);
}
