/**
 * A/B data in: arm counts typed by a person ("120/1000"), summaries ("n:mean:sd"), or a file of outcomes.
 *
 * Outcome files (CSV with a header, or JSON Lines) come in two shapes:
 *  - one row per request/unit: a `variant` column (`champion`/`challenger`; also `control`/`treatment`, `A`/`B`,
 *    `baseline`/`canary`) and one column per metric, as `mlsight.log_outcome` writes to
 *    `.mlsight/ab/<model>.jsonl` (`model`, `variant`, `request_key`, metric fields). A metric whose values are
 *    all 0/1 (or true/false) is binary (two-proportion z-test), any other is continuous (Welch).
 *  - one row per arm (and metric): `variant`, optional `metric`, `n`, and `successes` (or `conversions`) for a
 *    binary metric, or `mean` with `sd` (or `std`, `variance`) for a continuous one.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { parseJsonl } from '../jsonl';
import { ArmSummary, StatsInputError, summarize } from '../stats';
import type { AbMetricData, ArmName } from './abAnalysis';

const VARIANT_NAMES: Record<string, ArmName> = {
  champion: 'champion',
  control: 'champion',
  a: 'champion',
  baseline: 'champion',
  production: 'champion',
  challenger: 'challenger',
  treatment: 'challenger',
  b: 'challenger',
  canary: 'challenger',
  candidate: 'challenger',
};

export function armOf(variant: unknown): ArmName | undefined {
  return typeof variant === 'string' ? VARIANT_NAMES[variant.trim().toLowerCase()] : undefined;
}

/** "120/1000" → 120 successes out of 1000. */
export function parseCounts(text: string, what = 'arm'): { successes: number; n: number } {
  const m = /^\s*(\d+)\s*(?:\/|of|out of)\s*(\d+)\s*$/i.exec(text);
  if (!m) {
    throw new StatsInputError(`the ${what} should be "successes/n", e.g. 120/1000 (got ${JSON.stringify(text)})`);
  }
  const successes = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || successes > n) {
    throw new StatsInputError(
      `the ${what} has ${successes} successes out of ${n}; successes must be between 0 and n, and n at least 1`,
    );
  }
  return { successes, n };
}

/** "500:10.2:2.1" (n:mean:sd) → an arm summary (variance = sd²). */
export function parseMeanSummary(text: string, what = 'arm'): ArmSummary {
  const parts = text
    .split(/[:,;\s]+/)
    .filter(Boolean)
    .map(Number);
  if (parts.length !== 3 || parts.some(x => !Number.isFinite(x))) {
    throw new StatsInputError(`the ${what} should be "n:mean:sd", e.g. 500:10.2:2.1 (got ${JSON.stringify(text)})`);
  }
  const [n, mean, sd] = parts;
  if (!Number.isInteger(n) || n < 2) {
    throw new StatsInputError(`the ${what} needs a whole number n ≥ 2 (got ${n})`);
  }
  if (sd < 0) {
    throw new StatsInputError(`the ${what}'s standard deviation cannot be negative`);
  }
  return { n, mean, variance: sd * sd };
}

export interface OutcomeTable {
  /** per unit: arm → metric → values (missing values left out) */
  units: Record<ArmName, Map<string, number[]>> | null;
  /** per arm aggregates: metric ('' when the file has no metric column) → arm → data */
  aggregates: Map<
    string,
    Partial<Record<ArmName, { n: number; successes?: number; mean?: number; variance?: number }>>
  > | null;
  /** metric columns (per-unit files) or metric names (aggregate files) */
  metrics: string[];
  rows: number;
  skipped: { line: number; reason: string }[];
}

const RESERVED = new Set([
  'version',
  'variant',
  'arm',
  'group',
  'model',
  'request_key',
  'key',
  'unit',
  'user_id',
  'ts',
  'timestamp',
  'time',
  'id',
  'request_id',
]);

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : undefined;
  }
  if (typeof v === 'boolean') {
    return v ? 1 : 0;
  }
  if (typeof v !== 'string') {
    return undefined;
  }
  const t = v.trim().toLowerCase();
  if (t === '') {
    return undefined;
  }
  if (t === 'true') {
    return 1;
  }
  if (t === 'false') {
    return 0;
  }
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
}

