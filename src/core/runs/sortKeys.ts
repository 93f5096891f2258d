import { Db } from '../store/db';
import { FEATURE_IMPORTANCE_PREFIX } from './format';

/** The metric keys runs can be sorted by (feature importances excluded), at most `limit`, in key order. */
export function sortableMetricKeys(db: Db, limit = 500): string[] {
  return db
    .all<{ key: string }>(`SELECT DISTINCT key FROM latest_metrics WHERE substr(key, 1, ?) <> ? ORDER BY key LIMIT ?`, [
      FEATURE_IMPORTANCE_PREFIX.length,
      FEATURE_IMPORTANCE_PREFIX,
      limit,
    ])
    .map(r => r.key);
}
