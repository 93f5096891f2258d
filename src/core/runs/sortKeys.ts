import { Db } from '../store/db';

/** The metric keys runs can be sorted by (feature importances excluded), at most `limit`, in key order. */
export function sortableMetricKeys(db: Db, limit = 500): string[] {
  return db
    .all<{ key: string }>(
      `SELECT DISTINCT key FROM latest_metrics WHERE key NOT LIKE 'feature_importance/%' ORDER BY key LIMIT ?`,
      [limit],
    )
    .map(r => r.key);
}
