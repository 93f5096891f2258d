/** Building blocks for quick fixes: text edits expressed as offsets into the analysed text. */
import type { PyNode } from './parser';
import { SourceText, callArgs, enclosingStatement, field } from './syntax';

export interface RawEdit {
  start: number;
  end: number;
  newText: string;
}
export interface RawFix {
  title: string;
  edits: RawEdit[];
}

export class FixBuilder {
  /** `cellStarts`: first line of every notebook cell (sorted), so that edits never cross a cell boundary. */
  constructor(
    readonly src: SourceText,
    readonly root: PyNode,
    private readonly cellStarts: number[] = [],
    private readonly importedNames: ReadonlySet<string> = new Set(),
  ) {}

  private isCellStart(line: number): boolean {
    return line === 0 || this.cellStarts.includes(line);
  }

  replace(n: PyNode, text: string): RawEdit {
    return { start: n.start, end: n.end, newText: text };
  }

  /**
   * Adds `name=value` to a call, or replaces an existing `name=None`. Inserts before the closing parenthesis,
   * keeping a trailing comma style.
   */
  addKeyword(call: PyNode, name: string, value: string): RawEdit | undefined {
    const args = callArgs(call, this.src);
    const existing = args.keywords.get(name);
    if (existing) {
      return existing.type === 'none' ? this.replace(existing, value) : undefined;
    }
    const list = args.list;
    if (!list || list.type !== 'argument_list') {
      return undefined;
    }
    const text = this.src.text;
    const close = list.end - 1;
    if (text[close] !== ')') {
      return undefined;
    }
    const last = list.children[list.children.length - 1];
    if (!last) {
      return { start: close, end: close, newText: `${name}=${value}` };
    }
    // Between the last argument and ")": maybe a trailing comma, whitespace and comments.
    const between = text.slice(last.end, close);
    const comma = between.indexOf(',');
    const hash = between.indexOf('#');
    if (comma >= 0 && (hash < 0 || comma < hash)) {
      const at = last.end + comma + 1;
      return { start: at, end: at, newText: ` ${name}=${value},` };
    }
    return { start: last.end, end: last.end, newText: `, ${name}=${value}` };
  }

  /** The statement containing `n`, if it stands alone on its lines (no `;` neighbours). */
  ownStatement(n: PyNode): PyNode | undefined {
    const stmt = enclosingStatement(n);
    const first = this.src.lineOf(stmt.start);
    const last = this.src.lineOf(stmt.end);
    const before = this.src.text.slice(this.src.lineStarts[first], stmt.start);
    const after = this.src.text.slice(stmt.end, this.src.lineEnd(last));
    if (before.trim() !== '' || !/^\s*(#.*)?$/.test(after)) {
      return undefined;
    }
    return stmt;
  }

  /** Deletes the whole lines of a statement (which must stand alone on them). */
  deleteStatement(stmt: PyNode): RawEdit {
    const first = this.src.lineOf(stmt.start);
    const last = this.src.lineOf(stmt.end);
    const start = this.src.lineStarts[first];
    const nextLine = last + 1;
    if (nextLine < this.src.lineCount && !this.isCellStart(nextLine)) {
      return { start, end: this.src.lineStarts[nextLine], newText: '' };
    }
    // Last line of the file or cell: take the newline before it instead (unless it starts the cell).
    if (!this.isCellStart(first)) {
      return { start: this.src.lineEnd(first - 1), end: this.src.lineEnd(last), newText: '' };
    }
    return { start, end: this.src.lineEnd(last), newText: '' };
  }

  /** Inserts lines after a statement, with the statement's indentation. */
  insertAfter(stmt: PyNode, lines: string[]): RawEdit {
    const last = this.src.lineOf(stmt.end);
    const indent = this.src.indentOf(this.src.lineOf(stmt.start));
    const at = this.src.lineEnd(last);
    return { start: at, end: at, newText: lines.map(l => `\n${indent}${l}`).join('') };
  }

  /** True if the source already imports `name` (as the bound name of an import). */
  imports(name: string): boolean {
    return this.importedNames.has(name);
  }

  /**
   * Inserts a line after the last top-level import that comes before `before` (or at the top). For an import line,
   * returns undefined when the name is already imported (nothing to do); `force` inserts regardless.
   */
  addImport(line: string, before: number, force = false): RawEdit | undefined {
    const name = /(\w+)\s*$/.exec(line)?.[1];
    if (!force && name && this.imports(name)) {
      return undefined;
    }
    let lastImport: PyNode | undefined;
    for (const s of this.root.children) {
      if (s.start >= before) {
        break;
      }
      if (s.type === 'import_statement' || s.type === 'import_from_statement' || s.type === 'future_import_statement') {
        lastImport = s;
      }
    }
    if (lastImport) {
      const at = this.src.lineEnd(this.src.lineOf(lastImport.end));
      return { start: at, end: at, newText: `\n${line}` };
    }
    const first = this.root.children[0];
    if (first && first.type === 'expression_statement' && first.children[0]?.type === 'string' && first.end < before) {
      const at = this.src.lineEnd(this.src.lineOf(first.end));
      return { start: at, end: at, newText: `\n${line}` };
    }
    const at = first ? this.src.lineStarts[this.src.lineOf(first.start)] : 0;
    return { start: at, end: at, newText: `${line}\n` };
  }

  /** Edits renaming every use of the variable `from` inside `n` (not attribute names or keyword names). */
  renameIn(n: PyNode, from: string, to: string): RawEdit[] {
    const out: RawEdit[] = [];
    const visit = (x: PyNode) => {
      if (x.type === 'identifier') {
        const p = x.parent;
        const isAttrName = p?.type === 'attribute' && x.field === 'attribute';
        const isKwName = p?.type === 'keyword_argument' && x.field === 'name';
        if (!isAttrName && !isKwName && this.src.slice(x) === from) {
          out.push(this.replace(x, to));
        }
        return;
      }
      for (const c of x.children) {
        visit(c);
      }
    };
    visit(n);
    return out;
  }

  /** `name = …` statement: the assignment node if `stmt` is exactly one assignment. */
  assignmentOf(stmt: PyNode): { left: PyNode; right: PyNode } | undefined {
    if (stmt.type !== 'expression_statement' || stmt.children.length !== 1) {
      return undefined;
    }
    const a = stmt.children[0];
    if (a.type !== 'assignment') {
      return undefined;
    }
    const left = field(a, 'left');
    const right = field(a, 'right');
    return left && right ? { left, right } : undefined;
  }

  /** A variable name derived from a class name (StandardScaler → standard_scaler) that the file does not use yet. */
  freshName(cls: string): string {
    const base =
      cls
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '') || 'transformer';
    let name = base;
    for (let i = 2; new RegExp(`\\b${name}\\b`).test(this.src.text) && i < 100; i++) {
      name = `${base}_${i}`;
    }
    return name;
  }
}

/** Whether two edits overlap (fixes must not contain overlapping edits). */
export function editsOverlap(edits: RawEdit[]): boolean {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) {
      return true;
    }
    if (
      sorted[i].start === sorted[i - 1].start &&
      sorted[i].start === sorted[i].end &&
      sorted[i - 1].start === sorted[i - 1].end
    ) {
      continue;
    }
  }
  return false;
}
