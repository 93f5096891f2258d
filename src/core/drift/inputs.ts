/**
 * Checks of the two inputs before anything is compared, and the column mapping:
 *  - `map` (reference name → current name) renames the current data's columns to the reference's names, so a
 *    reference's `churned`/`proba` can be compared with a current `label`/`prediction`;
 *  - data-quality findings: a file with no rows, no column in common, a reference column the current data lacks,
 *    a new column, a column whose kind changed (numbers ↔ text/booleans/dates), a column with no values on one
 *    side;
 *  - "nothing could be compared" is an error (DriftInputError, a DatasetError: exit 1 in the CLI), never a report
 *    that says "no drift".
 */
import { Column } from './columns';
import { DatasetError, Table } from './dataset';
import { ColumnDtype, DataQualityFinding } from './types';

export class DriftInputError extends DatasetError {
  constructor(
    message: string,
    file: string,
    readonly findings: DataQualityFinding[],
  ) {
    super(message, file);
    this.name = 'DriftInputError';
  }
}

/** Parses `reference_name=current_name` pairs (CLI --map, the webview's setting). */
export function parseColumnMap(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf('=');
    const ref = at > 0 ? p.slice(0, at).trim() : '';
    const cur = at > 0 ? p.slice(at + 1).trim() : '';
    if (!ref || !cur) {
      throw new Error(`"${p}" is not reference_name=current_name`);
    }
    if (Object.prototype.hasOwnProperty.call(out, ref)) {
      throw new Error(`"${ref}" is mapped twice`);
    }
    out[ref] = cur;
  }
  const targets = Object.values(out);
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup !== undefined) {
    throw new Error(`the current column "${dup}" is mapped twice`);
  }
  return out;
}

/**
 * The current table with mapped columns renamed to their reference names (a current column that already has the
 * reference name is set aside, with a warning), and the option names translated: a target/prediction/time given by
 * its current name is taken as the reference name it maps from.
 */
export function applyMapping(
  current: Table,
  map: Readonly<Record<string, string>>,
  warnings: string[],
): { current: Table; rename: (name: string | null | undefined) => string | null | undefined } {
  const entries = Object.entries(map).filter(([r, c]) => r !== c);
  if (!entries.length) {
    return { current, rename: n => n };
  }
  const byCurrent = new Map(entries.map(([r, c]) => [c, r]));
  const names = new Set(current.columns.map(c => c.name));
  for (const [r, c] of entries) {
    if (!names.has(c)) {
      warnings.push(`Column mapping ${r}=${c}: the current data has no column "${c}".`);
    }
  }
  const mappedTo = new Set(entries.filter(([, c]) => names.has(c)).map(([r]) => r));
  const columns: Column[] = [];
  for (const col of current.columns) {
    const to = byCurrent.get(col.name);
    if (to !== undefined) {
      columns.push({ ...col, name: to });
      continue;
    }
    if (mappedTo.has(col.name)) {
      warnings.push(
        `Column mapping: the current column "${col.name}" is left out because "${map[col.name]}" is mapped to that name.`,
      );
      continue;
    }
    columns.push(col);
  }
  const rename = (n: string | null | undefined) => (n && byCurrent.has(n) && names.has(n) ? byCurrent.get(n)! : n);
  return { current: { ...current, columns }, rename };
}

type Kind = 'number' | 'text' | 'boolean' | 'datetime' | 'empty';

function kindOf(d: ColumnDtype): Kind {
  switch (d) {
    case 'integer':
    case 'float':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'datetime':
      return 'datetime';
    case 'empty':
      return 'empty';
    default:
      return 'text';
  }
}

const DTYPE_WORDS: Readonly<Record<ColumnDtype, string>> = {
  integer: 'integers',
  float: 'numbers',
  boolean: 'booleans',
  string: 'text',
  text: 'free text',
  datetime: 'dates',
  empty: 'no values',
};

/** The data-quality findings of two tables (after mapping); `ignore`: columns never analysed (excluded ones). */
export function findDataQuality(reference: Table, current: Table, ignore: ReadonlySet<string>): DataQualityFinding[] {
  const out: DataQualityFinding[] = [];
  const base = (t: Table) => t.path.split(/[\\/]/).pop() ?? t.path;
  for (const [t, which] of [
    [reference, 'reference'],
    [current, 'current'],
  ] as const) {
    if (t.rows === 0) {
      out.push({ code: 'no-rows', severity: 'error', message: `The ${which} data (${base(t)}) has no rows.` });
    }
  }
  const refCols = new Map(reference.columns.map(c => [c.name, c]));
  const curCols = new Map(current.columns.map(c => [c.name, c]));
  const shared = reference.columns.filter(c => curCols.has(c.name) && !ignore.has(c.name));
  if (!shared.length && (reference.columns.length || current.columns.length)) {
    out.push({
      code: 'no-shared-columns',
      severity: 'error',
      message: `The two files have no column in common (reference: ${list(reference.columns.map(c => c.name))}; current: ${list(current.columns.map(c => c.name))}). Map names with --map reference_name=current_name (or the report's column mapping).`,
    });
  }
  const missing = reference.columns.filter(c => !curCols.has(c.name) && !ignore.has(c.name));
  for (const c of missing) {
    out.push({
      code: 'missing-column',
      severity: 'warning',
      column: c.name,
      message: `The current data has no column "${c.name}" (the reference has it).`,
    });
  }
  for (const c of current.columns) {
    if (!refCols.has(c.name) && !ignore.has(c.name)) {
      out.push({
        code: 'new-column',
        severity: 'info',
        column: c.name,
        message: `The current data has a new column "${c.name}" (not in the reference).`,
      });
    }
  }
  for (const r of shared) {
    const c = curCols.get(r.name)!;
    const kr = kindOf(r.dtype);
    const kc = kindOf(c.dtype);
    if (kr === 'empty' || kc === 'empty') {
      if (kr !== kc && r.length && c.length) {
        out.push({
          code: 'all-missing',
          severity: 'warning',
          column: r.name,
          message: `Column "${r.name}" has no values in the ${kr === 'empty' ? 'reference' : 'current'} data.`,
        });
      }
      continue;
    }
    if (kr !== kc) {
      out.push({
        code: 'type-changed',
        severity: 'warning',
        column: r.name,
        message: `Column "${r.name}" changed type: ${DTYPE_WORDS[r.dtype]} in the reference, ${DTYPE_WORDS[c.dtype]} in the current data.`,
      });
    }
  }
  return out;
}

function list(names: string[]): string {
  if (!names.length) {
    return 'none';
  }
  const shown = names
    .slice(0, 6)
    .map(n => `"${n}"`)
    .join(', ');
  return names.length > 6 ? `${shown}, … (${names.length})` : shown;
}

/** Throws when nothing could be compared: an empty file, no shared column, or no column analysed. */
export function assertComparable(
  findings: DataQualityFinding[],
  analysed: number,
  current: Table,
  skippedReasons: string[],
): void {
  const errors = findings.filter(f => f.severity === 'error');
  if (errors.length) {
    throw new DriftInputError(
      `Nothing could be compared: ${errors.map(e => e.message).join(' ')}`,
      current.path,
      findings,
    );
  }
  if (analysed === 0) {
    const why = skippedReasons.length
      ? ` (${skippedReasons.slice(0, 5).join('; ')}${skippedReasons.length > 5 ? '; …' : ''})`
      : '';
    throw new DriftInputError(`Nothing could be compared: no column could be analysed${why}.`, current.path, findings);
  }
}
