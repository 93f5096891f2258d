/**
 * Shared by the MLflow ingest tests (ingestMlflow*.test.ts): hostile and 18-digit names, the test store, and a
 * FileStore tree exercising every quirk in the format notes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MlrunsBuilder, hex32, openTestStore } from './ingestFixtures';

export const HOSTILE = '<img src=x onerror=alert(1)>';
export const BIG_EXP = '123456789012345678'; // 18 digits, above Number.MAX_SAFE_INTEGER

export const openStore = (ws: string) => openTestStore(ws);

/** A FileStore tree exercising every quirk in the format notes. */
export function buildQuirkyTree(ws: string): { mb: MlrunsBuilder; runA: string; runB: string; runDel: string } {
  const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
  mb.experiment('0', 'Default');
  mb.experiment(BIG_EXP, 'iris', { creation_time: 1700000000000 });
  const runA = hex32(0xa);
  mb.run(BIG_EXP, {
    runId: runA,
    meta: {
      run_name: undefined,
      status: 3,
      end_time: 1700000009000,
      start_time: 1700000000000,
      experiment_id: BIG_EXP,
    },
    params: { C: '1.0', kernel: 'rbf', [HOSTILE]: HOSTILE, 'nested/param': 'x' },
    tags: {
      'mlflow.runName': 'only-in-tags',
      'mlflow.source.git.commit': 'abc123',
      'mlflow.source.git.branch': 'main',
      'mlflow.note.content': '# Notes\nmulti-line\n',
      'mlflow.log-model.history': '[{"artifact_path": "model"}]',
    },
    metrics: {
      loss: '1700000001000 0.5 0\n1700000002000 nan 1\n1700000003000 inf 2\n1700000004000 -inf 3\n1700000005000 0.25 4\n',
      legacy: '1700000001000 3.5\n1700000002000 4.5\n', // 2 fields: step 0
      'train/acc': '1700000001000 0.9 1 train_ds 1a2b3c\n1700000002000 0.95 2 train_ds 1a2b3c\n', // 5 fields (MLflow 3)
      'val/deep/x': '1700000001000 1e-05 7\n',
    },
    artifacts: { 'model/MLmodel': 'flavors: {}\n', 'model/model.pkl': 'bytes', 'plot.png': 'png' },
  });
  // moved tree: artifact_uri points at a path that does not exist any more
  const meta = path.join(ws, 'mlruns', BIG_EXP, runA, 'meta.yaml');
  fs.writeFileSync(
    meta,
    fs
      .readFileSync(meta, 'utf8')
      .replace(/^artifact_uri: .*$/m, 'artifact_uri: file:///nonexistent/elsewhere/mlruns/x/artifacts'),
  );
  const runB = hex32(0xb);
  mb.run(BIG_EXP, {
    runId: runB,
    meta: { experiment_id: BIG_EXP, run_name: 'named', status: undefined },
    metrics: { loss: '1700000001000 2 0\n' },
  });
  const runDel = hex32(0xde1);
  mb.run(BIG_EXP, {
    runId: runDel,
    meta: { experiment_id: BIG_EXP, lifecycle_stage: 'deleted', deleted_time: 1700000100000, status: 4 },
  });
  // legacy experiment with an unquoted int id
  mb.experiment('7', 'legacy', {}, { unquotedId: true });
  mb.run('7', { runId: hex32(7), meta: { experiment_id: undefined }, metrics: { m: '5 1.5 0\n' } });
  fs.writeFileSync(
    path.join(ws, 'mlruns', '7', hex32(7), 'meta.yaml'),
    fs.readFileSync(path.join(ws, 'mlruns', '7', hex32(7), 'meta.yaml'), 'utf8') + 'experiment_id: 7\n',
  );
  // folders inside an experiment that are not runs
  for (const d of ['tags', 'datasets', 'traces', 'models']) {
    fs.mkdirSync(path.join(ws, 'mlruns', BIG_EXP, d), { recursive: true });
  }
  fs.writeFileSync(path.join(ws, 'mlruns', BIG_EXP, 'tags', 'team'), 'vision');
  // a deleted experiment in .trash is not loaded
  mb.experiment('55', 'trashed', { lifecycle_stage: 'deleted' }, { parent: path.join(ws, 'mlruns', '.trash') });
  mb.run(
    '55',
    { runId: hex32(55), meta: { experiment_id: '55' }, metrics: { m: '1 1 0\n' } },
    path.join(ws, 'mlruns', '.trash'),
  );
  return { mb, runA, runB, runDel };
}
