/**
 * Shared by the stats*.test.ts files: the reference values (bundled from fixtures/stats-oracles.json, made by
 * scripts/oracles/make_stats_oracles.py), the deterministic data generator that reproduces the script's data
 * bit for bit, and a closeness assertion that also records the worst error per group.
 *
 * Set STATS_ACCURACY=1 to print the worst absolute and relative error per group after the run.
 */
import * as assert from 'assert';
import oraclesJson from './fixtures/stats-oracles.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function decode(v: Json): unknown {
  if (v === 'NaN') {
    return NaN;
  }
  if (v === 'Infinity') {
    return Infinity;
  }
  if (v === '-Infinity') {
    return -Infinity;
  }
  if (Array.isArray(v)) {
    return v.map(decode);
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

export const oracles: any = decode(oraclesJson as unknown as Json);

export interface DataSpec {
  seed: number;
  n: number;
  dist: 'uniform' | 'irwin' | 'int';
  scale?: number;
  shift?: number;
  k?: number;
  quant?: number;
  labels?: boolean;
}

/** MINSTD (Park–Miller, multiplier 48271): the exact integer sequence of the Python generator. */
export function minstd(seed: number, n: number): number[] {
  let x = seed;
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    x = (48271 * x) % 2147483647;
    out[i] = x / 2147483647;
  }
  return out;
}

/** The data a spec describes (same operations, same order as gen() in the Python script), or an inline array. */
export function sample(spec: DataSpec | unknown[]): (number | string)[] {
  if (Array.isArray(spec)) {
    return spec as (number | string)[];
  }
  const { n, dist } = spec;
  const scale = spec.scale ?? 1;
  const shift = spec.shift ?? 0;
  let vals: number[];
  if (dist === 'irwin') {
    const u = minstd(spec.seed, 12 * n);
    vals = new Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < 12; j++) {
        s += u[12 * i + j];
      }
      vals[i] = shift + scale * (s - 6);
    }
  } else if (dist === 'uniform') {
    vals = minstd(spec.seed, n).map(u => shift + scale * u);
  } else {
    vals = minstd(spec.seed, n).map(u => Math.floor(u * spec.k!) + shift);
  }
  if (spec.quant !== undefined) {
    const q = spec.quant;
    vals = vals.map(v => Math.floor(v * q) / q);
  }
  if (spec.labels) {
    return vals.map(v => `c${Math.trunc(v)}`);
  }
  return vals;
}

export function numbers(spec: DataSpec | unknown[]): number[] {
  const s = sample(spec);
  for (const v of s) {
    if (typeof v !== 'number') {
      throw new Error('expected numeric data');
    }
  }
  return s as number[];
}

// ---------------------------------------------------------------------------------------------------------------

const worst = new Map<string, { abs: number; rel: number; n: number }>();

/**
 * Asserts |actual − expected| ≤ max(absTol, relTol·|expected|) (equal infinities and NaN = NaN pass) and records
 * the error under `group`.
 */
export function close(
  actual: number,
  expected: number,
  tol: { rel?: number; abs?: number },
  group: string,
  label = '',
): void {
  const rel = tol.rel ?? 0;
  const abs = tol.abs ?? 0;
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${group} ${label}: expected NaN, got ${actual}`);
    return;
  }
  if (!Number.isFinite(expected)) {
    assert.strictEqual(actual, expected, `${group} ${label}`);
    return;
  }
  const err = Math.abs(actual - expected);
  const relErr = expected === 0 ? (err === 0 ? 0 : Infinity) : err / Math.abs(expected);
  const w = worst.get(group) ?? { abs: 0, rel: 0, n: 0 };
  w.abs = Math.max(w.abs, err);
  if (err > abs) {
    w.rel = Math.max(w.rel, relErr);
  } // relative error only where the absolute floor does not cover it
  w.n++;
  worst.set(group, w);
  assert.ok(
    err <= Math.max(abs, rel * Math.abs(expected)),
    `${group} ${label}: got ${actual}, expected ${expected} (abs err ${err.toExponential(2)}, rel err ${relErr.toExponential(2)}, tol rel ${rel} abs ${abs})`,
  );
}

export function worstErrors(): Map<string, { abs: number; rel: number; n: number }> {
  return worst;
}

if (process.env.STATS_ACCURACY) {
  after(() => {
    const rows = [...worst.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    console.log('\n  worst error per group (abs, rel beyond the absolute floor, count):');
    for (const [g, w] of rows) {
      console.log(
        `    ${g.padEnd(34)} ${w.abs.toExponential(2).padStart(10)} ${w.rel.toExponential(2).padStart(10)} ${String(w.n).padStart(5)}`,
      );
    }
  });
}
