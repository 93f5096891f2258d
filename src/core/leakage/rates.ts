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
export const RATE_CORPUS = { files: 492, clean: 190, heldOut: 10 } as const;

export const RULE_RATES: Partial<Record<RuleId, RuleRate>> = {
  'preprocessing-before-split': { tp: 235, fp: 0, fn: 2 },
  'oversampling-before-split': { tp: 14, fp: 0, fn: 1 },
  'test-data-in-fit': { tp: 16, fp: 0, fn: 0 },
  'multi-test': { tp: 44, fp: 0, fn: 0 },
  'target-in-features': { tp: 24, fp: 0, fn: 0 },
  'evaluation-on-training-data': { tp: 20, fp: 0, fn: 1 },
};

/**
 * How the rules did on code they had not seen: the first runs of the held-out sets rw2-* … rw30-* of the corpus,
 * each written and labelled before the analyzer saw it and scored before any fix for it (docs/leakage-rules.md lists
 * every set). These are historical measurements of earlier analyzer versions — the honest estimate for new code —
 * while RULE_RATES measures the current analyzer on the whole corpus it was tuned on.
 */
export const FIRST_RUNS = {
  sets: 'rw2-rw30',
  files: 390,
  clean: 151,
  tp: 206,
  fp: 16,
  fn: 76,
  preprocessing: { tp: 157, fn: 43 },
} as const;

/**
 * First runs on public code written by others: twenty-two sets of 21 to 52 public notebooks and scripts, labelled by
 * hand before the analyzer ran on them (kept out of the repository; docs/leakage-rules.md, "On public code", has the
 * rows). `latest`: the last six sets, run on this release's analyzer (each on the version of the day, before any fix
 * from it).
 */
export const PUBLIC_FIRST_RUNS = {
  files: 846,
  tp: 35 + 29 + 28 + 21 + 42 + 19 + 33 + 39 + 28 + 18 + 26 + 28 + 31 + 16 + 23 + 21 + 25 + 19 + 31 + 21 + 9 + 10,
  fp: 12 + 9 + 7 + 7 + 10 + 24 + 7 + 0 + 0 + 3 + 4 + 17 + 2 + 7 + 6 + 17 + 10 + 24 + 4 + 0 + 8 + 2,
  fn: 18 + 13 + 12 + 7 + 12 + 14 + 3 + 6 + 2 + 6 + 5 + 3 + 3 + 7 + 4 + 2 + 13 + 12 + 4 + 0 + 10 + 4,
  latest: { files: 190, tp: 25 + 19 + 31 + 21 + 9 + 10, fp: 10 + 24 + 4 + 0 + 8 + 2, fn: 13 + 12 + 4 + 0 + 10 + 4 },
} as const;

const pct = (a: number, b: number) => `${b ? Math.round((100 * a) / b) : 100}%`;
/** "one … in N" for a share a/b (at least 2). */
const oneIn = (a: number, b: number) => Math.max(2, Math.round(b / Math.max(a, 1)));
const NUMBER_WORDS = ['', '', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const inWords = (n: number) => NUMBER_WORDS[n] ?? String(n);

/** What the user reads with a finding: the rule's rate on the corpus, and all rules' rate on code they had not seen. */
export function rateText(rule: RuleId): string | undefined {
  const r = RULE_RATES[rule];
  if (!r) {
    return undefined;
  }
  const f = FIRST_RUNS;
  const p = PUBLIC_FIRST_RUNS;
  const l = p.latest;
  return (
    `${rule}: ${pct(r.tp, r.tp + r.fp)} of its findings were real leaks (${r.tp}/${r.tp + r.fp}) and it caught ` +
    `${pct(r.tp, r.tp + r.fn)} of the labelled leaks (${r.tp}/${r.tp + r.fn}) on ML Sight's corpus of ${RATE_CORPUS.files} ` +
    `labelled scripts and notebooks, which the rules were tuned on. On ${f.files} files they had not seen yet, all ` +
    `rules together were right ${pct(f.tp, f.tp + f.fp)} of the time and caught ${pct(f.tp, f.tp + f.fn)} of the ` +
    `leaks; on ${p.files} public notebooks and scripts written by others, right ${pct(p.tp, p.tp + p.fp)} and caught ` +
    `${pct(p.tp, p.tp + p.fn)} (on the latest ${l.files}, run on this release: right ${pct(l.tp, l.tp + l.fp)} and ` +
    `caught ${pct(l.tp, l.tp + l.fn)}): on code unlike the corpus, expect about one finding in ` +
    `${inWords(oneIn(l.fp, l.tp + l.fp))} to be wrong and one leak in ${inWords(oneIn(l.fn, l.tp + l.fn))} to be missed.`
  );
}
