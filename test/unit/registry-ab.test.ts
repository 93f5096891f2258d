import * as assert from 'assert';
import { AbMetricInput, analyzeAb } from '../../src/core/registry/abAnalysis';
import { metricData, parseCounts, parseMeanSummary, parseOutcomes } from '../../src/core/registry/abData';
import { compareVersions, evaluateGate, guessDirection } from '../../src/core/registry/gate';
import type { VersionDetail } from '../../src/core/registry/views';
import { summarize } from '../../src/core/stats';
import oraclesJson from './fixtures/registry-ab-oracles.json';

// Reference values: test/unit/fixtures/registry-ab-oracles.json, made with scipy by
// scripts/oracles/make_registry_ab_oracles.py. The statistics must equal scipy's to 1e-9 relative.
type Json = any;
const decode = (v: Json): Json =>
  v === 'NaN'
    ? NaN
    : v === 'Infinity'
      ? Infinity
      : v === '-Infinity'
        ? -Infinity
        : Array.isArray(v)
          ? v.map(decode)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]))
            : v;
const ORACLES = decode(oraclesJson as Json);

function close(actual: number | null, expected: number | null, what: string, rel = 1e-9, abs = 1e-12): void {
  if (expected === null || actual === null) {
    assert.strictEqual(actual, expected, what);
    return;
  }
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: ${actual} is not NaN`);
    return;
  }
  const err = Math.abs(actual - expected);
  assert.ok(err <= abs || err <= rel * Math.abs(expected), `${what}: ${actual} vs scipy ${expected} (error ${err})`);
}

function inputOf(m: Json): AbMetricInput {
  let data: AbMetricInput['data'];
  if (m.kind === 'proportion') {
    data = { kind: 'proportion', champion: m.champion, challenger: m.challenger };
  } else if (m.champion.values) {
    const a = summarize(m.champion.values);
    const b = summarize(m.challenger.values);
    data = {
      kind: 'mean',
      champion: { n: a.n, mean: a.mean, variance: a.variance },
      challenger: { n: b.n, mean: b.mean, variance: b.variance },
    };
  } else {
    data = {
      kind: 'mean',
      champion: { n: m.champion.n, mean: m.champion.mean, variance: m.champion.sd ** 2 },
      challenger: { n: m.challenger.n, mean: m.challenger.mean, variance: m.challenger.sd ** 2 },
    };
  }
  return { name: m.name, role: m.role, direction: m.direction, data };
}

describe('registry A/B analysis against scipy (challenger − champion)', () => {
  for (const sc of ORACLES.scenarios) {
    it(`${sc.name}: ${sc.expected.verdict}`, () => {
      const r = analyzeAb(sc.metrics.map(inputOf), sc.options ?? {});
      const e = sc.expected;
      assert.strictEqual(r.verdict, e.verdict, r.reasons.join(' '));
      close(r.srm.statistic, e.srm.statistic, 'srm.chi2');
      close(r.srm.pValue, e.srm.pValue, 'srm.p', 1e-9, 1e-300);
      assert.strictEqual(r.srm.mismatch, e.srm.mismatch);
      r.metrics.forEach((m, i) => {
        const x = e.metrics[i];
        const w = `${sc.name} / ${m.name}`;
        assert.strictEqual(m.name, x.name);
        close(m.statistic, x.statistic, `${w} statistic`);
        close(m.df, x.df, `${w} df`);
        close(m.pValue, x.pValue, `${w} p`, 1e-9, 1e-300);
        close(m.difference, x.difference, `${w} difference`);
        close(m.standardError, x.standardError, `${w} se`);
        close(m.ci[0], x.ci[0], `${w} ci.lo`);
        close(m.ci[1], x.ci[1], `${w} ci.hi`);
        close(m.lift!.value, x.lift.value, `${w} lift`);
        close(m.lift!.ci[0], x.lift.ci[0], `${w} lift.lo`);
        close(m.lift!.ci[1], x.lift.ci[1], `${w} lift.hi`);
        close(m.lift!.pValue, x.lift.pValue, `${w} lift.p`, 1e-9, 1e-300);
        close(m.mde, x.mde, `${w} mde`);
        close(m.power, x.power, `${w} power`);
        assert.strictEqual(m.requiredTotal, x.requiredTotal, `${w} required n`);
        assert.strictEqual(m.moreNeeded, x.moreNeeded, `${w} more n`);
        assert.strictEqual(m.outcome, x.outcome, `${w} outcome`);
        if (x.sequential) {
          assert.strictEqual(m.sequential?.method, x.sequential.method);
          close(m.sequential!.pValue, x.sequential.pValue, `${w} sequential p`, 1e-9, 1e-300);
          if (x.sequential.ci) {
            close(m.sequential!.ci![0], x.sequential.ci[0], `${w} seq ci`);
            close(m.sequential!.ci![1], x.sequential.ci[1], `${w} seq ci`);
          }
        } else {
          assert.strictEqual(m.sequential, null);
        }
      });
    });
  }

  it('explains the verdicts in sentences', () => {
    const sc = (name: string) => ORACLES.scenarios.find((s: Json) => s.name === name);
    const run = (name: string) => analyzeAb(sc(name).metrics.map(inputOf), sc(name).options ?? {});
    assert.match(run('too few observations yet').reasons.join(' '), /Keep collecting: about [\d,]+ more observations/);
    assert.match(run('sample-ratio mismatch (50/50 observed, 10 % planned)').headline, /^Invalid experiment/);
    assert.match(
      run('primary wins but the latency guardrail is worse').reasons.join(' '),
      /Guardrail latency_ms is significantly worse/,
    );
    assert.match(run('powered test, no difference').reasons.join(' '), /enough data to detect a 5.00 % lift/);
  });

  it('rejects bad inputs with readable messages', () => {
    const p = (a: [number, number], b: [number, number]): AbMetricInput => ({
      name: 'x',
      role: 'primary',
      direction: 'maximize',
      data: { kind: 'proportion', champion: { successes: a[0], n: a[1] }, challenger: { successes: b[0], n: b[1] } },
    });
    assert.throws(() => analyzeAb([p([5, 4], [1, 10])]), /successes must be/);
    assert.throws(() => analyzeAb([]), /exactly one primary metric/);
    assert.throws(() => analyzeAb([p([1, 10], [1, 10])], { challengerShare: 1 }), /share/);
    assert.throws(
      () =>
        analyzeAb([
          {
            name: 'x',
            role: 'primary',
            direction: 'maximize',
            data: {
              kind: 'mean',
              champion: { n: 1, mean: 1, variance: 0 },
              challenger: { n: 5, mean: 1, variance: 1 },
            },
          },
        ]),
      /at least 2 observations/,
    );
  });
});

describe('registry A/B data parsing', () => {
  it('counts and summaries typed by a person', () => {
    assert.deepStrictEqual(parseCounts('120/1000'), { successes: 120, n: 1000 });
    assert.deepStrictEqual(parseCounts(' 3 of 7 '), { successes: 3, n: 7 });
    assert.throws(() => parseCounts('12%'), /successes\/n/);
    assert.throws(() => parseCounts('9/8'), /between 0 and n/);
    assert.deepStrictEqual(parseMeanSummary('500:10.5:2'), { n: 500, mean: 10.5, variance: 4 });
    assert.throws(() => parseMeanSummary('1:2'), /n:mean:sd/);
  });

  it('per-unit outcomes (JSON Lines as mlsight.log_outcome writes them): binary → proportions, continuous → means', () => {
    const lines =
      [
        { model: 'churn', variant: 'champion', request_key: 'u1', converted: 1, revenue: 10 },
        { model: 'churn', variant: 'champion', request_key: 'u2', converted: 0, revenue: 0 },
        { model: 'churn', variant: 'challenger', request_key: 'u3', converted: true, revenue: 12.5 },
        { model: 'churn', variant: 'challenger', request_key: 'u4', converted: 1, revenue: 7.5 },
        { model: 'other', variant: 'challenger', request_key: 'u5', converted: 0, revenue: 1 },
        { model: 'churn', variant: 'nobody', request_key: 'u6', converted: 0 },
      ]
        .map(l => JSON.stringify(l))
        .join('\n') + '\n{broken';
    const t = parseOutcomes(lines, { model: 'churn' });
    assert.deepStrictEqual(t.metrics.sort(), ['converted', 'revenue']);
    assert.strictEqual(t.rows, 4);
    assert.deepStrictEqual(t.skipped.map(s => s.line).sort(), [6, 7], 'the unknown variant and the broken line');
    assert.deepStrictEqual(metricData(t, 'converted'), {
      kind: 'proportion',
      champion: { successes: 1, n: 2 },
      challenger: { successes: 2, n: 2 },
    });
    const rev = metricData(t, 'revenue');
    assert.strictEqual(rev.kind, 'mean');
    assert.deepStrictEqual(
      rev.kind === 'mean' && [rev.champion.mean, rev.challenger.mean, rev.champion.variance],
      [5, 10, 50],
    );
  });

  it('aggregated CSV rows (one per arm and metric) and hostile cells', () => {
    const csv =
      'variant,metric,n,successes,mean,sd\ncontrol,converted,1000,120,,\ntreatment,converted,1000,150,,\ncontrol,latency,1000,,120,30\ntreatment,latency,1000,,118,29\n"<img src=x onerror=alert(1)>",converted,1,1,,\n';
    const t = parseOutcomes(csv);
    assert.deepStrictEqual(metricData(t, 'converted'), {
      kind: 'proportion',
      champion: { successes: 120, n: 1000 },
      challenger: { successes: 150, n: 1000 },
    });
    assert.deepStrictEqual(metricData(t, 'latency'), {
      kind: 'mean',
      champion: { n: 1000, mean: 120, variance: 900 },
      challenger: { n: 1000, mean: 118, variance: 841 },
    });
    assert.match(t.skipped[0].reason, /unknown variant "<img src=x onerror=alert\(1\)>"/);
    assert.throws(() => metricData(t, 'nope'), /no rows for metric "nope"/);
  });
});

describe('registry: champion vs challenger comparison and gate', () => {
  const version = (v: number, metrics: Record<string, number>, stage = 'None'): VersionDetail => ({
    model: 'm',
    version: v,
    stage,
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
    datasets: [{ name: 'test', role: 'test', digest: 'sha256:t', rows: 100_000, path: null }],
    metrics,
    metricsFrom: 'registration',
    tags: {},
    artifact: null,
  });

  it('guesses which way is better from the metric name', () => {
    for (const m of ['val/loss', 'rmse', 'MAE', 'log_loss', 'latency_ms', 'error_rate']) {
      assert.strictEqual(guessDirection(m), 'minimize', m);
    }
    for (const m of ['accuracy', 'f1', 'auc', 'val/precision', 'r2']) {
      assert.strictEqual(guessDirection(m), 'maximize', m);
    }
  });

  it('absolute and relative margins, NaN and missing metrics fail with a reason', () => {
    const champ = version(1, { acc: 0.9, loss: 0.3 });
    assert.strictEqual(
      compareVersions(version(2, { acc: 0.905 }), champ, { primaryMetric: 'acc', minImprovement: 0.01 }).passes,
      false,
    );
    assert.strictEqual(
      compareVersions(version(2, { acc: 0.91 }), champ, { primaryMetric: 'acc', minImprovement: 0.01 }).passes,
      true,
    );
    assert.strictEqual(
      compareVersions(version(2, { acc: 0.91 }), champ, {
        primaryMetric: 'acc',
        minImprovement: 0.02,
        relativeImprovement: true,
      }).passes,
      false,
    );
    assert.strictEqual(
      compareVersions(version(2, { acc: 0.9 }), champ, { primaryMetric: 'acc' }).passes,
      false,
      'a tie is not a win',
    );
    assert.match(
      compareVersions(version(2, { acc: NaN }), champ, { primaryMetric: 'acc' }).reason,
      /no value for acc \(NaN\)/,
    );
    assert.match(compareVersions(version(2, {}), champ, { primaryMetric: 'acc' }).reason, /no value for acc/);
    const c = compareVersions(version(2, { acc: 0.95, loss: 0.2 }), champ, {
      primaryMetric: 'loss',
      direction: 'minimize',
    });
    assert.strictEqual(c.passes, true);
    assert.deepStrictEqual(
      c.rows.map(r => [r.key, r.better]),
      [
        ['acc', true],
        ['loss', true],
      ],
    );
  });

  it('the gate lists every check; A/B data is required only when configured', () => {
    const champ = version(1, { acc: 0.9 });
    const cmp = compareVersions(version(2, { acc: 0.95 }, 'Archived'), champ, { primaryMetric: 'acc' });
    const g = evaluateGate({
      comparison: cmp,
      target: { alias: 'champion' },
      currentVersion: 1,
      ab: null,
      settings: { requireAb: true },
    });
    assert.deepStrictEqual(
      g.checks.map(c => [c.id, c.ok]),
      [
        ['distinct', true],
        ['archived', false],
        ['run-status', true],
        ['offline', true],
        ['ab', false],
      ],
    );
    assert.strictEqual(g.pass, false);
    const ok = evaluateGate({
      comparison: compareVersions(version(2, { acc: 0.95 }), champ, { primaryMetric: 'acc' }),
      target: { alias: 'champion' },
      currentVersion: 1,
      ab: null,
      settings: {},
    });
    assert.strictEqual(ok.pass, true);
    assert.strictEqual(ok.checks.find(c => c.id === 'ab')!.skipped, true);
  });
});
