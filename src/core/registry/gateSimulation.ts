/**
 * The promotion gate's error rates, measured by simulation ("verdicts are products"): how often the offline check
 * promotes a challenger that is no better than the champion (false promotion), and how often it promotes one that
 * truly is better by a stated effect (detection), on one shared test set.
 *
 * Each trial draws a test set of `n` examples; every example has a shared difficulty, and each model gets it right
 * with its own accuracy, half of the time through the shared difficulty (models make correlated mistakes, as real
 * ones do) and half independently. Both versions then go through compareVersions exactly as in a promotion: with
 * their per-example predictions (the paired McNemar test), or without them (the noise rule), or — the baseline —
 * the plain "higher is better" comparison ML Sight made before.
 */
import { compareVersions } from './gate';
import { seededRandom } from '../stats/multiple';
import type { VersionDetail } from './views';

export interface GateSimulation {
  trials: number;
  n: number;
  accuracy: number;
  effect: number;
  alpha: number;
  /** share of trials promoted with per-example predictions (paired McNemar) */
  paired: number;
  /** share promoted with aggregate accuracies only (noise rule: |diff| must exceed √(p(1−p)/n)) */
  noiseRule: number;
  /** share promoted by "the challenger's accuracy is higher" (the gate before issue 14) */
  naive: number;
}

function version(v: number, acc: number, n: number): VersionDetail {
  return {
    model: 'sim',
    version: v,
    stage: 'None',
    status: 'READY',
    aliases: [],
    description: null,
    createdAt: 0,
    createdBy: 'sim',
    runId: `sim${v}`,
    runName: null,
    runExists: true,
    runStatus: 'FINISHED',
    experiment: null,
    sourceUri: null,
    gitCommit: null,
    gitBranch: null,
    gitDirty: null,
    datasets: [{ name: 'test', role: 'test', digest: 'sha256:sim', rows: n, path: null }],
    metrics: { accuracy: acc },
    metricsFrom: 'registration',
    tags: {},
    artifact: null,
  };
}

export function simulateGate(o: {
  trials: number;
  n: number;
  accuracy: number;
  effect: number;
  alpha?: number;
  seed?: number;
}): GateSimulation {
  const alpha = o.alpha ?? 0.05;
  const rnd = seededRandom(o.seed ?? 14);
  let paired = 0,
    noise = 0,
    naive = 0;
  const yTrue = new Array<number>(o.n).fill(1);
  for (let t = 0; t < o.trials; t++) {
    const a = new Array<number>(o.n),
      b = new Array<number>(o.n);
    let ca = 0,
      cb = 0;
    for (let i = 0; i < o.n; i++) {
      const shared = rnd();
      const ua = rnd() < 0.5 ? shared : rnd();
      const ub = rnd() < 0.5 ? shared : rnd();
      a[i] = ua < o.accuracy ? 1 : 0;
      b[i] = ub < o.accuracy + o.effect ? 1 : 0;
      ca += a[i];
      cb += b[i];
    }
    const champion = version(1, ca / o.n, o.n),
      challenger = version(2, cb / o.n, o.n);
    const settings = { primaryMetric: 'accuracy', alpha };
    const preds = (v: { version: number }) => ({
      dataset: 'test',
      role: 'test',
      digest: 'sha256:sim',
      yTrue,
      yPred: v.version === 1 ? a : b,
    });
    if (compareVersions(challenger, champion, settings, preds).passes) {
      paired++;
    }
    if (compareVersions(challenger, champion, settings).passes) {
      noise++;
    }
    if (cb > ca) {
      naive++;
    }
  }
  return {
    trials: o.trials,
    n: o.n,
    accuracy: o.accuracy,
    effect: o.effect,
    alpha,
    paired: paired / o.trials,
    noiseRule: noise / o.trials,
    naive: naive / o.trials,
  };
}
