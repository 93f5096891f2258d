/** Helpers over `PyNode` trees and their source text: positions, fields, literal values. */
import type { PyNode } from './parser';
import type { Range } from './types';

/** The analysed text with a line index for offset → (line, column) conversions. */
export class SourceText {
  readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      this.lineStarts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    const ls = this.lineStarts;
    let lo = 0;
    let hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ls[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  position(offset: number): { line: number; column: number } {
    const line = this.lineOf(offset);
    return { line, column: offset - this.lineStarts[line] };
  }

  range(start: number, end: number): Range {
    const s = this.position(start);
    const e = this.position(end);
    return { startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: e.column };
  }

  /** Offset just after the last character of a line (before its "\r\n" or "\n"). */
  lineEnd(line: number): number {
    if (line + 1 < this.lineStarts.length) {
      let end = this.lineStarts[line + 1] - 1;
      if (end > this.lineStarts[line] && this.text.charCodeAt(end - 1) === 13) {
        end--;
      }
      return end;
    }
    return this.text.length;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStarts[line], this.lineEnd(line));
  }

  /** Leading whitespace of a line. */
  indentOf(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))![0];
  }

  offsetOf(line: number, column: number): number {
    return this.lineStarts[line] + column;
  }

  slice(n: PyNode): string {
    return this.text.slice(n.start, n.end);
  }
}

export function field(n: PyNode, name: string): PyNode | undefined {
  for (const c of n.children) {
    if (c.field === name) {
      return c;
    }
  }
  return undefined;
}

export function fields(n: PyNode, name: string): PyNode[] {
  return n.children.filter(c => c.field === name);
}

/** Strips parentheses around an expression. */
export function unparen(n: PyNode): PyNode {
  while (n.type === 'parenthesized_expression' && n.children.length === 1) {
    n = n.children[0];
  }
  return n;
}

/** The value of a plain string literal (prefixes r/b/u allowed, no interpolation), else undefined. */
export function stringValue(n: PyNode, src: SourceText): string | undefined {
  if (n.type === 'concatenated_string') {
    let out = '';
    for (const c of n.children) {
      const v = stringValue(c, src);
      if (v === undefined) {
        return undefined;
      }
      out += v;
    }
    return out;
  }
  if (n.type !== 'string' || n.children.length) {
    return undefined;
  }
  // what /^([a-zA-Z]*)('''|"""|'|")([\s\S]*)\2$/ would capture as its third group, without a regular expression
  const text = src.text;
  let i = n.start;
  const end = n.end;
  while (i < end && isAsciiLetter(text.charCodeAt(i))) {
    i++;
  }
  for (const q of QUOTES) {
    if (end - i >= 2 * q.length && text.startsWith(q, i) && text.startsWith(q, end - q.length)) {
      return text.slice(i + q.length, end - q.length);
    }
  }
  return undefined;
}

