/**
 * Notebooks: reading the code cells of an .ipynb, blanking IPython syntax (magics, shell escapes, help) without
 * changing line numbers, and joining the cells (one newline between cells, as in the CLI's line numbering).
 */
import type { CellMap } from './analyze';
import type { NotebookCellInput } from './types';

/** Cell magics whose body is still Python (only the magic line is blanked); any other cell magic blanks the cell. */
const PYTHON_CELL_MAGICS = new Set([
  'time',
  'timeit',
  'capture',
  'prun',
  'debug',
  'memit',
  'mprun',
  'snakeviz',
  'skip',
  'heat',
  'pixie_debugger',
]);

/**
 * Replaces IPython-only lines by Python that parses, keeping the number of lines (and so every position):
 * `%magic`/`!cmd`/`?help` lines become `pass` at the same indentation, `x = %magic`/`x = !cmd` become `x = None`,
 * a line continued with `\` is blanked with its continuation lines, and a non-Python `%%cell` magic blanks the cell.
 */
export function blankMagics(source: string): string {
  const lines = source.split('\n');
  const firstCode = lines.findIndex(l => l.trim() !== '');
  if (firstCode >= 0) {
    const m = /^\s*%%(\w+)/.exec(lines[firstCode]);
    if (m) {
      if (!PYTHON_CELL_MAGICS.has(m[1])) {
        return lines.map(l => (l.endsWith('\r') ? '\r' : '')).join('\n');
      }
      lines[firstCode] = keepCr(lines[firstCode], '');
    }
  }
  let inString: '"""' | "'''" | undefined;
  let continuing = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (continuing) {
      continuing = /\\\r?$/.test(line);
      lines[i] = keepCr(line, '');
      continue;
    }
    if (!inString) {
      const indent = /^[ \t]*/.exec(line)![0];
      const rest = line.slice(indent.length);
      let replaced: string | undefined;
      if (/^(%|!)/.test(rest) || /^\?/.test(rest) || /^[\w.]+\?\??\s*\r?$/.test(rest)) {
        replaced = `${indent}pass`;
      } else {
        const asg = /^([\w.]+(?:\s*,\s*[\w.]+)*)\s*=\s*[%!]/.exec(rest);
        if (asg) {
          replaced = `${indent}${asg[1]} = None`;
        }
      }
      if (replaced !== undefined) {
        continuing = /\\\r?$/.test(line);
        lines[i] = keepCr(line, replaced);
        continue;
      }
    }
    inString = trackTripleQuotes(line, inString);
  }
  return lines.join('\n');
}

function keepCr(original: string, replacement: string): string {
  return original.endsWith('\r') ? `${replacement}\r` : replacement;
}

/** Approximate triple-quoted-string state after a line (so magic-looking lines inside strings are left alone). */
function trackTripleQuotes(line: string, state: '"""' | "'''" | undefined): '"""' | "'''" | undefined {
  let i = 0;
  while (i < line.length) {
    if (!state) {
      const hash = line.indexOf('#', i);
      const d = line.indexOf('"""', i);
      const s = line.indexOf("'''", i);
      const next = [d, s].filter(x => x >= 0).sort((a, b) => a - b)[0];
      if (next === undefined || (hash >= 0 && hash < next && !/["']/.test(line.slice(i, hash)))) {
        return state;
      }
      state = next === d ? '"""' : "'''";
      i = next + 3;
    } else {
      const end = line.indexOf(state, i);
      if (end < 0) {
        return state;
      }
      state = undefined;
      i = end + 3;
    }
  }
  return state;
}

export interface ParsedNotebook {
  cells: NotebookCellInput[];
  /** Kernel language when the notebook declares one (non-Python notebooks are not analysed). */
  language?: string;
}

/** Reads the code cells (with their notebook indices and text outputs) of an .ipynb JSON document. Throws on invalid JSON. */
export function parseNotebook(json: string): ParsedNotebook {
  const doc = JSON.parse(json) as unknown;
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { cells?: unknown }).cells)) {
    throw new Error('not a Jupyter notebook (no "cells" array)');
  }
  const nb = doc as {
    cells: unknown[];
    metadata?: { kernelspec?: { language?: unknown }; language_info?: { name?: unknown } };
  };
  const lang = nb.metadata?.kernelspec?.language ?? nb.metadata?.language_info?.name;
  const cells: NotebookCellInput[] = [];
  nb.cells.forEach((c, index) => {
    if (!c || typeof c !== 'object') {
      return;
    }
    const cell = c as { cell_type?: unknown; source?: unknown; outputs?: unknown };
    if (cell.cell_type !== 'code') {
      return;
    }
    cells.push({ index, source: joinText(cell.source), outputs: outputTexts(cell.outputs) });
  });
  return { cells, language: typeof lang === 'string' ? lang : undefined };
}

function joinText(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (Array.isArray(v)) {
    return v.filter(x => typeof x === 'string').join('');
  }
  return '';
}

function outputTexts(outputs: unknown): string[] {
  if (!Array.isArray(outputs)) {
    return [];
  }
  const out: string[] = [];
  for (const o of outputs) {
    if (!o || typeof o !== 'object') {
      continue;
    }
    const x = o as { text?: unknown; data?: Record<string, unknown> };
    if (x.text !== undefined) {
      out.push(joinText(x.text));
    }
    const plain = x.data?.['text/plain'];
    if (plain !== undefined) {
      out.push(joinText(plain));
    }
  }
  return out;
}

/** Joins code cells (magics blanked) with one newline between cells, and records where each cell starts. */
export function joinCells(cells: NotebookCellInput[]): { text: string; map: CellMap } {
  const parts: string[] = [];
  const map: CellMap = { cells: [] };
  let line = 0;
  cells.forEach((c, i) => {
    const text = blankMagics(c.source);
    const lines = text.split('\n');
    const lineCount = lines.length;
    let changed: Map<number, [number, number]> | undefined;
    if (text !== c.source) {
      const orig = c.source.split('\n');
      lines.forEach((l, j) => {
        if (l !== orig[j]) {
          (changed ??= new Map()).set(j, [l.replace(/\r$/, '').length, (orig[j] ?? '').replace(/\r$/, '').length]);
        }
      });
    }
    map.cells.push({ index: c.index ?? i, startLine: line, lineCount, outputs: c.outputs, changed });
    parts.push(text);
    line += lineCount;
  });
  return { text: parts.join('\n'), map };
}
