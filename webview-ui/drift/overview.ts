// The report's overview: the header with its actions, the verdict and how it was reached, the summary, the notes.
import type { DriftConfig, DriftReport } from '../../src/drift/contract';
import { METHOD_LABELS, METRIC_LABELS } from '../../src/core/drift/types';
import { MEASURED_FALSE_ALARMS, verdictReasoning } from '../../src/core/drift/explain';
import { el } from '../shared/vscodeApi';
import { post } from './main';
import { basename, button, fmt, pct } from './util';

export function header(app: HTMLElement, config: DriftConfig, r?: DriftReport): void {
  app.appendChild(el('h1', { text: 'Drift report' }));
  const files = el('div', { className: 'files' });
  const file = (which: 'reference' | 'current', p: string, rows?: number) => {
    const a = el('button', { className: 'link', text: basename(p), title: p });
    a.addEventListener('click', () => post({ type: 'openFile', which }));
    const span = el('span', { className: 'file' }, el('span', { className: 'muted', text: `${which}: ` }), a);
    if (rows !== undefined) {
      span.appendChild(el('span', { className: 'muted', text: ` (${rows.toLocaleString('en-US')} rows)` }));
    }
    return span;
  };
  files.append(
    file('reference', config.reference, r?.reference.rows),
    el('span', { className: 'arrow', text: '→' }),
    file('current', config.current, r?.current.rows),
  );
  const roles = [
    ['target', config.target],
    ['prediction', config.prediction],
    ['time', config.time],
  ].filter(([, v]) => v) as [string, string][];
  for (const [k, v] of roles) {
    files.appendChild(
      el('span', { className: 'role' }, el('span', { className: 'muted', text: `${k}: ` }), el('code', { text: v })),
    );
  }
  app.appendChild(files);
  const bar = el('div', { className: 'toolbar' });
  bar.append(
    button('Change…', () => post({ type: 'configure' }), { id: 'configure', title: 'Choose other files or columns' }),
    button('Re-run', () => post({ type: 'rerun' }), { id: 'rerun' }),
    button('Save as Watch', () => post({ type: 'saveWatch' }), {
      id: 'save-watch',
      title: 'Re-run this report whenever either file changes; warn in the status bar when it drifts',
    }),
    button('Settings', () => post({ type: 'openSettings' }), {
      id: 'settings',
      title: 'Thresholds and the retrain policy (mlsight.drift.*)',
    }),
  );
  if (r) {
    bar.append(
      button('Export JSON', () => post({ type: 'export', format: 'json' }), { id: 'export-json' }),
      button('Export CSV', () => post({ type: 'export', format: 'csv' }), { id: 'export-csv' }),
      button('Export HTML', () => post({ type: 'export', format: 'html' }), { id: 'export-html' }),
    );
  }
  app.appendChild(bar);
}

export function verdict(app: HTMLElement, r: DriftReport): void {
  const v = r.verdict;
  const box = el('section', { className: `verdict ${v.level}` });
  box.id = 'verdict';
  box.setAttribute('role', 'status');
  box.appendChild(el('div', { className: 'headline', text: v.headline }));
  if (v.reasons.length) {
    const ul = el('ul');
    for (const x of v.reasons) {
      const li = el('li', { className: x.level });
      li.append(
        el('span', { className: `badge ${x.level === 'retrain' ? 'bad' : 'warn'}`, text: x.level }),
        el('span', { text: ` ${x.message}` }),
      );
      ul.appendChild(li);
    }
    box.appendChild(ul);
  } else {
    box.appendChild(
      el('p', {
        text: 'No column drift survived the correction, no feature drifted persistently over time, and performance stayed within its band.',
      }),
    );
  }
  const c = v.calibration;
  const m = MEASURED_FALSE_ALARMS;
  const rate = el('p', {
    className: 'muted small',
    text: `Designed false-alarm rate: at most about ${pct(c.alpha)} of reports on unchanged data say anything but "No drift detected"${c.alpha === 0.05 && c.columns.correction === 'holm' ? ` (measured by simulation: ${pct(m.rate)})` : ''}. Evidently's per-column flags below are shown as Evidently computes them; alone they raise no alarm.`,
  });
  rate.id = 'alarm-rate';
  box.appendChild(rate);
  box.appendChild(reasoning(r));
  app.appendChild(box);
}

/** How the verdict was reached: the tests and their correction, the chunks, the band's interval. */
export function reasoning(r: DriftReport): HTMLElement {
  const d = el('details');
  d.id = 'reasoning';
  d.open = true;
  d.appendChild(el('summary', { text: 'How this verdict was reached' }));
  for (const sec of verdictReasoning(r)) {
    const s = el('div', { className: 'reason-section' });
    s.appendChild(el('div', { className: 'reason-title', text: sec.title }));
    for (const line of sec.lines) {
      s.appendChild(el('p', { text: line }));
    }
    if (sec.title === 'Column tests') {
      s.appendChild(testTable(r));
    }
    d.appendChild(s);
  }
  return d;
}

