/**
 * The rules: each turns the data-flow facts (and a few syntactic facts) into findings with a message, related
 * locations and quick fixes. Positions here are offsets into the analysed text; `analyze.ts` converts them.
 */
import type { DataV, Evaluation, Facts, FitRecord, LeakUse, ModelFit, ObjV, SplitSite, TestFit } from './dataflow';
import { exclusive, partFromName } from './dataflow';
import { FixBuilder, RawEdit, RawFix, editsOverlap } from './fixes';
import type { PyNode } from './parser';
import { SourceText, callArgs, field, shortText, stringValue, unparen } from './syntax';
import type { RuleId, Severity } from './types';

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

export interface RawRelated {
  message: string;
  node: PyNode;
}
export interface RawFinding {
  rule: RuleId;
  node: PyNode;
  message: string;
  related: RawRelated[];
  fixes: RawFix[];
}

/** Facts found by a plain walk over the tree: imports, seeds, sources of randomness, training loops, baselines. */
export interface SyntaxFacts {
  imports: { node: PyNode; module: string; alias: string }[];
  seeds: PyNode[];
  randomness: { node: PyNode; what: string }[];
  backward: PyNode[];
  dummy: boolean;
}

export interface RuleContext {
  src: SourceText;
  root: PyNode;
  facts: Facts;
  syn: SyntaxFacts;
  /** Human location of an offset: "line 12" or "cell 3, line 2". */
  where(offset: number): string;
  seed: number;
  cellStarts: number[];
}

const sortBy = <T>(xs: T[], key: (x: T) => number): T[] => [...xs].sort((a, b) => key(a) - key(b));

/** A model's name for messages: its class, the model inside a pipeline or search, or "the model". */
export function modelName(obj: ObjV | undefined, depth = 0): string {
  if (!obj || obj.cls === '?') {
    return 'the model';
  }
  if ((obj.cat === 'pipeline' || obj.cat === 'search') && depth < 3) {
    const inner = [...obj.steps].reverse().find(st => st.hasModel || st.cat === 'model' || st.cat === 'search');
    if (inner) {
      const innerName = modelName(inner, depth + 1);
      return obj.cat === 'search' ? `${obj.cls}(${innerName})` : `the pipeline ending in ${innerName}`;
    }
  }
  return obj.cls.includes('.') ? `the model from ${obj.cls}()` : obj.cls;
}

const capitalize = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

function calleeText(call: PyNode, src: SourceText): string {
  const fn = field(call, 'function');
  return fn ? shortText(fn, src, 50) : 'call';
}

function methodName(call: PyNode, src: SourceText): string | undefined {
  const fn = field(call, 'function');
  const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
  return attr ? src.slice(attr) : undefined;
}

function splitPhrase(ctx: RuleContext, s: SplitSite): string {
  return `${calleeText(s.node, ctx.src)} at ${ctx.where(s.node.start)}`;
}

function testPartPhrase(ctx: RuleContext, text: string, s: SplitSite | undefined): string {
  return s
    ? `${text}, the test part from the split at ${ctx.where(s.node.start)}`
    : `${text}, which holds test rows (judging by its variable or file name)`;
}

/** The variable names bound to a split's train and test outputs for array i. */
function splitNames(s: SplitSite, i: number): { train?: string; test?: string } {
  return { train: s.targetNames[2 * i], test: s.targetNames[2 * i + 1] };
}

function validFix(title: string, edits: (RawEdit | undefined)[]): RawFix[] {
  if (edits.some(e => !e)) {
    return [];
  }
  const es = edits as RawEdit[];
  return editsOverlap(es) ? [] : [{ title, edits: es }];
}

// ---------------------------------------------------------------------------------------------------------------

function preprocessingBeforeSplit(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const seen = new Set<PyNode>();
  for (const leak of sortBy(ctx.facts.preLeaks, l => l.taint.node.start)) {
    const t = leak.taint;
    if (seen.has(t.node)) {
      continue;
    }
    seen.add(t.node);
    const split = leak.split ?? t.split;
    const inHelper = t.frames.length ? ` (in a function called at ${ctx.where(t.frames[0].start)})` : '';
    const subject = t.kind === 'fit' ? `${t.what} fits on ${t.data}` : `${t.what} is computed on ${t.data}`;
    let message: string;
    if (leak.useKind === 'cv' && !leak.split) {
      message =
        `${subject}${inHelper}, all the rows, before cross-validation at ${ctx.where(leak.use.start)}: every validation fold was seen during preprocessing, so the scores are optimistic. ` +
        (t.kind === 'fit'
          ? 'Put the transformer in a Pipeline with the model so it is fitted on the training folds only.'
          : 'Compute the statistic inside the cross-validation (e.g. in a Pipeline step) from the training folds only.');
    } else if (split) {
      message =
        `${subject}${inHelper}, which still contains the test rows: it is split into train and test by ${splitPhrase(ctx, split)}. ` +
        `The training data used at ${ctx.where(leak.use.start)} carries information from the test part. ` +
        (t.kind === 'fit'
          ? 'Fit the transformer on the training part only (after the split) and only transform the test part, or use a Pipeline.'
          : 'Compute the statistic on the training part only and reuse it for the test part.');
    } else {
      message =
        `${subject}${inHelper}, which includes the rows later used for testing; the training data used at ${ctx.where(leak.use.start)} carries information from them. ` +
        (t.kind === 'fit'
          ? 'Fit the transformer on the training part only.'
          : 'Compute the statistic on the training part only.');
    }
    const related: RawRelated[] = [];
    if (split) {
      related.push({ message: 'the data is split into train and test here', node: split.node });
    }
    related.push({
      message:
        leak.useKind === 'cv' ? 'cross-validation on the leaked data' : 'a model is trained on the leaked data here',
      node: leak.use,
    });
    const fixes = t.kind === 'fit' && t.frames.length === 0 ? preprocessingFixes(ctx, fx, leak) : [];
    out.push({ rule: 'preprocessing-before-split', node: t.node, message, related, fixes });
  }
}

