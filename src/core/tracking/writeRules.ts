/**
 * What every SQL tracking backend (PostgreSQL, SQLite) writes the way MLflow's SQLAlchemy store does: metric values
 * (NaN as 0 + is_nan, ±inf as ±max double), the point latest_metrics keeps, and MLflow's limits on what a run holds.
 */
import { compareStepTs, valueWins } from '../store/series';
import { AliasMoveRequest, RUN_UUID, SQL_INF, SyncRun, TeamMetric, TrackingError } from './types';

/** A metric value as MLflow's SQL store keeps it: NaN → (0, is_nan), ±inf → ±1.7976931348623157e308. */
export function toSqlMetric(v: number): { value: number; isNan: boolean } {
  if (Number.isNaN(v)) {
    return { value: 0, isNan: true };
  }
  if (v === Infinity) {
    return { value: SQL_INF, isNan: false };
  }
  if (v === -Infinity) {
    return { value: -SQL_INF, isNan: false };
  }
  return { value: v, isNan: false };
}

/** The point MLflow's latest_metrics keeps: greatest (step, timestamp), then value. `points` is not empty. */
export function latestPoint(points: readonly TeamMetric[]): TeamMetric {
  let best = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i],
      b = points[best];
    const cmp = compareStepTs(p.step, p.timestamp ?? 0, b.step, b.timestamp ?? 0);
    if (cmp > 0 || (cmp === 0 && valueWins(p.value, b.value))) {
      best = i;
    }
  }
  return points[best];
}

export function validateSyncRun(r: SyncRun): void {
  const bad = (what: string) => {
    throw new TrackingError('INVALID', `run ${r.runUuid}: ${what}`);
  };
  if (!RUN_UUID.test(r.runUuid)) {
    bad('run ids in MLflow are 32 lowercase hex digits');
  }
  if (!r.experimentName || r.experimentName.length > 256) {
    bad('experiment names are 1 to 256 characters in MLflow');
  }
  if (r.name && r.name.length > 250) {
    bad('run names are at most 250 characters in MLflow');
  }
  for (const [k, v] of r.params) {
    if (k.length > 250 || v.length > 8000) {
      bad(`param ${JSON.stringify(k.slice(0, 40))} exceeds MLflow's limits (key 250, value 8000)`);
    }
  }
  for (const [k, v] of r.tags) {
    if (k.length > 250 || v.length > 8000) {
      bad(`tag ${JSON.stringify(k.slice(0, 40))} exceeds MLflow's limits (key 250, value 8000)`);
    }
  }
  for (const k of r.metrics.keys()) {
    if (k.length > 250) {
      bad(`metric key ${JSON.stringify(k.slice(0, 40))} exceeds 250 characters`);
    }
  }
}

/**
 * The check every backend makes before it moves an alias (under its lock where it has one): the alias must still
 * point where the caller saw it (else CONFLICT, nothing written), and a removal needs an alias to remove. Returns the
 * version the move's tags are written on: the alias's new version, or for a removal the version it pointed to.
 */
export function checkAliasMove(req: AliasMoveRequest, from: number | null): number {
  if (from !== req.expectedVersion) {
    const now = from === null ? 'is unset (someone removed it)' : `now points to version ${from}`;
    const was = req.expectedVersion === null ? 'unset' : `version ${req.expectedVersion}`;
    throw new TrackingError(
      'CONFLICT',
      `${req.model}@${req.alias} ${now}, not ${was} as when this change was decided: someone else moved it ` +
        'meanwhile. Nothing was changed; review the new state and try again.',
    );
  }
  const tagged = req.version ?? from;
  if (tagged === null) {
    throw new TrackingError('NOT_FOUND', `${req.model} has no alias @${req.alias} to remove`);
  }
  return tagged;
}
