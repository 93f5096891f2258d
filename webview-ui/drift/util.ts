// Colours, number formatting and the button helper shared by the Drift report's sections.
import type { MissingCounts } from '../../src/core/drift/types';
import { el } from '../shared/vscodeApi';
import { css } from '../shared/theme';

export const MAX_CARDS = 60;
/** Short test names for the table (the full names are in the cells' tooltips). */
export const METHOD_SHORT: Record<string, string> = {
  ks: 'K-S',
  chisquare: 'chi-square',
  z: 'Z-test',
  jensenshannon: 'Jensen-Shannon',
  wasserstein: 'Wasserstein (normed)',
  psi: 'PSI',
};

export function colors() {
  return {
    ref: css('--vscode-charts-blue', '#3794ff'),
    cur: css('--vscode-charts-orange', '#d18616'),
    bad: css('--vscode-charts-red', '#f14c4c'),
    ok: css('--vscode-charts-green', '#89d185'),
    purple: css('--vscode-charts-purple', '#b180d7'),
    text: css('--vscode-foreground', '#ccc'),
    grid: css('--vscode-panel-border', 'rgba(128,128,128,0.3)'),
  };
}
export function alpha(c: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(c);
  if (!m) {
    return c;
  }
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? '∞' : '−∞';
  }
  if (Number.isInteger(v) && Math.abs(v) < 1e9) {
    return v.toLocaleString('en-US');
  }
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
    return v.toExponential(3);
  }
  return String(Number(v.toPrecision(4)));
}
export const pct = (v: number) => `${Number((v * 100).toPrecision(3))}%`;
export const missingOf = (m: MissingCounts) => m.missing + m.posInf + m.negInf + m.invalid;
export const basename = (p: string) => p.split(/[\\/]/).pop() ?? p;

export function button(
  text: string,
  onClick: () => void,
  opts: { className?: string; id?: string; title?: string } = {},
): HTMLButtonElement {
  const b = el('button', { text, className: opts.className ?? 'secondary', title: opts.title });
  if (opts.id) {
    b.id = opts.id;
  }
  b.addEventListener('click', onClick);
  return b;
}
