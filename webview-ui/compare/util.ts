// Colours and number formatting shared by the comparison webview's sections.
import { CellValue } from '../../src/core/compare/table';
import { DeltaMode } from '../../src/core/compare/shape';
import { css } from '../shared/theme';
import type { Shown } from './main';

export function palette(): string[] {
  return [
    '--vscode-charts-blue',
    '--vscode-charts-orange',
    '--vscode-charts-green',
    '--vscode-charts-red',
    '--vscode-charts-purple',
    '--vscode-charts-yellow',
  ].map((v, i) => css(v, ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'][i]));
}
export function colorOf(i: number): string {
  const p = palette();
  return p[i % p.length];
}
export function dash(i: number): number[] {
  return i < 6 ? [] : i < 12 ? [6, 3] : [2, 3];
}

export function fmt(v: CellValue | undefined): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3
        ? v.toExponential(4)
        : v.toPrecision(6).replace(/\.?0+$/, '');
  }
  return v;
}
export function deltaMode(s: Shown): DeltaMode {
  return s.deltaMode === 'relative' ? 'relative' : 'absolute';
}
