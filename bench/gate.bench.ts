// The promotion gate's error rates (plain Node, over src/core/registry/gateSimulation.ts). Prints JSON lines
// {name, value, unit, baseline, baselineValue, ratio}: the false-promotion rate on equal models and the detection
// rate of a truly better challenger, each against the naive "higher accuracy wins" gate measured in the same run.
import { simulateGate } from '../src/core/registry/gateSimulation';

function report(name: string, value: number, unit: string, baselineName: string, baseline: number): void {
  console.log(
    JSON.stringify({
      name,
      value: +value.toFixed(4),
      unit,
      baseline: baselineName,
      baselineValue: +baseline.toFixed(4),
      ratio: baseline ? +(value / baseline).toFixed(3) : null,
    }),
  );
}

const TRIALS = Number(process.env.MLSIGHT_BENCH_GATE_TRIALS || 2000);
const equal = simulateGate({ trials: TRIALS, n: 1000, accuracy: 0.85, effect: 0, seed: 1 });
const better = simulateGate({ trials: TRIALS, n: 1000, accuracy: 0.85, effect: 0.03, seed: 2 });
const small = simulateGate({ trials: TRIALS, n: 143, accuracy: 0.93, effect: 0, seed: 3 });
report(
  `gate false promotions, equal models (n=1000, acc 0.85, ${TRIALS} trials), paired McNemar`,
  equal.paired * 100,
  '%',
  'naive "higher wins" gate',
  equal.naive * 100,
);
report(
  'gate false promotions, equal models, noise rule (no per-example predictions)',
  equal.noiseRule * 100,
  '%',
  'naive "higher wins" gate',
  equal.naive * 100,
);
report(
  'gate false promotions, equal models on 143 rows (acc 0.93), noise rule',
  small.noiseRule * 100,
  '%',
  'naive "higher wins" gate',
  small.naive * 100,
);
report(
  'gate detection, challenger truly +0.03 (0.85 → 0.88, n=1000), paired McNemar',
  better.paired * 100,
  '%',
  'naive "higher wins" gate',
  better.naive * 100,
);
report(
  'gate detection, challenger truly +0.03, noise rule',
  better.noiseRule * 100,
  '%',
  'naive "higher wins" gate',
  better.naive * 100,
);
