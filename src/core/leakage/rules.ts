/**
 * The rules: each turns the data-flow facts (and a few syntactic facts) into findings with a message, related
 * locations and quick fixes. Positions here are offsets into the analysed text; `analyze.ts` converts them.
 */
import { FixBuilder } from './fixes';
import type { RuleId, Severity } from './types';
import { RawFinding, RuleContext } from './rules-shared';
import {
  accuracyOnImbalanced,
  evaluationOnTrainingData,
  missingRandomState,
  missingSeed,
  missingStratify,
  multiTest,
  noBaseline,
} from './rules-evaluation';
import { oversamplingBeforeSplit, preprocessingBeforeSplit, targetInFeatures, testDataInFit } from './rules-leakage';

export type { RawFinding, RawRelated, RuleContext, SyntaxFacts } from './rules-shared';
export { modelName } from './rules-shared';

/** Rule metadata: default severity and a one-line summary (for settings UIs, the CLI and the docs). */
export interface RuleInfo {
  id: RuleId;
  severity: Severity;
  summary: string;
}

export const RULES: readonly RuleInfo[] = [
  {
    id: 'preprocessing-before-split',
    severity: 'warning',
    summary:
      'A transformer or dataset-wide statistic is fitted/computed on data that is later split into train and test (or cross-validated).',
  },
  {
    id: 'oversampling-before-split',
    severity: 'warning',
    summary:
      'Oversampling (SMOTE, RandomOverSampler, resample(replace=True)…) happens before the split or before cross-validation outside an imblearn Pipeline.',
  },
  {
    id: 'test-data-in-fit',
    severity: 'error',
    summary:
      'A model or transformer is fitted (or cross-validated) on the test part, or trained on data that still contains it.',
  },
  {
    id: 'target-in-features',
    severity: 'error',
    summary: 'The feature matrix a model is trained on still holds the target column, or a column computed from it.',
  },
  {
    id: 'evaluation-on-training-data',
    severity: 'warning',
    summary: 'A model is scored only on the rows it was trained on, and nothing is evaluated on held-out data.',
  },
  {
    id: 'multi-test',
    severity: 'info',
    summary: 'The test part is used to choose among several models or hyperparameters.',
  },
  {
    id: 'missing-stratify',
    severity: 'warning',
    summary: 'train_test_split on a classification target without stratify=.',
  },
  {
    id: 'missing-random-state',
    severity: 'info',
    summary: 'A shuffling split (train_test_split, ShuffleSplit, KFold(shuffle=True)…) without random_state.',
  },
  {
    id: 'missing-seed',
    severity: 'info',
    summary: 'Models are trained with numpy/torch/random randomness and no seed is set anywhere.',
  },
  {
    id: 'accuracy-on-imbalanced',
    severity: 'info',
    summary: 'Accuracy is the only metric although the target is evidently imbalanced.',
  },
  {
    id: 'no-baseline',
    severity: 'info',
    summary: 'Models are trained and evaluated without a DummyClassifier/DummyRegressor baseline.',
  },
];

export const RULE_IDS: readonly RuleId[] = RULES.map(r => r.id);

/** Runs every rule. */
export function runRules(ctx: RuleContext): RawFinding[] {
  const fx = new FixBuilder(ctx.src, ctx.root, ctx.cellStarts, new Set(ctx.syn.imports.map(i => i.alias)));
  const out: RawFinding[] = [];
  preprocessingBeforeSplit(ctx, fx, out);
  oversamplingBeforeSplit(ctx, fx, out);
  testDataInFit(ctx, fx, out);
  targetInFeatures(ctx, out);
  evaluationOnTrainingData(ctx, out);
  multiTest(ctx, out);
  missingStratify(ctx, fx, out);
  missingRandomState(ctx, fx, out);
  missingSeed(ctx, fx, out);
  accuracyOnImbalanced(ctx, fx, out);
  noBaseline(ctx, fx, out);
  return out;
}
