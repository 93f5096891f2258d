/**
 * The calibrated drift verdict's error rates, by simulation (test/unit/drift-sim.ts describes the generator):
 *   - false alarms: stationary data, sizes 500–100,000 rows per side (log-uniform, drawn per side), with and
 *     without a time column, a label and a score; the share of reports that are not "No drift detected";
 *   - power: a 0.5 SD mean shift in one numeric feature and a 30 % share moved to one category, at 5,000 rows per
 *     side: the share of reports that are not OK *and* name the changed column; concept drift (labels present):
 *     the share that recommend retraining.
 * Each rate has its 95 % Wilson interval. The baseline of the false-alarm row is the uncalibrated rule the
 * verdict had before (any Evidently flag, any NannyML chunk alert, any chunk below NannyML's performance band),
 * measured on the same reports. MLSIGHT_SIM_N sets the number of stationary reports (default 600; power: a third).
 */
import { buildDriftReport, DriftReport } from '../src/core/drift';
import { CHANGED_COLUMN, randomCase, Scenario, simulate, wilson } from '../test/unit/drift-sim';

const N = Math.max(20, Number(process.env.MLSIGHT_SIM_N) || 600);
const NP = Math.max(20, Math.round(N / 3));

function uncalibrated(r: DriftReport): boolean {
  const ot = r.overTime;
  return (
    r.columns.some(c => c.drifted) ||
    !!ot?.drift.some(s => s.alerts.some(Boolean)) ||
    !!ot?.performance?.series.some(s => s.metric === ot.performance!.primary && s.degraded.some(Boolean))
  );
}

function emit(name: string, value: number, unit: string, baseline: string, baselineValue: number): void {
  console.log(JSON.stringify({ name, value, unit, baseline, baselineValue }));
}

const ci = (k: number, n: number) => {
  const [a, b] = wilson(k, n);
  return `${(a * 100).toFixed(1)}–${(b * 100).toFixed(1)} %`;
};

function run(
  scenario: Scenario,
  n: number,
  size?: number,
): { hits: number; old: number; ms: number; levels: Record<string, number> } {
  let hits = 0;
  let old = 0;
  const levels: Record<string, number> = {};
  const t0 = performance.now();
  for (let seed = 1; seed <= n; seed++) {
    const c = randomCase(seed + (scenario === 'stationary' ? 0 : 100_000), scenario, size);
    const s = simulate(c);
    const r = buildDriftReport(s.reference, s.current, s.options);
    levels[r.verdict.level] = (levels[r.verdict.level] ?? 0) + 1;
    const col = CHANGED_COLUMN[scenario];
    const hit =
      scenario === 'stationary'
        ? r.verdict.level !== 'ok'
        : scenario === 'concept'
          ? r.verdict.retrain
          : r.verdict.level !== 'ok' && r.verdict.reasons.some(x => x.column === col || x.message.includes(`"${col}"`));
    if (hit) {
      hits++;
    }
    if (uncalibrated(r)) {
      old++;
    }
    if (scenario === 'stationary' && hit) {
      console.error(
        `false alarm: seed ${c.seed} ${c.nRef}/${c.nCur} rows time=${c.time} label=${c.label} score=${c.score}: ${r.verdict.reasons.map(x => x.message).join(' | ')}`,
      );
    }
  }
  return { hits, old, ms: performance.now() - t0, levels };
}

const st = run('stationary', N);
emit(
  `drift verdict: false alarms on stationary data (${N} reports, 500–100,000 rows/side; 95% CI ${ci(st.hits, N)}; goal ≤ 5 %)`,
  (100 * st.hits) / N,
  '%',
  `uncalibrated rule on the same reports (95% CI ${ci(st.old, N)})`,
  (100 * st.old) / N,
);
for (const [scenario, what] of [
  ['mean-shift', '0.5 SD mean shift in x2'],
  ['category-shift', '30 % share moved to plan "d"'],
  ['concept', 'concept drift, "retrain recommended"'],
] as const) {
  const p = run(scenario, NP, 5000);
  emit(
    `drift verdict: power, ${what} at 5,000 rows/side (${NP} reports; 95% CI ${ci(p.hits, NP)})`,
    (100 * p.hits) / NP,
    '%',
    'goal',
    95,
  );
}
emit(`drift verdict: simulation time per stationary report (mean of ${N})`, st.ms / N, 'ms', 'budget per report', 1000);
