// Comparable offline evidence (issue 14): the same evaluation dataset, McNemar / paired bootstrap, the noise rule.
import * as assert from 'assert';
import { compareVersions } from '../../src/core/registry/gate';
import {
  mcnemar,
  mcnemarExactP,
  pairedBootstrap,
  pairedMetricFn,
  sharedEvaluationDataset,
} from '../../src/core/registry/offlineEvidence';
import type { DatasetLineage, VersionDetail } from '../../src/core/registry/views';

// scipy 1.10.1: scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue
const SCIPY_MCNEMAR: [number, number, number][] = [
  [3, 10, 0.09228515625],
  [10, 3, 0.09228515625],
  [0, 5, 0.0625],
  [7, 7, 1.0],
  [40, 62, 0.03706676743856045],
  [150, 190, 0.03427004653329391],
  [1, 0, 1.0],
];

const ds = (digest: string, rows = 143, role = 'test', name = 'test.csv'): DatasetLineage => ({
  name,
  role,
  digest,
  rows,
  path: null,
});
const version = (v: number, acc: number, datasets: DatasetLineage[]): VersionDetail => ({
  model: 'm',
  version: v,
  stage: 'None',
  status: 'READY',
  aliases: [],
  description: null,
  createdAt: 0,
  createdBy: 'a',
  runId: `r${v}`,
  runName: null,
  runExists: true,
  runStatus: 'FINISHED',
  experiment: null,
  sourceUri: null,
  gitCommit: null,
  gitBranch: null,
  gitDirty: null,
  datasets,
  metrics: { accuracy: acc },
  metricsFrom: 'registration',
  tags: {},
  artifact: null,
});

describe('registry: comparable offline evidence', () => {
  it("McNemar exact p-values equal scipy's binomtest", () => {
    for (const [b, c, p] of SCIPY_MCNEMAR) {
      assert.ok(
        Math.abs(mcnemarExactP(b, c) - p) <= 1e-12 * Math.max(1, p),
        `${b},${c}: ${mcnemarExactP(b, c)} vs ${p}`,
      );
    }
  });

  it('different test sets are "not comparable" and both datasets are shown (defect 3: 0.9589 vs 0.9362)', () => {
    const c = compareVersions(version(3, 0.9589, [ds('sha256:bbbb')]), version(1, 0.9362, [ds('sha256:aaaa')]), {
      primaryMetric: 'accuracy',
    });
    assert.strictEqual(c.passes, false);
    assert.strictEqual(c.code, 'not-comparable');
    assert.match(
      c.reason,
      /v3: test\.csv \(test, sha256:bbbb, 143 rows\); v1: test\.csv \(test, sha256:aaaa, 143 rows\)/,
    );
    assert.strictEqual(
      sharedEvaluationDataset([ds('sha256:a', 1, 'train')], [ds('sha256:a', 1, 'train')]),
      null,
      'training data is not evaluation data',
    );
  });

  it('without predictions, a difference below the binomial SE of the test-set size is within noise', () => {
    // 143 rows near 0.94: SE ≈ 0.0204; 0.0227 is just above, 0.01 below
    const within = compareVersions(version(3, 0.9462, [ds('sha256:a')]), version(1, 0.9362, [ds('sha256:a')]), {
      primaryMetric: 'accuracy',
    });
    assert.strictEqual(within.code, 'within-noise');
    assert.match(within.reason, /binomial standard error 0\.02\d* of 143 rows \(about 1 examples\)/);
    const beyond = compareVersions(version(3, 0.9589, [ds('sha256:a')]), version(1, 0.9362, [ds('sha256:a')]), {
      primaryMetric: 'accuracy',
    });
    assert.strictEqual(beyond.passes, true, beyond.reason);
  });

  it("with per-example predictions the paired test decides at the model's alpha", () => {
    const n = 143;
    const y = Array.from({ length: n }, (_, i) => i % 3);
    const champ = y.map((v, i) => (i < 9 ? (v + 1) % 3 : v)); // 9 wrong
    const chall = y.map((v, i) => (i >= 4 && i < 9 ? v : i < 4 ? (v + 1) % 3 : v)); // 4 wrong, all of them also wrong for the champion
    const preds = (p: (number | string)[]) => ({
      dataset: 'test.csv',
      role: 'test',
      digest: 'sha256:a',
      yTrue: y,
      yPred: p,
    });
    const c = compareVersions(
      version(2, 1 - 4 / n, [ds('sha256:a')]),
      version(1, 1 - 9 / n, [ds('sha256:a')]),
      { primaryMetric: 'accuracy' },
      v => preds(v.version === 1 ? champ : chall),
    );
    assert.strictEqual(c.code, 'not-significant', c.reason); // b = 0, c = 5: p = 0.0625
    assert.strictEqual(c.evidence?.paired?.pValue, 0.0625);
    assert.deepStrictEqual(c.evidence?.paired?.discordant, { championOnly: 0, challengerOnly: 5 });
    const loose = compareVersions(
      version(2, 1 - 4 / n, [ds('sha256:a')]),
      version(1, 1 - 9 / n, [ds('sha256:a')]),
      { primaryMetric: 'accuracy', alpha: 0.1 },
      v => preds(v.version === 1 ? champ : chall),
    );
    assert.strictEqual(loose.passes, true, loose.reason);
    const m = mcnemar(y, champ, chall, 0.05);
    assert.ok(m.ci[0] < m.difference && m.difference < m.ci[1]);
  });

  it('paired bootstrap for RMSE is reproducible and finds a real improvement', () => {
    const n = 400;
    let s = 1;
    const rnd = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    };
    const y = Array.from({ length: n }, (_, i) => i / 10);
    const a = y.map(v => v + rnd() * 2);
    const b = y.map(v => v + rnd() * 1);
    const fn = pairedMetricFn('val/rmse')!;
    const r1 = pairedBootstrap(fn, y, a, b, 0.05);
    const r2 = pairedBootstrap(fn, y, a, b, 0.05);
    assert.deepStrictEqual(r1, r2, 'fixed seed');
    assert.ok(r1.difference < 0 && r1.ci[1] < 0 && r1.pValue < 0.05, JSON.stringify(r1));
  });
});
