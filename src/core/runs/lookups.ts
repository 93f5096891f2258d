/** Small named reads the editor adapters need about one run or experiment (no SQL outside src/core). */
import { Db } from '../store/db';

/** The experiment a run belongs to, or undefined when the run is not in the store. */
export function experimentIdOfRun(db: Db, runId: string): string | undefined {
  return db.scalar<string>('SELECT experiment_id FROM runs WHERE id = ?', [runId]) ?? undefined;
}

/** An experiment's display name, or undefined when it is not in the store. */
export function experimentName(db: Db, experimentId: string): string | undefined {
  return db.scalar<string>('SELECT name FROM experiments WHERE id = ?', [experimentId]) ?? undefined;
}

/** A run's display name (its name, else the first 8 characters of its id), or undefined when it is not stored. */
export function runDisplayName(db: Db, runId: string): string | undefined {
  const row = db.all<{ name: string | null }>('SELECT name FROM runs WHERE id = ?', [runId])[0];
  return row ? row.name || runId.slice(0, 8) : undefined;
}
