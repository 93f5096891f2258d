/** Metric-series shaping for charts: smoothing (TensorBoard's EMA) and decimation (LTTB). */

export interface Point {
  x: number;
  y: number;
}

/**
 * TensorBoard's exponential moving average with debiasing (tensorboard/webapp smoothing): for finite values
 * `last = last*w + (1-w)*y; smoothed = last / (1 - w^n)` where n counts the finite values so far. Non-finite
 * values pass through unchanged and do not advance the average. A constant series is returned as is.
 * `weight` is in [0, 1); 0 returns the input.
 */
export function emaSmooth(ys: readonly number[], weight: number): number[] {
  if (!(weight > 0)) {
    return [...ys];
  }
  const w = Math.min(weight, 0.999);
  if (ys.length > 0 && ys.every(v => v === ys[0])) {
    return [...ys];
  }
  let last = 0;
  let n = 0;
  return ys.map(y => {
    if (!Number.isFinite(y)) {
      return y;
    }
    last = last * w + (1 - w) * y;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

/**
 * Largest-Triangle-Three-Buckets decimation (Steinarsson 2013): keeps the first and last points and, per bucket,
 * the point forming the largest triangle with the previously kept point and the next bucket's average. Points
 * whose y is not finite are kept out of the buckets and returned in `nonFinite` so the chart can mark them.
 * Input must be sorted by x.
 */
export function lttb(points: readonly Point[], threshold: number): { points: Point[]; nonFinite: Point[] } {
  const finite: Point[] = [];
  const nonFinite: Point[] = [];
  for (const p of points) {
    (Number.isFinite(p.y) && Number.isFinite(p.x) ? finite : nonFinite).push(p);
  }
  const n = finite.length;
  if (threshold >= n || threshold < 3) {
    return { points: finite.slice(), nonFinite };
  }
  const out: Point[] = [finite[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const rangeStart = Math.floor((i + 1) * every) + 1;
    const rangeEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0,
      avgY = 0;
    for (let j = rangeStart; j < rangeEnd; j++) {
      avgX += finite[j].x;
      avgY += finite[j].y;
    }
    const len = Math.max(1, rangeEnd - rangeStart);
    avgX /= len;
    avgY /= len;
    const bucketStart = Math.floor(i * every) + 1;
    const bucketEnd = Math.floor((i + 1) * every) + 1;
    const pa = finite[a];
    let maxArea = -1,
      next = bucketStart;
    for (let j = bucketStart; j < bucketEnd; j++) {
      const area = Math.abs((pa.x - avgX) * (finite[j].y - pa.y) - (pa.x - finite[j].x) * (avgY - pa.y));
      if (area > maxArea) {
        maxArea = area;
        next = j;
      }
    }
    out.push(finite[next]);
    a = next;
  }
  out.push(finite[n - 1]);
  return { points: out, nonFinite };
}

/** A run page sparkline: a metric's history decimated to 80 points (finite values only); `total`: the source's count. */
export function lttbSparkline(
  history: readonly { step: number; value: number }[],
  total: number,
): { steps: number[]; values: number[]; total: number } {
  const { points } = lttb(
    history.map(p => ({ x: p.step, y: p.value })),
    80,
  );
  return { steps: points.map(p => p.x), values: points.map(p => p.y), total };
}