/** Parses an outcomes file. `format` defaults to JSON Lines when the text starts with "{", else CSV. */
export function parseOutcomes(
  text: string,
  options: {
    format?: 'csv' | 'jsonl';
    model?: string;
    variantColumn?: string;
    /** per-unit rows only: false leaves the row out (version attribution, abAttribution.ts) */
    accept?: (row: Record<string, unknown>, arm: ArmName) => boolean;
  } = {},
): OutcomeTable {
  const format = options.format ?? (text.trimStart().startsWith('{') ? 'jsonl' : 'csv');
  let records: { line: number; value: Record<string, unknown> }[];
  const skipped: OutcomeTable['skipped'] = [];
  if (format === 'jsonl') {
    const chunk = parseJsonl<Record<string, unknown>>(Buffer.from(text.endsWith('\n') ? text : text + '\n', 'utf8'));
    for (const e of chunk.errors) {
      skipped.push({ line: e.line, reason: `not JSON (${e.message})` });
    }
    records = chunk.records.filter(r => r.value && typeof r.value === 'object' && !Array.isArray(r.value));
  } else {
    let rows: Record<string, string>[];
    try {
      rows = parseCsv<Record<string, string>>(text, {
        columns: (h: string[]) => h.map(c => c.trim()),
        skip_empty_lines: true,
        bom: true,
        trim: true,
        relax_column_count: true,
      });
    } catch (e) {
      throw new StatsInputError(`the CSV file could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    records = rows.map((value, i) => ({ line: i + 2, value }));
  }
  const variantCol =
    options.variantColumn ?? (records[0] && ['variant', 'arm', 'group'].find(c => c in records[0].value)) ?? 'variant';
  const keys = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r.value)) {
      keys.add(k);
    }
  }
  const lower = new Map([...keys].map(k => [k.toLowerCase(), k]));
  const aggregate = lower.has('n') && (lower.has('successes') || lower.has('conversions') || lower.has('mean'));
  const out: OutcomeTable = { units: null, aggregates: null, metrics: [], rows: 0, skipped };
  if (aggregate) {
    const col = (name: string) => lower.get(name);
    const metricCol = col('metric');
    const agg = new Map<
      string,
      Partial<Record<ArmName, { n: number; successes?: number; mean?: number; variance?: number }>>
    >();
    for (const r of records) {
      const arm = armOf(r.value[variantCol]);
      if (!arm) {
        skipped.push({ line: r.line, reason: `unknown variant ${JSON.stringify(r.value[variantCol] ?? null)}` });
        continue;
      }
      if (options.model && 'model' in r.value && r.value.model !== options.model) {
        continue;
      }
      const metric = metricCol ? String(r.value[metricCol] ?? '') : '';
      const n = toNumber(r.value[col('n')!]);
      if (n === undefined) {
        skipped.push({ line: r.line, reason: 'no n' });
        continue;
      }
      const succ = toNumber(r.value[col('successes') ?? col('conversions') ?? '']);
      const mean = toNumber(r.value[col('mean') ?? '']);
      const sd = toNumber(r.value[col('sd') ?? col('std') ?? col('stddev') ?? '']);
      const variance = toNumber(r.value[col('variance') ?? '']) ?? (sd !== undefined ? sd * sd : undefined);
      const entry = agg.get(metric) ?? {};
      entry[arm] = { n, successes: succ, mean, variance };
      agg.set(metric, entry);
      out.rows++;
    }
    out.aggregates = agg;
    out.metrics = [...agg.keys()];
    return out;
  }
  const units: Record<ArmName, Map<string, number[]>> = { champion: new Map(), challenger: new Map() };
  const metricKeys = [...keys].filter(k => k !== variantCol && !RESERVED.has(k.toLowerCase()));
  for (const r of records) {
    if (options.model && 'model' in r.value && r.value.model !== options.model) {
      continue;
    }
    const arm = armOf(r.value[variantCol]);
    if (!arm) {
      skipped.push({ line: r.line, reason: `unknown variant ${JSON.stringify(r.value[variantCol] ?? null)}` });
      continue;
    }
    if (options.accept && !options.accept(r.value, arm)) {
      continue;
    }
    out.rows++;
    for (const k of metricKeys) {
      const x = toNumber(r.value[k]);
      if (x === undefined) {
        continue;
      }
      const list = units[arm].get(k) ?? [];
      list.push(x);
      units[arm].set(k, list);
    }
  }
  out.units = units;
  out.metrics = metricKeys.filter(k => units.champion.has(k) || units.challenger.has(k));
  return out;
}

/** The data of one metric from an outcomes table, as a binary (proportion) or continuous (mean) metric. */
export function metricData(table: OutcomeTable, metric: string): AbMetricData {
  if (table.aggregates) {
    const entry =
      table.aggregates.get(metric) ??
      (table.aggregates.size === 1 && table.aggregates.has('') ? table.aggregates.get('') : undefined);
    if (!entry) {
      throw new StatsInputError(
        `the file has no rows for metric ${JSON.stringify(metric)} (it has ${[...table.aggregates.keys()].map(k => JSON.stringify(k)).join(', ') || 'none'})`,
      );
    }
    const a = entry.champion;
    const b = entry.challenger;
    if (!a || !b) {
      throw new StatsInputError(`metric ${JSON.stringify(metric)} needs a champion row and a challenger row`);
    }
    if (a.successes !== undefined && b.successes !== undefined) {
      return {
        kind: 'proportion',
        champion: { successes: a.successes, n: a.n },
        challenger: { successes: b.successes, n: b.n },
      };
    }
    if (a.mean !== undefined && b.mean !== undefined && a.variance !== undefined && b.variance !== undefined) {
      return {
        kind: 'mean',
        champion: { n: a.n, mean: a.mean, variance: a.variance },
        challenger: { n: b.n, mean: b.mean, variance: b.variance },
      };
    }
    throw new StatsInputError(
      `metric ${JSON.stringify(metric)}: each arm needs successes (binary) or mean and sd (continuous)`,
    );
  }
  const u = table.units!;
  const a = u.champion.get(metric) ?? [];
  const b = u.challenger.get(metric) ?? [];
  if (a.length === 0 || b.length === 0) {
    throw new StatsInputError(
      `metric ${JSON.stringify(metric)} needs values in both arms (champion ${a.length}, challenger ${b.length})`,
    );
  }
  const binary = [...a, ...b].every(x => x === 0 || x === 1);
  if (binary) {
    const ones = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    return {
      kind: 'proportion',
      champion: { successes: ones(a), n: a.length },
      challenger: { successes: ones(b), n: b.length },
    };
  }
  const sa = summarize(a, 'champion arm');
  const sb = summarize(b, 'challenger arm');
  return {
    kind: 'mean',
    champion: { n: sa.n, mean: sa.mean, variance: sa.variance },
    challenger: { n: sb.n, mean: sb.mean, variance: sb.variance },
  };
}
