import { Db } from '../store/db';
import { isFeatureImportance } from './format';
import { RunSummary, listRunsWithMetrics, metricKeysOf } from '../queries';
import { LivenessEnv, withLiveness } from './liveness';

/** How the Runs view orders and filters runs (shared by the extension and `mlsight runs`). */
export interface RunSort {
  by: 'start' | 'name' | 'status' | 'metric';
  metric?: string;
  descending: boolean;
}
export interface RunFilter {
  terms: string[];
  status?: string;
  tags: { key: string; value?: string }[];
}

export const DEFAULT_SORT: RunSort = { by: 'start', descending: true };

/**
 * Parses a filter such as `resnet status:failed tag:team=vision lr=0.1`: plain words must all appear in the
 * run's name, id, params or tags (case-insensitive); `status:` matches the status; `tag:key` / `tag:key=value`
 * a tag; `key=value` a param or tag.
 */
export function parseRunFilter(text: string): RunFilter {
  const f: RunFilter = { terms: [], tags: [] };
  for (const tok of text.trim().split(/\s+/).filter(Boolean)) {
    const low = tok.toLowerCase();
    if (low.startsWith('status:')) {
      f.status = low.slice(7).toUpperCase();
      continue;
    }
    if (low.startsWith('tag:')) {
      const [key, ...v] = tok.slice(4).split('=');
      if (key) {
        f.tags.push({ key, value: v.length ? v.join('=') : undefined });
      }
      continue;
    }
    f.terms.push(low);
  }
  return f;
}

export function isEmptyFilter(f: RunFilter | undefined): boolean {
  return !f || (!f.terms.length && !f.status && !f.tags.length);
}

interface RunFacts {
  params: Record<string, string>;
  tags: Record<string, string>;
}

function loadFacts(db: Db, runIds: readonly string[]): Map<string, RunFacts> {
  const out = new Map<string, RunFacts>(runIds.map(id => [id, { params: {}, tags: {} }]));
  if (!runIds.length) {
    return out;
  }
  const marks = runIds.map(() => '?').join(',');
  for (const p of db.all<{ run_id: string; key: string; value: string }>(
    `SELECT run_id, key, value FROM params WHERE run_id IN (${marks})`,
    [...runIds],
  )) {
    out.get(p.run_id)!.params[p.key] = p.value;
  }
  for (const table of ['tags', 'user_tags']) {
    for (const t of db.all<{ run_id: string; key: string; value: string }>(
      `SELECT run_id, key, value FROM ${table} WHERE run_id IN (${marks})`,
      [...runIds],
    )) {
      out.get(t.run_id)!.tags[t.key] = t.value;
    }
  }
  return out;
}

function matches(r: RunSummary, facts: RunFacts, f: RunFilter): boolean {
  if (f.status && r.status !== f.status) {
    return false;
  }
  for (const t of f.tags) {
    const v = facts.tags[t.key];
    if (v === undefined || (t.value !== undefined && v !== t.value)) {
      return false;
    }
  }
  const hay = [
    r.name ?? '',
    r.id,
    r.note ?? '',
    ...Object.entries(facts.params).map(([k, v]) => `${k}=${v}`),
    ...Object.entries(facts.tags).map(([k, v]) => `${k}=${v}`),
  ]
    .join('\n')
    .toLowerCase();
  return f.terms.every(t => hay.includes(t));
}

const SCORE = /(acc|accuracy|f1|auc|roc|r2|precision|recall|score|map|ndcg|bleu)/i;
const LOSS = /(loss|error|rmse|mse|mae)/i;

/** The metric to show next to each run: the configured one, else the first score-like one, else a loss. */
export function pickKeyMetric(keys: readonly string[], configured?: string): string | undefined {
  if (configured && keys.includes(configured)) {
    return configured;
  }
  const usable = keys.filter(k => !isFeatureImportance(k));
  return (
    usable.find(k => SCORE.test(k) && !/train/i.test(k)) ??
    usable.find(k => SCORE.test(k)) ??
    usable.find(k => LOSS.test(k) && /val|test/i.test(k)) ??
    usable.find(k => LOSS.test(k)) ??
    usable[0]
  );
}

export interface RunRow extends RunSummary {
  keyMetric?: { key: string; value: number };
  /** why the status shown is not the log's (a RUNNING run whose process is gone shows as KILLED; liveness.ts) */
  statusNote?: string;
}

/** The runs of an experiment as the view shows them: filtered, sorted (starred first), with the key metric. */
export function runRows(
  db: Db,
  experimentId: string,
  sort: RunSort,
  filter?: RunFilter,
  keyMetric?: string,
  liveIn?: { folder: string; env?: LivenessEnv },
): RunRow[] {
  // One query: the runs with the latest values of the key metric and the sort metric joined in (those are the
  // only metrics the view shows or sorts by).
  const sortKey = sort.by === 'metric' ? sort.metric : undefined;
  let key = pickKeyMetric(metricKeysOf(db, experimentId), keyMetric);
  let runs = listRunsWithMetrics(db, experimentId, [key, sortKey]);
  // the cheap key index may name a key whose runs are gone: then pick from what the runs actually have
  if (key !== undefined && runs.length && !runs.some(r => r.values[0] !== undefined)) {
    const exact = pickKeyMetric(metricKeysOf(db, experimentId, true), keyMetric);
    if (exact !== key) {
      key = exact;
      runs = listRunsWithMetrics(db, experimentId, [key, sortKey]);
    }
  }
  // RUNNING runs whose process is gone show (and filter) as KILLED
  if (liveIn) {
    runs = withLiveness(db, liveIn.folder, runs, liveIn.env);
  }
  if (!isEmptyFilter(filter)) {
    const facts = loadFacts(
      db,
      runs.map(r => r.id),
    );
    runs = runs.filter(r => matches(r, facts.get(r.id)!, filter!));
  }
  const sortValues = new Map(runs.map(r => [r.id, r.values[1]]));
  const rows: RunRow[] = runs.map(({ values, ...r }) => {
    const v = values[0];
    return { ...r, keyMetric: key !== undefined && v !== undefined ? { key, value: v } : undefined };
  });
  const metricOf = (r: RunRow) => sortValues.get(r.id);
  const cmp = (a: RunRow, b: RunRow): number => {
    switch (sort.by) {
      case 'name':
        return (a.name ?? a.id).localeCompare(b.name ?? b.id);
      case 'status':
        return a.status.localeCompare(b.status);
      case 'metric': {
        const x = metricOf(a),
          y = metricOf(b);
        // runs without the metric (or NaN) always sort last
        const bad = (v: number | undefined) => v === undefined || Number.isNaN(v);
        if (bad(x) || bad(y)) {
          return bad(x) === bad(y) ? 0 : bad(x) ? (sort.descending ? -1 : 1) : sort.descending ? 1 : -1;
        }
        return x! - y!;
      }
      default:
        return (a.startTime ?? 0) - (b.startTime ?? 0);
    }
  };
  rows.sort((a, b) => (a.starred !== b.starred ? (a.starred ? -1 : 1) : sort.descending ? -cmp(a, b) : cmp(a, b)));
  return rows;
}

export function formatMetric(v: number): string {
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? 'inf' : '-inf';
  }
  if (Number.isInteger(v)) {
    return String(v);
  }
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(3) : v.toPrecision(4).replace(/\.?0+$/, '');
}