export function testTable(r: DriftReport): HTMLElement {
  const t = el('table', { className: 'tests' });
  t.id = 'verdict-tests';
  const head = el('tr');
  for (const h of ['column', 'test', 'p-value', 'corrected', 'Evidently', 'alarm']) {
    head.appendChild(el('th', { text: h }));
  }
  t.appendChild(el('thead', {}, head));
  const body = el('tbody');
  const rows = [...r.verdict.calibration.columns.rows].sort(
    (a, b) => a.adjusted - b.adjusted || a.name.localeCompare(b.name),
  );
  for (const x of rows) {
    const tr = el('tr');
    tr.append(
      el('td', { text: x.name }),
      el('td', { text: x.test === 'ks' ? 'K-S' : 'chi-square homogeneity' }),
      el('td', { className: 'num', text: fmt(x.pValue) }),
      el('td', { className: 'num', text: fmt(x.adjusted) }),
      el('td', { text: x.evidentlyDrifted ? 'drifted' : '—' }),
      el(
        'td',
        {},
        x.alarm
          ? el('span', { className: 'badge bad', text: 'alarm' })
          : el('span', { className: 'muted', text: 'no' }),
      ),
    );
    body.appendChild(tr);
  }
  t.appendChild(body);
  return t;
}

export function summary(app: HTMLElement, r: DriftReport): void {
  const wrap = el('div', { className: 'cards' });
  const card = (title: string, value: string, detail: string, bad: boolean | null, id: string) => {
    const c = el('section', { className: `card${bad ? ' drifted' : ''}` });
    c.id = id;
    c.append(
      el('div', { className: 'muted', text: title }),
      el('div', { className: 'value', text: value }),
      el('div', { className: 'muted small', text: detail }),
    );
    wrap.appendChild(c);
  };
  const d = r.dataset;
  card(
    'Dataset drift',
    `${d.nDrifted} of ${d.nColumns} columns`,
    `${pct(d.share)} drifted; dataset drift at ${pct(d.driftShare)}: ${d.drifted ? 'yes' : 'no'}`,
    d.drifted,
    'card-dataset',
  );
  const t = r.columns.find(c => c.role === 'target');
  if (t) {
    card(
      `Label drift (${t.name})`,
      t.drifted ? 'drifted' : 'no drift',
      `${METHOD_LABELS[t.method]} ${fmt(t.score)}, threshold ${fmt(t.threshold)}`,
      t.drifted,
      'card-label',
    );
  }
  const p = r.columns.find(c => c.role === 'prediction');
  if (p) {
    card(
      `Prediction drift (${p.name})`,
      p.drifted ? 'drifted' : 'no drift',
      `${METHOD_LABELS[p.method]} ${fmt(p.score)}, threshold ${fmt(p.threshold)}`,
      p.drifted,
      'card-prediction',
    );
  }
  const perf = r.overTime?.performance;
  if (perf) {
    const s = perf.series.find(x => x.metric === perf.primary)!;
    const below = s.band
      ? s.band.z.filter(z => z !== null && z < -s.band!.multiplier).length
      : s.degraded.filter(Boolean).length;
    const persistent = !!r.verdict.calibration.performance?.degradedRun;
    card(
      `Performance (${METRIC_LABELS[s.metric]})`,
      `${fmt(s.reference)} → ${fmt(s.current)}`,
      `reference → current; ${below} of ${s.values.length} chunks below the band${persistent ? ' (persistent)' : ''}`,
      persistent,
      'card-performance',
    );
  }
  app.appendChild(wrap);
}

export function notes(app: HTMLElement, r: DriftReport): void {
  if (r.skipped.length) {
    app.appendChild(el('h2', { text: 'Not analysed' }));
    const ul = el('ul');
    ul.id = 'skipped';
    for (const s of r.skipped) {
      ul.appendChild(el('li', {}, el('code', { text: s.name }), el('span', { text: `: ${s.reason}` })));
    }
    app.appendChild(ul);
  }
  if (r.warnings.length) {
    app.appendChild(el('h2', { text: 'Warnings' }));
    const ul = el('ul');
    ul.id = 'warnings';
    for (const w of r.warnings) {
      ul.appendChild(el('li', { text: w }));
    }
    app.appendChild(ul);
  }
  app.appendChild(
    el('p', {
      className: 'muted small',
      text: `Computed ${new Date(r.createdAt).toLocaleString()} in ${fmt(Math.round(r.timings.loadMs + r.timings.analyseMs))} ms. Tests and thresholds: Evidently's defaults unless set (Settings).`,
    }),
  );
}
