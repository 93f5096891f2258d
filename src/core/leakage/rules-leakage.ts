/**
 * The leakage rules: preprocessing or oversampling before the split, test data in a fit, the target among the
 * features. Each turns the data-flow facts into findings with quick fixes (see `rules.ts`).
 */
import type { LeakUse, SplitSite, Taint, TestFit } from './dataflow';
import { partFromName } from './dataflow';
import { FixBuilder, RawEdit, RawFix } from './fixes';
import { KERAS_MODELS } from './knowledge';
import type { PyNode } from './parser';
import { SourceText, callArgs, field, shortText, stringValue, unparen } from './syntax';
import {
  RawRelated,
  RawFinding,
  RuleContext,
  sortBy,
  modelName,
  capitalize,
  calleeText,
  methodName,
  splitPhrase,
  testPartPhrase,
  splitNames,
  validFix,
} from './rules-shared';

/**
 * A cross-validation call (`scores = cross_val_score(…)`) whose result is assigned to names that are never read
 * afterwards (or are assigned again before any read): its scores are not used, so they cannot mislead.
 */
function cvResultUnread(ctx: RuleContext, use: PyNode): boolean {
  const asg = use.parent;
  const stmt = asg?.parent;
  if (
    use.type !== 'call' ||
    asg?.type !== 'assignment' ||
    use.field !== 'right' ||
    stmt?.type !== 'expression_statement'
  ) {
    return false;
  }
  const left = field(asg, 'left');
  const names = left && (left.type === 'identifier' ? [left] : left.children.filter(c => c.type === 'identifier'));
  if (
    !names?.length ||
    (left!.type !== 'identifier' && names.length !== left!.children.filter(c => c.type !== ',').length)
  ) {
    return false;
  }
  const rest = ctx.src.text.slice(stmt.end);
  return names.every(nm => {
    const m = new RegExp(`\\b${ctx.src.slice(nm)}\\b(\\s*=(?!=))?`).exec(rest);
    return !m || !!m[1];
  });
}

/** What to do about preprocessing outside the cross-validation. */
function cvAdvice(t: Taint): string {
  return t.kind === 'fit'
    ? 'Put the transformer in a Pipeline with the model so it is fitted on the training folds only.'
    : 'Compute the statistic inside the cross-validation (e.g. in a Pipeline step) from the training folds only.';
}

/** ` (in a function called at line N)` for a statistic or fit made inside a helper. */
function inHelperText(ctx: RuleContext, t: Taint): string {
  return t.frames.length ? ` (in a function called at ${ctx.where(t.frames[0].start)})` : '';
}

/** The datasets whose held-out rows (a test or validation part) are named or scored in the file. */
function heldOutRoots(ctx: RuleContext): Set<number> {
  const parts = [...ctx.facts.evaluations.map(e => e.data), ...ctx.facts.scorings.map(sc => sc.data)];
  parts.push(...ctx.facts.heldOut);
  return new Set(parts.filter(d => d.part === 'test' || d.part === 'val').flatMap(d => d.roots));
}

