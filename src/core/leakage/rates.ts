/**
 * The measured error rates of the leakage rules ("verdicts are products"): true positives, false alarms and misses
 * of each rule on ML Sight's labelled real-world-style corpus (test/unit/fixtures/leakage-realworld: Kaggle-style
 * scripts, long notebooks, helper functions, train+test concatenation, PyTorch loaders). The editor shows them with
 * every diagnostic, the docs list them, `npm run bench` re-measures them, and test/unit/leakage-realworld.test.ts
 * fails when a change to the rules changes the counts without updating this table.
 */
import type { RuleId } from './types';

export interface RuleRate {
  tp: number;
  fp: number;
  fn: number;
}

/** The corpus the rates were measured on: files, files with no leak, and files written after the rules were frozen. */
export const RATE_CORPUS = { files: 356, clean: 135, heldOut: 10 } as const;

export const RULE_RATES: Partial<Record<RuleId, RuleRate>> = {
  'preprocessing-before-split': { tp: 172, fp: 0, fn: 1 },
  'oversampling-before-split': { tp: 13, fp: 0, fn: 1 },
  'test-data-in-fit': { tp: 14, fp: 0, fn: 0 },
  'multi-test': { tp: 22, fp: 0, fn: 0 },
  'target-in-features': { tp: 21, fp: 0, fn: 0 },
  'evaluation-on-training-data': { tp: 14, fp: 0, fn: 1 },
};

const pct = (a: number, b: number) => `${b ? Math.round((100 * a) / b) : 100}%`;

/** One line for the user: how often this rule was right and what it missed on the labelled corpus. */
export function rateText(rule: RuleId): string | undefined {
  const r = RULE_RATES[rule];
  if (!r) {
    return undefined;
  }
  return (
    `${rule}: ${pct(r.tp, r.tp + r.fp)} of its findings were real leaks (${r.tp}/${r.tp + r.fp}) and it caught ` +
    `${pct(r.tp, r.tp + r.fn)} of the labelled leaks (${r.tp}/${r.tp + r.fn}) on ML Sight's corpus of ${RATE_CORPUS.files} ` +
    `labelled scripts and notebooks; expect lower on code unlike it.`
  );
}
