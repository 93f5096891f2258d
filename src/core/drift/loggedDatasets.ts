/**
 * Datasets that runs logged (run.log_dataset), as candidates for a drift report's files: training data first, then
 * the newest runs. The store's SQL lives here, in the core; the pickers (src/drift/pickers.ts) only list the rows.
 */
import { Db } from '../store/db';

export interface LoggedDataset {
  name: string;
  role: string;
  path: string;
  run: string | null;
}

/** Logged datasets that have a path, training data first, newest runs first (at most `limit`). */
export function loggedDatasets(db: Db, limit = 200): LoggedDataset[] {
  return db.all<LoggedDataset>(
    `SELECT d.name, d.role, d.path, COALESCE(r.name, r.id) AS run FROM datasets d JOIN runs r ON r.id = d.run_id
     WHERE d.path IS NOT NULL ORDER BY (d.role = 'train') DESC, r.start_time DESC LIMIT ?`,
    [Math.max(1, Math.floor(limit))],
  );
}
