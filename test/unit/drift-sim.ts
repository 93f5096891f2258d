/**
 * The simulation behind the calibrated drift verdict's error rates (bench/drift-calibration.bench.ts runs many
 * seeds; test/unit/drift-calibration.test.ts a fixed few). Each case draws a reference and a current table from
 * one generator with mixed column types:
 *   x1, x2 normal floats; income log-normal; visits Poisson(3) counts (> 5 values: numerical, with ties);
 *   rating 0–3 integers (≤ 5 values: categorical); plan a four-level category (40/30/20/10 %); promo a boolean;
 *   optionally a label `churned` ~ Bernoulli(σ(2·x1 + promo − 0.5)), a model's score `proba` = σ(2·x1 + promo −
 *   0.5) (or its 0/1 label when the case has no score), and a time column `ts` (one row a minute).
 * Scenarios change the current table only:
 *   stationary — nothing;
 *   mean-shift — x2 + 0.5 (half a standard deviation; x2 is not in the label model);
 *   category-shift — 30 % of the share moved to plan "d" (each level keeps 70 % of its share);
 *   concept — the label's relation to the features reverses: churned ~ Bernoulli(σ(−(2·x1 + promo − 0.5))),
 *     features and the model's score unchanged.
 */
import { ColumnBuilder, DriftOptions, Table } from '../../src/core/drift';
import { seededRandom } from '../../src/core/stats';

export type Scenario = 'stationary' | 'mean-shift' | 'category-shift' | 'concept';

export interface SimCase {
  seed: number;
  nRef: number;
  nCur: number;
  time: boolean;
  label: boolean;
  /** the prediction is a probability (else a 0/1 label); only with `label` */
  score: boolean;
  scenario: Scenario;
}

/** The column each scenario changes (the verdict must name it). */
export const CHANGED_COLUMN: Readonly<Record<Scenario, string | null>> = {
  stationary: null,
  'mean-shift': 'x2',
  'category-shift': 'plan',
  concept: null,
};

function normal(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) {
      u = rand();
    }
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function poisson(rand: () => number, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const PLAN = ['a', 'b', 'c', 'd'];
const PLAN_P = [0.4, 0.3, 0.2, 0.1];
const T0 = Date.UTC(2024, 0, 1);

function draw(rand: () => number, probs: number[]): number {
  let u = rand();
  for (let i = 0; i < probs.length - 1; i++) {
    if (u < probs[i]) {
      return i;
    }
    u -= probs[i];
  }
  return probs.length - 1;
}

function table(name: string, n: number, c: SimCase, current: boolean, rand: () => number): Table {
  const gauss = normal(rand);
  const cols = {
    x1: new ColumnBuilder('x1', n),
    x2: new ColumnBuilder('x2', n),
    income: new ColumnBuilder('income', n),
    visits: new ColumnBuilder('visits', n),
    rating: new ColumnBuilder('rating', n),
    plan: new ColumnBuilder('plan', n),
    promo: new ColumnBuilder('promo', n),
  };
  const churned = c.label ? new ColumnBuilder('churned', n) : null;
  const proba = c.label ? new ColumnBuilder('proba', n) : null;
  const ts = c.time ? new ColumnBuilder('ts', n) : null;
  const shift = current && c.scenario === 'mean-shift' ? 0.5 : 0;
  const planP =
    current && c.scenario === 'category-shift' ? PLAN_P.map((p, i) => 0.7 * p + (i === 3 ? 0.3 : 0)) : PLAN_P;
  const start = current ? T0 + 365 * 86_400_000 : T0;
  for (let i = 0; i < n; i++) {
    const x1 = gauss();
    const promo = rand() < 0.3;
    cols.x1.pushNumber(x1, false);
    cols.x2.pushNumber(gauss() + shift, false);
    cols.income.pushNumber(Math.exp(10 + 0.5 * gauss()), false);
    cols.visits.pushNumber(poisson(rand, 3), true);
    cols.rating.pushNumber(Math.floor(rand() * 4), true);
    cols.plan.pushString(PLAN[draw(rand, planP)]);
    cols.promo.pushBool(promo);
    if (churned && proba) {
      const f = 2 * x1 + (promo ? 1 : 0) - 0.5;
      const p = sigmoid(current && c.scenario === 'concept' ? -f : f);
      churned.pushNumber(rand() < p ? 1 : 0, true);
      const s = sigmoid(f);
      proba.pushNumber(c.score ? s : s >= 0.5 ? 1 : 0, !c.score);
    }
    if (ts) {
      const ms = start + i * 60_000;
      ts.pushTime(ms, new Date(ms).toISOString());
    }
  }
  const columns = [...Object.values(cols), ...(churned ? [churned, proba!] : []), ...(ts ? [ts] : [])].map(b =>
    b.finish(),
  );
  return {
    path: `/sim/${name}.csv`,
    format: 'csv',
    gzip: false,
    rows: n,
    truncated: false,
    sizeBytes: n * 80,
    columns,
  };
}

/** The two tables of a case and the report options (target/prediction/time as the case has them). */
export function simulate(c: SimCase): { reference: Table; current: Table; options: DriftOptions } {
  const rand = seededRandom(c.seed * 7919 + 17);
  const reference = table('reference', c.nRef, c, false, rand);
  const current = table('current', c.nCur, c, true, rand);
  const options: DriftOptions = {
    ...(c.label ? { target: 'churned', prediction: 'proba' } : {}),
    ...(c.time ? { time: 'ts' } : {}),
  };
  return { reference, current, options };
}

/** Sizes per side from 500 to 100,000, log-uniform. */
export function drawSize(rand: () => number): number {
  return Math.round(Math.exp(Math.log(500) + rand() * (Math.log(100_000) - Math.log(500))));
}

/** A random case of a scenario: sizes, and whether it has a time column, a label and a score. */
export function randomCase(seed: number, scenario: Scenario, size?: number): SimCase {
  const rand = seededRandom(seed * 31 + 5);
  const label = scenario === 'concept' ? true : rand() < 0.5;
  return {
    seed,
    scenario,
    label,
    nRef: size ?? drawSize(rand),
    nCur: size ?? drawSize(rand),
    time: rand() < 0.5,
    score: label && rand() < 0.5,
  };
}

/** Wilson score interval for k successes out of n (95 %). */
export function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) {
    return [0, 1];
  }
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}
