/**
 * The ML Sight runs the team tests share into a team backend: run ids (MLflow run_uuids), the start time, one test
 * set, and the two challengers the promotion gate is tried on (B failed, C finished; both val/auc 0.9 on the test set).
 */
import { writeRunLog } from '../helpers';

export const A = '0123456789abcdef0123456789abcdef';
export const B = 'fedcba9876543210fedcba9876543210';
export const C = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const T0 = 1_796_000_000_000;
export const TEST_SET = { type: 'dataset', name: 'test', role: 'test', digest: 'sha256:' + 'cd'.repeat(32), rows: 500 };

/** Runs B (FAILED: the gate refuses it) and C (FINISHED) of experiment churn, val/auc 0.9 on TEST_SET. */
export function writeChallengers(folder: string): void {
  for (const [id, name, t, status] of [
    [B, 'xgb-b', T0 + 1000, 'FAILED'],
    [C, 'xgb-c', T0 + 3000, 'FINISHED'],
  ] as const) {
    writeRunLog(folder, id, [
      { type: 'run', ts: t, run_id: id, experiment: 'churn', name },
      TEST_SET,
      { type: 'metric', key: 'val/auc', value: 0.9, step: 0, ts: t },
      { type: 'end', ts: t + 1000, status },
    ]);
  }
}