/** `T = OBJ.fit_transform(S)` → fit after the split / wrap in a Pipeline for cross-validation. */
function preprocessingFixes(ctx: RuleContext, fx: FixBuilder, leak: LeakUse): RawFix[] {
  const src = ctx.src;
  const call = leak.taint.node;
  if (methodName(call, src) !== 'fit_transform') {
    return [];
  }
  const objNode = field(field(call, 'function')!, 'object');
  const args = callArgs(call, src);
  const sArg = args.positional[0];
  if (!objNode || !sArg || sArg.type !== 'identifier' || args.positional.length > 1 || args.keywords.size) {
    return [];
  }
  const stmtA = fx.ownStatement(call);
  const asg = stmtA && fx.assignmentOf(stmtA);
  if (!stmtA || !asg || asg.left.type !== 'identifier' || unparen(asg.right) !== call) {
    return [];
  }
  const T = src.slice(asg.left);
  const S = src.slice(sArg);
  let objText = src.slice(objNode);
  const fixes: RawFix[] = [];
  const between = (a: PyNode, b: PyNode) => src.text.slice(a.end, b.start);
  const mentions = (text: string, name: string) => new RegExp(`(^|[^\\w.])${name}\\b`).test(text);

  const split = leak.split;
  if (split && leak.useKind === 'fit') {
    const stmtB = fx.ownStatement(split.node);
    const asgB = stmtB && fx.assignmentOf(stmtB);
    const idx = split.arrayNodes.findIndex(n => n.type === 'identifier' && src.slice(n) === T);
    const names = idx >= 0 ? splitNames(split, idx) : {};
    if (
      stmtB &&
      asgB &&
      unparen(asgB.right) === split.node &&
      stmtB.parent === stmtA.parent &&
      stmtA.end <= stmtB.start &&
      names.train &&
      names.test &&
      !mentions(between(stmtA, stmtB), T)
    ) {
      const edits: (RawEdit | undefined)[] = [fx.deleteStatement(stmtA)];
      if (T !== S) {
        edits.push(...fx.renameIn(field(split.node, 'arguments')!, T, S));
      }
      const lines: string[] = [];
      if (objNode.type !== 'identifier') {
        const cls = /^[\w.]*?(\w+)\s*\(/.exec(objText)?.[1] ?? 'transformer';
        const v = fx.freshName(cls);
        lines.push(`${v} = ${objText}`);
        objText = v;
      }
      lines.push(
        `${names.train} = ${objText}.fit_transform(${names.train})`,
        `${names.test} = ${objText}.transform(${names.test})`,
      );
      edits.push(fx.insertAfter(stmtB, lines));
      fixes.push(...validFix(`Fit ${objText} on ${names.train} only, after the split`, edits));
    }
  }
  if (leak.useKind === 'cv' && !leak.split) {
    const cv = leak.use;
    const cvArgs = callArgs(cv, src);
    const est = cvArgs.positional[0];
    const xArg = cvArgs.positional[1];
    if (est && xArg && xArg.type === 'identifier' && src.slice(xArg) === T && methodName(cv, src) === undefined) {
      const edits: (RawEdit | undefined)[] = [fx.replace(est, `make_pipeline(${objText}, ${src.slice(est)})`)];
      edits.push(T === S ? fx.deleteStatement(stmtA) : fx.replace(xArg, S));
      const imp = fx.addImport('from sklearn.pipeline import make_pipeline', stmtA.start);
      if (imp) {
        edits.push(imp);
      }
      fixes.push(...validFix(`Put ${objText} in a Pipeline with the model`, edits));
    }
    const fitX = cvArgs.positional[0];
    if (leak.search && methodName(cv, src) === 'fit' && fitX && fitX.type === 'identifier' && src.slice(fitX) === T) {
      fixes.push(...searchPipelineFix(fx, src, leak.search.node, objText, fitX, T, S, stmtA));
    }
  }
  return fixes;
}

/**
 * `search = GridSearchCV(Model(), {'p': …}); search.fit(T, y)` → `GridSearchCV(make_pipeline(scaler, Model()),
 * {'model__p': …})` fitted on the untransformed data; only when the parameter grid is a literal dict with string keys.
 */
function searchPipelineFix(
  fx: FixBuilder,
  src: SourceText,
  ctor: PyNode,
  objText: string,
  xArg: PyNode,
  T: string,
  S: string,
  stmtA: PyNode,
): RawFix[] {
  if (ctor.type !== 'call') {
    return [];
  }
  const a = callArgs(ctor, src);
  const est = a.positional[0] ?? a.keywords.get('estimator');
  const grid = a.positional[1] ?? a.keywords.get('param_grid') ?? a.keywords.get('param_distributions');
  const cls = est?.type === 'call' ? /(\w+)\s*$/.exec(src.slice(field(est, 'function') ?? est))?.[1] : undefined;
  if (!est || !grid || grid.type !== 'dictionary' || !cls) {
    return [];
  }
  const edits: (RawEdit | undefined)[] = [fx.replace(est, `make_pipeline(${objText}, ${src.slice(est)})`)];
  for (const pair of grid.children) {
    const key = pair.type === 'pair' ? field(pair, 'key') : undefined;
    const k = key && key.type === 'string' ? stringValue(key, src) : undefined;
    if (!key || k === undefined) {
      return [];
    }
    const q = src.slice(key).slice(-1);
    edits.push(fx.replace(key, `${q}${cls.toLowerCase()}__${k}${q}`));
  }
  edits.push(T === S ? fx.deleteStatement(stmtA) : fx.replace(xArg, S));
  const imp = fx.addImport('from sklearn.pipeline import make_pipeline', stmtA.start);
  if (imp) {
    edits.push(imp);
  }
  return validFix(
    `Put ${objText} in a Pipeline with the model searched by ${shortText(field(ctor, 'function') ?? ctor, src, 30)}`,
    edits,
  );
}

function oversamplingBeforeSplit(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const seen = new Set<PyNode>();
  for (const leak of sortBy(ctx.facts.overLeaks, l => l.taint.node.start)) {
    const t = leak.taint;
    if (seen.has(t.node)) {
      continue;
    }
    seen.add(t.node);
    let message: string;
    const related: RawRelated[] = [];
    if (leak.useKind === 'split' && leak.split) {
      message =
        `${t.what} on ${t.data} adds duplicated or synthetic rows before the data is split into train and test by ${splitPhrase(ctx, leak.split)}: ` +
        'copies and neighbours of the same rows end up in both parts, so the test score is inflated. Resample only the training part, after the split (or use an imblearn Pipeline).';
      related.push({ message: 'the resampled data is split here', node: leak.split.node });
    } else {
      message =
        `${t.what} on ${t.data} adds duplicated or synthetic rows before cross-validation at ${ctx.where(leak.use.start)}: resampled rows end up in the validation folds, so the scores are inflated. ` +
        'Put the sampler in an imblearn Pipeline with the model (imblearn.pipeline.make_pipeline) so that only the training folds are resampled.';
      related.push({ message: 'cross-validation on the resampled data', node: leak.use });
    }
    out.push({
      rule: 'oversampling-before-split',
      node: t.node,
      message,
      related,
      fixes: t.frames.length ? [] : oversamplingFixes(ctx, fx, leak),
    });
  }
}

/** `Xr, yr = OBJ.fit_resample(X, y)` → resample the training part after the split / imblearn pipeline for CV. */
function oversamplingFixes(ctx: RuleContext, fx: FixBuilder, leak: LeakUse): RawFix[] {
  const src = ctx.src;
  const call = leak.taint.node;
  const m = methodName(call, src);
  if (m !== 'fit_resample' && m !== 'fit_sample') {
    return [];
  }
  const objNode = field(field(call, 'function')!, 'object');
  const args = callArgs(call, src);
  const [xa, ya] = args.positional;
  const stmtA = fx.ownStatement(call);
  const asg = stmtA && fx.assignmentOf(stmtA);
  if (!objNode || !xa || !ya || !stmtA || !asg || unparen(asg.right) !== call) {
    return [];
  }
  const targets = asg.left.type === 'pattern_list' || asg.left.type === 'tuple_pattern' ? asg.left.children : [];
  if (targets.length !== 2 || targets.some(t => t.type !== 'identifier')) {
    return [];
  }
  const [Xr, yr] = targets.map(t => src.slice(t));
  const objText = src.slice(objNode);
  if (leak.useKind === 'split' && leak.split) {
    const split = leak.split;
    const stmtB = fx.ownStatement(split.node);
    const asgB = stmtB && fx.assignmentOf(stmtB);
    const ix = split.arrayNodes.findIndex(n => src.slice(n) === Xr);
    const iy = split.arrayNodes.findIndex(n => src.slice(n) === yr);
    if (!stmtB || !asgB || ix < 0 || iy < 0 || stmtB.parent !== stmtA.parent || stmtA.end > stmtB.start) {
      return [];
    }
    const nx = splitNames(split, ix);
    const ny = splitNames(split, iy);
    if (!nx.train || !ny.train) {
      return [];
    }
    const edits: RawEdit[] = [fx.deleteStatement(stmtA)];
    const argList = field(split.node, 'arguments')!;
    if (Xr !== src.slice(xa)) {
      edits.push(...fx.renameIn(argList, Xr, src.slice(xa)));
    }
    if (yr !== src.slice(ya)) {
      edits.push(...fx.renameIn(argList, yr, src.slice(ya)));
    }
    edits.push(fx.insertAfter(stmtB, [`${nx.train}, ${ny.train} = ${objText}.${m}(${nx.train}, ${ny.train})`]));
    return validFix(`Resample only the training part (${nx.train}, ${ny.train}), after the split`, edits);
  }
  if (leak.useKind === 'cv') {
    const cv = leak.use;
    if (methodName(cv, src) !== undefined) {
      return [];
    }
    const cvArgs = callArgs(cv, src);
    const [est, cx, cy] = cvArgs.positional;
    if (!est || !cx || !cy || src.slice(cx) !== Xr || src.slice(cy) !== yr) {
      return [];
    }
    const edits: RawEdit[] = [
      fx.replace(est, `make_imb_pipeline(${objText}, ${src.slice(est)})`),
      fx.replace(cx, src.slice(xa)),
      fx.replace(cy, src.slice(ya)),
    ];
    const imp = fx.addImport('from imblearn.pipeline import make_pipeline as make_imb_pipeline', stmtA.start);
    if (imp) {
      edits.push(imp);
    }
    return validFix('Resample inside cross-validation with an imblearn Pipeline', edits);
  }
  return [];
}

function testDataInFit(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const src = ctx.src;
  const seen = new Set<string>();
  for (const tf of sortBy(ctx.facts.testFits, f => f.site.start)) {
    const key = `${tf.kind}:${tf.site.id}:${tf.call.id}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const split = tf.data.origin?.split;
    const objName = tf.obj ? modelName(tf.obj) : 'the estimator';
    const viaHelper = tf.site !== tf.call;
    const inner = viaHelper ? ` (inside the function called here, at ${ctx.where(tf.call.start)})` : '';
    const related: RawRelated[] = [];
    if (split) {
      related.push({ message: 'the test part comes from this split', node: split.node });
    }
    let message: string;
    const fixes: RawFix[] = [];
    if (tf.kind === 'full-then-test') {
      const s = split ? ` (split off by ${splitPhrase(ctx, split)})` : '';
      message =
        `${capitalize(objName)} is trained on ${tf.dataText}, all the rows including the test rows${s}, and then evaluated on the test part at ${ctx.where(tf.evalNode!.start)}: ` +
        'the model has seen the rows it is scored on, so the score is inflated. Train on the training part only.';
      if (tf.evalNode) {
        related.push({ message: 'evaluated on the test part here', node: tf.evalNode });
      }
      if (split && tf.site === tf.call) {
        fixes.push(...swapToTrainFix(ctx, fx, tf, split, 'full'));
      }
    } else if (tf.kind === 'tuned-on-all') {
      const s = split
        ? `, including the test part split off by ${splitPhrase(ctx, split)}`
        : ', including the rows later held out';
      message =
        `${tf.what} chooses hyperparameters on ${tf.dataText}, all the rows${s}; its best_params_ reach the model trained at ${ctx.where(tf.evalNode!.start)}, ` +
        'so the test score is optimistic. Run the search on the training part only.';
      related.push({ message: 'a model with the searched hyperparameters is trained here', node: tf.evalNode! });
    } else if (tf.kind === 'cv') {
      message =
        `${calleeText(tf.call, src)} cross-validates on ${testPartPhrase(ctx, tf.dataText, split)}${inner}. ` +
        'The test part must only be used for the final evaluation; cross-validate on the training part.';
      if (split && tf.site === tf.call) {
        fixes.push(...swapToTrainFix(ctx, fx, tf, split, 'test'));
      }
    } else {
      const transformer =
        tf.obj &&
        (tf.obj.cat === 'transformer' || tf.obj.cat === 'sampler' || (tf.obj.cat === 'pipeline' && !tf.obj.hasModel));
      const m = tf.method;
      if (transformer) {
        message =
          `${objName}.${m} fits on ${testPartPhrase(ctx, tf.dataText, split)}${inner}: the transformer learns from the test rows. ` +
          (tf.fittedOnTrainBefore
            ? 'It was already fitted on the training part; use transform() on the test part.'
            : 'Fit it on the training part and only call transform() on the test part.');
        if (tf.site === tf.call && tf.fittedOnTrainBefore) {
          const fn = field(tf.call, 'function');
          const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
          if (attr && m === 'fit_transform') {
            fixes.push({
              title: 'Use transform() instead of fit_transform() on the test part',
              edits: [fx.replace(attr, 'transform')],
            });
          }
          if (m === 'fit') {
            const stmt = fx.ownStatement(tf.call);
            if (stmt && stmt.type === 'expression_statement' && stmt.children[0]?.type === 'call') {
              fixes.push({ title: 'Remove the re-fit on the test part', edits: [fx.deleteStatement(stmt)] });
            }
          }
        }
      } else if (m === 'training loop') {
        message =
          `The training loop at ${ctx.where(tf.call.start)} takes optimiser steps on ${testPartPhrase(ctx, tf.dataText, split)}. ` +
          'The test part must only be used for the final evaluation; train on the training part.';
      } else {
        message = viaHelper
          ? `${shortText(tf.site, src, 50)} passes ${split ? `the test part from the split at ${ctx.where(split.node.start)}` : 'test rows'} to ${objName}.${m}(${tf.dataText}) at ${ctx.where(tf.call.start)}. ` +
            'The test part must only be used for the final evaluation; train on the training part.'
          : `${objName}.${m} trains on ${testPartPhrase(ctx, tf.dataText, split)}. ` +
            'The test part must only be used for the final evaluation; train on the training part.';
        if (split && tf.site === tf.call) {
          fixes.push(...swapToTrainFix(ctx, fx, tf, split, 'test'));
        }
      }
      const nameHint = /^\w+$/.test(tf.dataText) ? partFromName(tf.dataText) : undefined;
      if (nameHint === 'train' && split) {
        message += ` Note: train_test_split returns the train and test parts of each array in turn (X_train, X_test, y_train, y_test), so ${tf.dataText} holds test rows.`;
      }
    }
    out.push({ rule: 'test-data-in-fit', node: tf.site, message, related, fixes });
  }
}

/** Replaces test-part (or full-data) arguments of a call by the split's training names. */
function swapToTrainFix(
  ctx: RuleContext,
  fx: FixBuilder,
  tf: TestFit,
  split: SplitSite,
  from: 'test' | 'full',
): RawFix[] {
  const src = ctx.src;
  const edits: RawEdit[] = [];
  const args = callArgs(tf.call, src).positional;
  for (const a of args) {
    const t = src.slice(a);
    for (let i = 0; i < split.arrayNodes.length; i++) {
      const names = splitNames(split, i);
      const match = from === 'test' ? names.test === t : src.slice(split.arrayNodes[i]) === t;
      if (match && names.train) {
        edits.push(fx.replace(a, names.train));
        break;
      }
    }
  }
  if (!edits.length) {
    return [];
  }
  return validFix(`Train on the training part (${edits.map(e => e.newText).join(', ')})`, edits);
}

function targetInFeatures(ctx: RuleContext, out: RawFinding[]): void {
  const seen = new Set<PyNode>();
  for (const t of sortBy(ctx.facts.targetLeaks, l => l.node.start)) {
    if (seen.has(t.node)) {
      continue;
    }
    seen.add(t.node);
    const what = t.via
      ? `column '${t.column}' (computed from '${t.via}'${t.via === t.target ? ', the target' : `, from which the target '${t.target}' is computed`})`
      : `the target column '${t.target}'`;
    const model = t.obj ? modelName(t.obj) : 'the model';
    const verb = t.node.type === 'subscript' ? 'puts' : 'keeps';
    out.push({
      rule: 'target-in-features',
      node: t.node,
      message:
        `${shortText(t.node, ctx.src, 60)} ${verb} ${what} ${verb === 'puts' ? 'into' : 'among'} the features, and ${t.xText} trains ${model} on ${t.yText} at ${ctx.where(t.fit.start)}: ` +
        `the model can read the answer from its input, so its score is meaningless. Drop '${t.column}' from the features.`,
      related: [
        { message: `${t.xText} (still holding '${t.column}') trains the model on ${t.yText} here`, node: t.fit },
      ],
      fixes: [],
    });
  }
}

function evaluationOnTrainingData(ctx: RuleContext, out: RawFinding[]): void {
  const { scorings } = ctx.facts;
  const heldOut = (d: { part: string }) => d.part === 'test' || d.part === 'val';
  // Only when nothing is evaluated on held-out data or by cross-validation anywhere.
  if (scorings.some(s => heldOut(s.data)) || ctx.facts.modelFits.some(f => f.obj.cvScored)) {
    return;
  }
  const byModel = new Map<string, typeof scorings>();
  for (const s of scorings) {
    const m = s.model;
    if (m.dummy || m.cat === 'search' || m.task === 'clustering' || !m.fits.length) {
      continue;
    }
    let g = byModel.get(m.alloc);
    if (!g) {
      g = [];
      byModel.set(m.alloc, g);
    }
    g.push(s);
  }
  for (const ss of byModel.values()) {
    const first = sortBy(ss, s => s.site.start)[0];
    const same = (f: FitRecord, d: DataV) =>
      f.part === d.part &&
      f.roots.some(r => d.roots.includes(r)) &&
      (f.origin
        ? !!d.origin &&
          f.origin.split === d.origin.split &&
          f.origin.index === d.origin.index &&
          f.origin.side === d.origin.side
        : !d.origin);
    const fit = first.model.fits.find(f => same(f, first.data));
    if (!fit || !ss.every(s => s.model.fits.some(f => same(f, s.data)))) {
      continue;
    }
    const model = capitalize(modelName(first.model));
    out.push({
      rule: 'evaluation-on-training-data',
      node: first.site,
      message:
        `${model} is scored on ${fit.dataText}, the rows it was trained on at ${ctx.where(fit.site.start)}, and never on held-out data: ` +
        'a training score measures memorisation, not how the model does on new data. Hold out a test set (train_test_split) or use cross_val_score.',
      related: [{ message: `${model} is trained on ${fit.dataText} here`, node: fit.site }],
      fixes: [],
    });
  }
}

function multiTest(ctx: RuleContext, out: RawFinding[]): void {
  const groups = new Map<string, typeof ctx.facts.evaluations>();
  for (const ev of ctx.facts.evaluations) {
    const d = ev.data;
    const key = d.origin ? `split:${d.origin.split.id}` : `roots:${[...d.roots].sort().join(',')}`;
    if (!d.origin && !d.roots.length) {
      continue;
    }
    let g = groups.get(key);
    if (!g) {
      g = [];
      groups.set(key, g);
    }
    g.push(ev);
  }
  const reported = new Set<PyNode>();
  for (const evs of groups.values()) {
    const sorted = sortBy(evs, e => e.site.start);
    const split = sorted.find(e => e.data.origin)?.data.origin?.split;
    const splitText = split ? ` (split at ${ctx.where(split.node.start)})` : '';
    const testName = sorted.find(e => /^[\w.\[\]'"]+$/.test(e.dataText))?.dataText;
    // A model rebuilt with loop-dependent hyperparameters and scored on the test part inside the loop.
    const inLoop = sorted.find(e => e.models.some(m => !m.dummy && m.varies && m.loops.some(l => e.loops.includes(l))));
    // A search or pipeline and the estimator it wraps count as one model.
    const merged = new Set<string>();
    for (const e of sorted) {
      for (const m of e.models) {
        if (m.cat === 'search' || m.cat === 'pipeline') {
          for (const st of m.steps) {
            merged.add(st.alloc);
          }
        }
      }
    }
    const allocs = new Map<string, { cls: string; node: PyNode; first: PyNode }>();
    const counted: Evaluation[] = [];
    let second: PyNode | undefined;
    for (const e of sorted) {
      // Models in mutually exclusive branches of an `if` are never both scored.
      if (counted.length && counted.every(c => exclusive(c, e))) {
        continue;
      }
      // Outside a loop, one evaluation of several models (a model chosen earlier, an ensemble) scores one choice.
      const ms = e.models.filter(m => !m.dummy && !merged.has(m.alloc));
      const group = e.loops.length || ms.length < 2 ? ms : [ms[0]];
      if (group.length < ms.length && ms.some(m => allocs.has(m.alloc))) {
        continue;
      }
      for (const m of group) {
        if (allocs.has(m.alloc)) {
          continue;
        }
        allocs.set(m.alloc, { cls: modelName(m), node: m.node, first: e.site });
        if (!counted.includes(e)) {
          counted.push(e);
        }
        if (allocs.size === 2 && !second) {
          second = e.site;
        }
      }
    }
    if (inLoop) {
      const m = inLoop.models.find(x => x.varies)!;
      const mName = capitalize(modelName(m));
      const loop = m.loops.find(l => inLoop.loops.includes(l))!;
      if (reported.has(inLoop.site)) {
        continue;
      }
      reported.add(inLoop.site);
      out.push({
        rule: 'multi-test',
        node: inLoop.site,
        message:
          `${mName} is rebuilt with different hyperparameters on each iteration of the loop at ${ctx.where(loop.start)} and scored on ${inLoop.dataText}, the test part${splitText}: ` +
          'choosing hyperparameters by test score overfits the test set. Select them with cross-validation (e.g. GridSearchCV) or a validation split, and use the test part once at the end.',
        related: [
          { message: 'the loop over hyperparameters', node: loop },
          ...(split ? [{ message: 'the test part comes from this split', node: split.node }] : []),
        ],
        fixes: [],
      });
    } else if (second && allocs.size >= 2) {
      if (reported.has(second)) {
        continue;
      }
      reported.add(second);
      const list = [...allocs.values()];
      const named =
        list
          .slice(0, 4)
          .map(a => `${a.cls} built at ${ctx.where(a.node.start)}`)
          .join(', ') + (list.length > 4 ? `, and ${list.length - 4} more` : '');
      out.push({
        rule: 'multi-test',
        node: second,
        message:
          `The test part${testName ? ` ${testName}` : ''}${splitText} is used to evaluate ${list.length} different models (${named}); picking the best of them by test score makes that score optimistic. ` +
          'Compare models with cross-validation or a validation split, and evaluate only the chosen model on the test part.',
        related: list.map(a => ({ message: `${a.cls} is evaluated on the test part here`, node: a.first })),
        fixes: [],
      });
    }
  }
  for (const v of ctx.facts.testAsValidation) {
    if (reported.has(v.site)) {
      continue;
    }
    reported.add(v.site);
    const split = v.data.origin?.split;
    out.push({
      rule: 'multi-test',
      node: v.site,
      message:
        `${v.dataText}, the test part${split ? ` (split at ${ctx.where(split.node.start)})` : ''}, is used as validation data for early stopping: training is tuned on the test set, so its score is optimistic. ` +
        'Split a validation set from the training part for early stopping.',
      related: split ? [{ message: 'the test part comes from this split', node: split.node }] : [],
      fixes: [],
    });
  }
}

function missingStratify(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const src = ctx.src;
  for (const s of ctx.facts.splits) {
    if (!s.shuffle || (s.stratify && s.stratify.type !== 'none') || s.args.splat || s.torch) {
      continue;
    }
    const entries = [...s.classTargets.entries()].sort((a, b) => b[0] - a[0]);
    if (!entries.length) {
      continue;
    }
    const [index, cols] = entries[0];
    const [col, evidence] = [...cols.entries()][0];
    const arr = s.arrayNodes[index];
    if (!arr) {
      continue;
    }
    const arrText = src.slice(arr);
    const whole = col === '' || col === s.arrays[index]?.column;
    let target = whole ? arrText : `${arrText}[${JSON.stringify(col)}]`;
    const simple = /^[\w.]+(\[[^\]\n]+\])?$/.test(arrText);
    if (!simple && !whole) {
      target = `(${arrText})[${JSON.stringify(col)}]`;
    }
    const names = splitNames(s, index);
    const shown = whole
      ? names.train
        ? `${arrText} (${names.train}/${names.test ?? '…'})`
        : arrText
      : `column ${JSON.stringify(col)} of ${arrText}`;
    const message =
      `${calleeText(s.node, src)} at ${ctx.where(s.node.start)} splits a classification target, ${shown}, without stratify=: ` +
      `the class proportions can differ between train and test (rare classes may be missing from one part). Add stratify=${target}.`;
    const edit = fx.addKeyword(s.node, 'stratify', target);
    out.push({
      rule: 'missing-stratify',
      node: s.node,
      message,
      related: [{ message: 'used as a classification target here', node: evidence }],
      fixes: edit && simple ? [{ title: `Add stratify=${target}`, edits: [edit] }] : [],
    });
  }
}

/** A global numpy seed (sklearn's default random state) set before `node`: it already fixes an unseeded shuffle. */
function numpySeededBefore(ctx: RuleContext, node: PyNode): boolean {
  return ctx.syn.seeds.some(s => s.start < node.start && NUMPY_SEED.test(calleeText(s, ctx.src)));
}
const NUMPY_SEED =
  /(^|\.)((np|numpy)\.random\.seed|set_seed|set_random_seed|seed_everything|seed_all|set_global_seed)$/;

function missingRandomState(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const src = ctx.src;
  for (const s of ctx.facts.splits) {
    if (!s.shuffle || s.args.splat || (s.randomState && s.randomState.type !== 'none')) {
      continue;
    }
    if (numpySeededBefore(ctx, s.node) || (s.torch && ctx.syn.seeds.some(x => x.start < s.node.start))) {
      continue;
    }
    const edit = fx.addKeyword(s.node, 'random_state', String(ctx.seed));
    out.push({
      rule: 'missing-random-state',
      node: s.node,
      message: `${calleeText(s.node, src)} at ${ctx.where(s.node.start)} shuffles without ${s.randomState ? 'a fixed ' : ''}random_state: every run draws a different split, so results cannot be reproduced or compared. Add random_state=${ctx.seed}.`,
      related: [],
      fixes: edit ? [{ title: `Add random_state=${ctx.seed}`, edits: [edit] }] : [],
    });
  }
  for (const sp of ctx.facts.splitters) {
    const rs = sp.args.keywords.get('random_state');
    if (sp.args.splat || (rs && rs.type !== 'none')) {
      continue;
    }
    const shuffle = sp.args.keywords.get('shuffle');
    const shuffles =
      sp.info.shuffles === 'always' ||
      (sp.info.shuffles === 'option' && !!shuffle && /^(True|1)$/.test(src.slice(shuffle)));
    if (!shuffles || numpySeededBefore(ctx, sp.node)) {
      continue;
    }
    const edit = fx.addKeyword(sp.node, 'random_state', String(ctx.seed));
    out.push({
      rule: 'missing-random-state',
      node: sp.node,
      message: `${sp.cls}${sp.info.shuffles === 'option' ? ' with shuffle=True' : ''} at ${ctx.where(sp.node.start)} has no random_state: the folds change on every run, so scores cannot be reproduced or compared. Add random_state=${ctx.seed}.`,
      related: [],
      fixes: edit ? [{ title: `Add random_state=${ctx.seed}`, edits: [edit] }] : [],
    });
  }
}

function firstFit(ctx: RuleContext): ModelFit | undefined {
  return sortBy(ctx.facts.modelFits, f => f.site.start)[0];
}

function missingSeed(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const { syn } = ctx;
  if (syn.seeds.length || !syn.randomness.length) {
    return;
  }
  const fit = firstFit(ctx);
  const at = fit?.site ?? sortBy(syn.backward, n => n.start)[0];
  if (!at) {
    return;
  }
  const r = sortBy(syn.randomness, x => x.node.start)
    .slice(0, 2)
    .map(x => `${x.what} at ${ctx.where(x.node.start)}`)
    .join(', ');
  const message =
    `Models are trained here with unseeded randomness (${r}) and no seed is set anywhere (np.random.seed, torch.manual_seed, random.seed, mlsight.set_seed…): ` +
    'results will change from run to run. Set the seeds once, near the imports.';
  // Seed calls for the modules the file imports (keras' set_random_seed seeds python, numpy and tensorflow).
  const alias = (mod: RegExp) => syn.imports.find(i => mod.test(i.module) && /^\w+$/.test(i.alias))?.alias;
  const lines: string[] = [];
  const np = alias(/^numpy$/);
  const rnd = alias(/^random$/);
  const torch = alias(/^torch$/);
  const tf = alias(/^tensorflow$/);
  const keras = alias(/^(tensorflow\.)?keras$/);
  const usesTorch = syn.imports.some(i => /^torch(\.|$)/.test(i.module));
  if (keras) {
    lines.push(`${keras}.utils.set_random_seed(${ctx.seed})`);
  } else if (tf) {
    lines.push(`${tf}.keras.utils.set_random_seed(${ctx.seed})`);
  } else {
    if (rnd) {
      lines.push(`${rnd}.seed(${ctx.seed})`);
    }
    if (np) {
      lines.push(`${np}.random.seed(${ctx.seed})`);
    }
  }
  if (torch) {
    lines.push(`${torch}.manual_seed(${ctx.seed})`);
  } else if (usesTorch) {
    lines.push('import torch', `torch.manual_seed(${ctx.seed})`);
  }
  if (!lines.length) {
    lines.push('import random', `random.seed(${ctx.seed})`, 'import numpy as np', `np.random.seed(${ctx.seed})`);
  }
  const edit = fx.addImport(lines.join('\n'), at.start, true);
  out.push({
    rule: 'missing-seed',
    node: at,
    message,
    related: syn.randomness.slice(0, 3).map(x => ({ message: `randomness: ${x.what}`, node: x.node })),
    fixes: edit ? [{ title: 'Set the random seeds after the imports', edits: [edit] }] : [],
  });
}

function accuracyOnImbalanced(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const { facts, src } = ctx;
  if (!facts.accuracy.length || facts.otherMetric || !facts.imbalance.length) {
    return;
  }
  const ev = sortBy(facts.imbalance, e => e.node.start)[0];
  const seen = new Set<PyNode>();
  for (const use of sortBy(facts.accuracy, u => u.node.start)) {
    if (seen.has(use.node)) {
      continue;
    }
    seen.add(use.node);
    const what =
      use.kind === 'function'
        ? 'accuracy_score'
        : use.kind === 'scoring'
          ? `scoring=${src.slice(use.node)}`
          : `metrics=${shortText(use.node, src)}`;
    const message =
      `${what} is the only metric, but the target is imbalanced (${ev.what} at ${ctx.where(ev.node.start)}): a model that always predicts the majority class already scores a high accuracy. ` +
      'Report balanced accuracy, F1 or ROC AUC as well (e.g. balanced_accuracy_score or classification_report).';
    const fixes: RawFix[] = [];
    if (use.kind === 'function') {
      const isAttr = use.nameNode.parent?.type === 'attribute';
      const edits: RawEdit[] = [fx.replace(use.nameNode, 'balanced_accuracy_score')];
      const imp = isAttr
        ? undefined
        : fx.addImport('from sklearn.metrics import balanced_accuracy_score', use.node.start);
      if (imp) {
        edits.push(imp);
      }
      fixes.push(...validFix('Use balanced_accuracy_score', edits));
    } else if (use.kind === 'scoring' && use.nameNode.type === 'string') {
      const q = src.slice(use.nameNode).slice(-1);
      fixes.push({
        title: "Use scoring='balanced_accuracy'",
        edits: [fx.replace(use.nameNode, `${q}balanced_accuracy${q}`)],
      });
    }
    out.push({
      rule: 'accuracy-on-imbalanced',
      node: use.node,
      message,
      related: [{ message: `evidence of imbalance: ${ev.what}`, node: ev.node }],
      fixes,
    });
  }
}

function noBaseline(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const { facts, syn, src } = ctx;
  if (syn.dummy || !facts.evaluated.length) {
    return;
  }
  const fit = firstFit(ctx);
  if (!fit) {
    return;
  }
  const task =
    fit.obj.task !== 'unknown'
      ? fit.obj.task
      : facts.accuracy.length || facts.otherMetric
        ? 'classification'
        : 'unknown';
  const cls = capitalize(modelName(fit.obj));
  const dummy = task === 'regression' ? 'DummyRegressor' : 'DummyClassifier';
  const message =
    `${cls} is trained and evaluated, but there is no baseline (${task === 'regression' ? 'DummyRegressor' : task === 'classification' ? 'DummyClassifier' : 'DummyClassifier or DummyRegressor'}) in this ${ctx.cellStarts.length > 1 ? 'notebook' : 'file'}: ` +
    'without one, a score cannot be judged (predicting the majority class or the mean may score as well). Train a dummy baseline on the same data and compare.';
  const fixes: RawFix[] = [];
  const testData = fit.x?.part === 'test' || fit.y?.part === 'test';
  if (
    (task === 'classification' || task === 'regression') &&
    fit.xNode &&
    fit.yNode &&
    !testData &&
    fit.site === fit.call &&
    methodName(fit.call, src) === 'fit'
  ) {
    const stmt = fx.ownStatement(fit.call);
    if (stmt) {
      const strategy = task === 'regression' ? 'mean' : 'most_frequent';
      const xTrain = src.slice(fit.xNode);
      const yTrain = src.slice(fit.yNode);
      const lines = [`baseline = ${dummy}(strategy="${strategy}").fit(${xTrain}, ${yTrain})`];
      const testText = (node: PyNode, d: typeof fit.x): string | undefined => {
        const o = d?.origin;
        if (!o || o.side !== 'train' || d?.part !== 'train') {
          return undefined;
        }
        const names = splitNames(o.split, o.index);
        if (!names.train || !names.test) {
          return undefined;
        }
        const text = src.slice(node);
        const re = new RegExp(`^${names.train}\\b`);
        return re.test(text) ? text.replace(re, names.test) : undefined;
      };
      const xTest = testText(fit.xNode, fit.x);
      const yTest = testText(fit.yNode, fit.y);
      if (xTest && yTest) {
        lines.push(`print("baseline score:", baseline.score(${xTest}, ${yTest}))`);
      }
      const edits: RawEdit[] = [fx.insertAfter(stmt, lines)];
      const imp = fx.addImport(`from sklearn.dummy import ${dummy}`, stmt.start);
      if (imp) {
        edits.push(imp);
      }
      fixes.push(...validFix(`Add a ${dummy} baseline`, edits));
    }
  }
  out.push({ rule: 'no-baseline', node: fit.site, message, related: [], fixes });
}

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
