// The gate's measured error rates (fixed seeds): false promotions on equal models, detection of a better one.
import * as assert from 'assert';
import { GATE_ERROR_RATES } from '../../src/core/registry/gate';
import { simulateGate } from '../../src/core/registry/gateSimulation';

describe("registry: the gate's error rates (simulation, fixed seed)", function () {
  this.timeout(120_000);

  it('paired test: few false promotions on equal models; the noise rule halves the naive rate; a better model is detected', () => {
    const equal = simulateGate({ trials: 400, n: 1000, accuracy: 0.85, effect: 0, seed: 1 });
    const better = simulateGate({ trials: 400, n: 1000, accuracy: 0.85, effect: 0.03, seed: 2 });
    assert.ok(equal.paired <= 0.04, `paired false promotions ${equal.paired}`); // one-sided α/2 = 2.5 % in theory
    assert.ok(equal.naive > 0.4 && equal.naive < 0.6, `naive ${equal.naive}`);
    assert.ok(equal.noiseRule < equal.naive * 0.6, `noise rule ${equal.noiseRule} vs naive ${equal.naive}`);
    assert.ok(better.paired > 0.4, `paired detection ${better.paired}`);
    assert.ok(better.noiseRule > 0.8, `noise-rule detection ${better.noiseRule}`);
  });

  it('the review page states the rates the simulation measures', () => {
    assert.match(GATE_ERROR_RATES, /1\.9 %.*56 %.*20 %.*91 %.*50 %/);
  });
});
