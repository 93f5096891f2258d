/** The comparison table: one row per field, one column per run, diff-only filtering and deltas to a reference. */

export type CellValue = string | number | null;

export interface TableRow {
  section: 'param' | 'metric' | 'tag' | 'info' | 'dataset';
  key: string;
  /** one cell per run, in the order of the runs */
  values: CellValue[];
  /** true when not every run has the same value (missing counts as a value) */
  differs: boolean;
  /** value minus the reference run's value, for numeric cells; null where not computable */
  deltas?: (number | null)[];
  /** how to show each value when it is not the value itself (durations: "9m 0s" for 540 seconds) */
  display?: (string | null)[];
}

/** Parses a parameter value the way people read it: "0.10" and "0.1" are the same number. */
export function asNumber(v: CellValue): number | undefined {
  if (typeof v === 'number') {
    return v;
  }
  if (typeof v !== 'string' || v.trim() === '') {
    return undefined;
  }
  const s = v.trim().toLowerCase();
  if (s === 'nan') {
    return NaN;
  }
  if (s === 'inf' || s === 'infinity') {
    return Infinity;
  }
  if (s === '-inf' || s === '-infinity') {
    return -Infinity;
  }
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

function sameValue(a: CellValue, b: CellValue): boolean {
  if (a === b) {
    return true;
  }
  if (a === null || b === null) {
    return false;
  }
  const na = asNumber(a),
    nb = asNumber(b);
  if (na !== undefined && nb !== undefined) {
    return Object.is(na, nb) || na === nb || (Number.isNaN(na) && Number.isNaN(nb));
  }
  return String(a) === String(b);
}

/** Builds rows for one section from per-run key/value maps (keys sorted, union over runs). */
export function buildRows(
  section: TableRow['section'],
  perRun: readonly Record<string, CellValue>[],
  referenceIndex?: number,
): TableRow[] {
  const keys = [...new Set(perRun.flatMap(r => Object.keys(r)))].sort((a, b) => a.localeCompare(b));
  return keys.map(key => {
    const values = perRun.map(r => (key in r ? r[key] : null));
    const differs = values.some(v => !sameValue(v, values[0]));
    const row: TableRow = { section, key, values, differs };
    if (referenceIndex !== undefined && referenceIndex >= 0 && referenceIndex < values.length) {
      const ref = asNumber(values[referenceIndex]);
      row.deltas = values.map(v => {
        const n = asNumber(v);
        return n === undefined || ref === undefined || !Number.isFinite(n) || !Number.isFinite(ref) ? null : n - ref;
      });
    }
    return row;
  });
}

export function diffOnly(rows: readonly TableRow[]): TableRow[] {
  return rows.filter(r => r.differs);
}

/** Relative improvement over a baseline value, signed so that positive is better. */
export function improvement(value: number, baseline: number, higherIsBetter: boolean): number | null {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) {
    return null;
  }
  const rel = (value - baseline) / Math.abs(baseline);
  return higherIsBetter ? rel : -rel;
}

/** Guesses the direction of a metric from its name (loss/error/… lower is better). */
export function higherIsBetter(metricKey: string): boolean {
  return !/(loss|error|err\b|mse|mae|rmse|mape|logloss|perplexity|brier|latency|time|cost|regret|fpr|fnr|wer|cer)/i.test(
    metricKey,
  );
}

/** RFC 4180 CSV: fields with comma, quote or newline are quoted; quotes doubled. Formula-like cells are prefixed. */
export function toCsv(header: readonly string[], rows: readonly (readonly CellValue[])[]): string {
  const field = (v: CellValue) => {
    let s = v === null ? '' : typeof v === 'number' ? formatNumber(v) : v;
    // spreadsheet formula injection: a cell starting with = + - @ is made inert (unless it is a plain number)
    if (/^[=+\-@\t\r]/.test(s) && asNumber(s) === undefined) {
      s = `'${s}`;
    }
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map(r => r.map(field).join(',')).join('\r\n') + '\r\n';
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (v === Infinity) {
    return 'inf';
  }
  if (v === -Infinity) {
    return '-inf';
  }
  return String(v);
}