const QUOTES = ["'''", '"""', "'", '"'];

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The numeric value of an integer/float literal (with an optional unary minus), else undefined. */
export function numberValue(n: PyNode, src: SourceText): number | undefined {
  n = unparen(n);
  if (n.type === 'integer' || n.type === 'float') {
    const raw = src.slice(n);
    const v = Number(/[_jJlL]/.test(raw) ? raw.replace(/_/g, '').replace(/[jJlL]$/, '') : raw);
    return Number.isFinite(v) ? v : undefined;
  }
  if (n.type === 'unary_operator' && n.children.length === 1 && src.slice(n).trimStart().startsWith('-')) {
    const v = numberValue(n.children[0], src);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

/** Dotted name of an identifier/attribute chain (`np.random.seed`), else undefined. */
export function dottedName(n: PyNode, src: SourceText): string | undefined {
  if (n.type === 'identifier') {
    return src.slice(n);
  }
  if (n.type === 'attribute') {
    const obj = field(n, 'object');
    const attr = field(n, 'attribute');
    if (!obj || !attr) {
      return undefined;
    }
    const base = dottedName(obj, src);
    return base === undefined ? undefined : `${base}.${src.slice(attr)}`;
  }
  return undefined;
}

/** The nearest ancestor that is a statement directly inside a block or module. */
export function enclosingStatement(n: PyNode): PyNode {
  let cur = n;
  while (cur.parent && cur.parent.type !== 'block' && cur.parent.type !== 'module') {
    cur = cur.parent;
  }
  return cur;
}

/** Call arguments split into positional nodes and keyword nodes (name → value). */
export interface CallArgs {
  positional: PyNode[];
  /** Read-only: calls without keyword arguments share one empty map. */
  keywords: ReadonlyMap<string, PyNode>;
  /** True if the call uses `*args` or `**kwargs` (positions/keywords are then incomplete). */
  splat: boolean;
  list: PyNode | undefined;
}

const NO_KEYWORDS: ReadonlyMap<string, PyNode> = new Map();

export function callArgs(call: PyNode, src: SourceText): CallArgs {
  const list = field(call, 'arguments');
  const out: CallArgs = { positional: [], keywords: NO_KEYWORDS, splat: false, list };
  if (!list) {
    return out;
  }
  if (list.type === 'generator_expression') {
    out.positional.push(list);
    return out;
  }
  let keywords: Map<string, PyNode> | undefined;
  for (const c of list.children) {
    if (c.type === 'keyword_argument') {
      const name = field(c, 'name');
      const value = field(c, 'value');
      if (name && value) {
        keywords ??= new Map();
        keywords.set(src.slice(name), value);
        out.keywords = keywords;
      }
    } else if (c.type === 'list_splat' || c.type === 'dictionary_splat') {
      out.splat = true;
    } else {
      out.positional.push(c);
    }
  }
  return out;
}

/** Short display text of an expression for messages (single line, at most `max` characters). */
export function shortText(n: PyNode, src: SourceText, max = 40): string {
  const raw = src.slice(n);
  // (no run of white space and none but single spaces: nothing to collapse)
  const t = (/\s\s|[^\S ]/.test(raw) ? raw.replace(/\s+/g, ' ') : raw).trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The methods defined in a class body: each definition, its name and its decorators' text ('' when none). */
export function classMethods(cls: PyNode, src: SourceText): { def: PyNode; name: string; decorators: string }[] {
  const out: { def: PyNode; name: string; decorators: string }[] = [];
  for (const s of field(cls, 'body')?.children ?? []) {
    const def = s.type === 'decorated_definition' ? field(s, 'definition') : s;
    const name = def?.type === 'function_definition' ? field(def, 'name') : undefined;
    if (def && name) {
      out.push({ def, name: src.slice(name), decorators: def === s ? '' : src.text.slice(s.start, def.start) });
    }
  }
  return out;
}

/** A loop over cross-validation folds: `for tr, va in kf.split(X, y)`, not `for w in line.split(',')`. */
export function isFoldLoop(l: PyNode, src: SourceText): boolean {
  const right = l.type === 'for_statement' ? field(l, 'right') : undefined;
  return !!right && /\.split\s*\(\s*[^)'"\s]/.test(src.slice(right));
}

/**
 * Rows selected, in a loop, as those before the current one (`df[df['Date'] < out.at[i, 'Date']]['Aces'].mean()`
 * for each row i): an as-of statistic of earlier rows, like a trailing window, learns nothing from later rows.
 */
export function asOfRows(dataNode: PyNode, loops: { targets: Set<string> }[], src: SourceText): boolean {
  const loopVars = new Set(loops.flatMap(l => [...l.targets]));
  if (!loopVars.size) {
    return false;
  }
  const ordered = (x: PyNode, depth: number): boolean => {
    if (x.type === 'comparison_operator' && /(^|[^<>])[<>]=?($|[^<>])/.test(src.slice(x))) {
      const uses = (y: PyNode, k: number): boolean =>
        (y.type === 'identifier' && loopVars.has(src.slice(y))) || (k < 6 && y.children.some(c => uses(c, k + 1)));
      return uses(x, 0);
    }
    return depth < 4 && x.children.some(c => ordered(c, depth + 1));
  };
  for (let x: PyNode | undefined = dataNode, i = 0; x && i < 6; i++) {
    if (x.type === 'subscript' && fields(x, 'subscript').some(k => ordered(k, 0))) {
      return true;
    }
    x = field(x, x.type === 'attribute' ? 'object' : x.type === 'call' ? 'function' : 'value');
  }
  return false;
}