export function preprocessingBeforeSplit(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const seen = new Set<PyNode>();
  let heldOut: Set<number> | undefined;
  const heldOutOf = (roots: number[]) => !roots.length || roots.some(r => (heldOut ??= heldOutRoots(ctx)).has(r));
  // Statistics of groups that are not of the label: per entity id, that entity's own features; before cross-validation
  // on a whole training part, group features (`groupby('card1')['amount'].transform('mean')`) or counts and ranks, which
  // learn no mapping to the label (imputation, scaling and target encoding are reported).
  const labels = new Set(ctx.facts.modelFits.flatMap(f => [f.y?.column, ...(f.y?.srcCols ?? [])]));
  const unsupervisedGroups = (t: Taint, cv: boolean) =>
    (t.groupCol !== undefined && !labels.has(t.groupCol) && (t.entity || cv)) ||
    (cv && /^(rank|groupby\(…\)\.rank)\(\)$/.test(t.what)) ||
    // Category frequencies (count encoding, rare categories), even over a train+test concatenation: they learn no
    // mapping to the label (labellers of four probes left them out).
    t.what === 'value_counts()';
  for (const leak of sortBy(ctx.facts.preLeaks, l => l.taint.node.start)) {
    const t = leak.taint;
    const split = leak.split ?? t.split;
    // A whole training part (or a training part known by its name only, `X_train` from a helper) then cross-validated.
    const wholeTrainingPart = t.cvOnly || (t.part === 'train' && !split && leak.useKind !== 'split');
    if (
      seen.has(t.node) ||
      (t.cvOnly && cvResultUnread(ctx, leak.use)) ||
      unsupervisedGroups(t, wholeTrainingPart || leak.useKind === 'cv')
    ) {
      continue;
    }
    if (!split && !t.cvOnly && t.part !== 'train' && leak.useKind !== 'cv' && !heldOutOf(t.roots)) {
      // No split, and no held-out rows of this data scored anywhere: a part named `train_…` that is all the rows.
      continue;
    }
    seen.add(t.node);
    const inHelper = inHelperText(ctx, t);
    const subject = t.kind === 'fit' ? `${t.what} fits on ${t.data}` : `${t.what} is computed on ${t.data}`;
    let message: string;
    if (wholeTrainingPart) {
      message =
        `${subject}${inHelper}, the whole training part${split ? ` of the split by ${splitPhrase(ctx, split)}` : ''}, and ${leak.dataText} is then cross-validated at ${ctx.where(leak.use.start)}: ` +
        'every validation fold was seen when fitting it, so the cross-validation scores are optimistic. ' +
        cvAdvice(t);
    } else if (leak.useKind === 'cv' && !leak.split) {
      message =
        `${subject}${inHelper}, all the rows, before cross-validation at ${ctx.where(leak.use.start)}: every validation fold was seen during preprocessing, so the scores are optimistic. ` +
        cvAdvice(t);
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
        leak.useKind === 'cv' || t.cvOnly
          ? 'cross-validation on the leaked data'
          : 'a model is trained on the leaked data here',
      node: leak.use,
    });
    const fixes = t.kind === 'fit' && t.frames.length === 0 && !t.cvOnly ? preprocessingFixes(ctx, fx, leak) : [];
    out.push({ rule: 'preprocessing-before-split', node: t.node, message, related, fixes });
  }
  // A file that prepares the data and splits it, with no model trained here (it trains elsewhere): a transformer
  // fitted on all rows before the split is already in the parts it writes out.
  if (ctx.facts.modelFits.length || ctx.facts.preLeaks.length) {
    return;
  }
  for (const split of ctx.facts.splits) {
    for (const d of split.arrays) {
      for (const t of d.taints) {
        if (t.kind !== 'fit' || t.cvOnly || t.search || t.filter || (t.part !== 'full' && t.part !== 'unknown')) {
          continue;
        }
        if (seen.has(t.node)) {
          continue;
        }
        seen.add(t.node);
        const inHelper = inHelperText(ctx, t);
        out.push({
          rule: 'preprocessing-before-split',
          node: t.node,
          message:
            `${t.what} fits on ${t.data}${inHelper}, all the rows, before they are split into train and test by ${splitPhrase(ctx, split)}: ` +
            'a model trained on the training part carries information from the test part. Fit the transformer on the training part only, after the split.',
          related: [{ message: 'the transformed data is split into train and test here', node: split.node }],
          fixes: [],
        });
      }
    }
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

export function oversamplingBeforeSplit(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
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

/** Embeddings fitted only to embed the rows they are given (no `transform` of other rows). */
const NO_TRANSFORM = /^TSNE$/;

export function testDataInFit(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
  const src = ctx.src;
  const seen = new Set<string>();
  for (const tf of sortBy(ctx.facts.testFits, f => f.site.start)) {
    const key = `${tf.kind}:${tf.site.id}:${tf.call.id}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    if (tf.kind === 'fit' && tf.obj?.cat === 'transformer' && !tf.obj.source) {
      // Encoders that learn only the set of categories (LabelEncoder, OneHotEncoder…) or nothing learn no statistic of
      // the test rows (as for preprocessing-before-split).
      continue;
    }
    if (
      tf.kind === 'fit' &&
      tf.obj &&
      (NO_TRANSFORM.test(tf.obj.cls) || (tf.obj.cat === 'transformer' && tf.data.preds))
    ) {
      // A t-SNE embedding has no transform(): fitted on test rows, it maps only those rows (a plot), never others.
      // A transformer fitted on a model's outputs for the test rows (a PCA of a layer's activations) learns nothing
      // the model is trained or scored with.
      continue;
    }
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
      const held = tf.data.part === 'val' ? 'held-out fold' : 'test part';
      message =
        `${capitalize(objName)} is trained on ${tf.dataText}, all the rows including the ${tf.data.part === 'val' ? 'held-out rows' : 'test rows'}${s}, and then evaluated on the ${held} at ${ctx.where(tf.evalNode!.start)}: ` +
        'the model has seen the rows it is scored on, so the score is inflated. Train on the training part only.';
      if (tf.evalNode) {
        related.push({ message: `evaluated on the ${held} here`, node: tf.evalNode });
      }
      if (split && tf.site === tf.call) {
        fixes.push(...swapToTrainFix(ctx, fx, tf, split, 'full'));
      }
    } else if (tf.kind === 'carried-over') {
      const keras = KERAS_MODELS.test(tf.obj?.cls ?? '');
      message =
        `${capitalize(objName)} is built once, before the loop over the folds at ${ctx.where(tf.foldLoop!.start)}, and ${tf.method}() trains it again on each fold${inner}: ` +
        `${keras ? 'a Keras model keeps its weights between fit() calls' : 'it keeps what it learned between fits'}, so from the second fold on it has already trained on the rows it is validated on, and the fold scores are optimistic. ` +
        'Build a new model inside the loop (a function that returns a freshly compiled model).';
      related.push({ message: 'the loop over the folds', node: tf.foldLoop! });
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
      if (transformer && tf.data.part === 'val') {
        const onTrain = tf.obj?.fits.find(f => f.part === 'train');
        const where = split ? ` from ${splitPhrase(ctx, split)}` : '';
        message =
          `${objName}.${m} fits on ${tf.dataText}, the held-out rows (a cross-validation fold or validation part${where})${inner}: ` +
          'the transformer learns from the rows the model is scored on. ' +
          `It was already fitted on the training rows${onTrain ? ` at ${ctx.where(onTrain.site.start)}` : ''}; use transform() on the held-out rows.`;
      } else if (transformer) {
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

export function targetInFeatures(ctx: RuleContext, out: RawFinding[]): void {
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
    // A frame built here and given the label later, then trained on whole: shown where it trains the model.
    const built = t.node.type === 'call' && /^(pd\.|pandas\.)?DataFrame$/.test(calleeText(t.node, ctx.src));
    out.push({
      rule: 'target-in-features',
      node: built ? t.fit : t.node,
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
