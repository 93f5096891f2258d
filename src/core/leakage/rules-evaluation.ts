/**
 * The evaluation and reproducibility rules: scoring on training data, repeated test-set use, missing stratify,
 * random_state or seed, accuracy on imbalanced data and no baseline (see `rules.ts`).
 */
import type { DataV, Evaluation, FitRecord, ModelFit, SplitSite } from './dataflow';
import { PART_AFFIX, exclusive } from './dataflow';
import { FixBuilder, RawEdit, RawFix } from './fixes';
import type { PyNode } from './parser';
import { field, isFoldLoop, shortText } from './syntax';
import {
  RawFinding,
  RuleContext,
  sortBy,
  modelName,
  capitalize,
  calleeText,
  methodName,
  splitNames,
  validFix,
} from './rules-shared';
import { earlyStoppingOnTest, sameRows } from './rules-stopping';

export function evaluationOnTrainingData(ctx: RuleContext, out: RawFinding[]): void {
  const { scorings } = ctx.facts;
  const heldOut = (d: { part: string }) => d.part === 'test' || d.part === 'val';
  // A search whose cross-validation score is never read (`best_score_`, `cv_results_`) and that is then scored on
  // the rows it was fitted on reports a training score: its cross-validation counts for nothing.
  const cvRead = scorings.length > 0 && /\b(best_score_|cv_results_)/.test(ctx.src.text);
  const searchOnly = (o: { cat: string }) => o.cat === 'search' && !cvRead;
  // Only when nothing is evaluated on held-out data or by cross-validation anywhere.
  if (scorings.some(s => heldOut(s.data)) || ctx.facts.modelFits.some(f => f.obj.cvScored && !searchOnly(f.obj))) {
    return;
  }
  const byModel = new Map<string, typeof scorings>();
  for (const s of scorings) {
    const m = s.model;
    if (m.dummy || (m.cat === 'search' && !searchOnly(m)) || m.task === 'clustering' || !m.fits.length) {
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
    const fit = first.model.fits.find(f => same(f, first.data) && !otherSlice(f.dataText, first.dataText));
    if (!fit || !ss.every(s => s.model.fits.some(f => same(f, s.data) && !otherSlice(f.dataText, s.dataText)))) {
      continue;
    }
    const model = capitalize(modelName(first.model));
    out.push({
      rule: 'evaluation-on-training-data',
      node: first.site,
      message:
        `${model} is scored on ${fit.dataText}, the rows it was trained on at ${ctx.where(fit.site.start)}, and never on held-out data: ` +
        'a training score measures memorisation, not how the model does on new data. ' +
        (first.model.cat === 'search'
          ? "Report the search's cross-validation score (best_score_) or hold out a test set (train_test_split)."
          : 'Hold out a test set (train_test_split) or use cross_val_score.'),
      related: [{ message: `${model} is trained on ${fit.dataText} here`, node: fit.site }],
      fixes: [],
    });
  }
}

/** Calls that show a model's errors rather than score it (a confusion matrix, a report, a curve, a plot). */
const REPORT_CALL = /confusion|classification_report|curve|display|plot|visuali[sz]|heatmap/i;
const REPORT_CLASS = /^(ROCAUC|ConfusionMatrix|ClassificationReport|PrecisionRecallCurve|ClassPredictionError)$/;

/** An evaluation that reports rather than scores: the call, or the visualiser object it is made through. */
function reportOnly(ctx: RuleContext, e: Evaluation): boolean {
  return (
    (e.node.type === 'call' && REPORT_CALL.test(calleeText(e.node, ctx.src))) ||
    e.models.some(m => REPORT_CLASS.test(m.cls))
  );
}

/** Row slices of one value cut differently (`X.iloc[:cut]` and `X.iloc[cut:]`): other rows, though of one frame. */
function otherSlice(a: string, b: string): boolean {
  const re = /^(.+?)\[([^[\]]*:[^[\]]*)\]$/;
  const ma = re.exec(a.replace(/\s+/g, ''));
  const mb = re.exec(b.replace(/\s+/g, ''));
  return !!ma && !!mb && ma[1] === mb[1] && ma[2] !== mb[2];
}

/** Whether a node is inside a list/set/dict comprehension or a generator expression. */
function inComprehension(n: PyNode): boolean {
  for (let p = n.parent, i = 0; p && i < 12; p = p.parent, i++) {
    if (/comprehension|generator_expression/.test(p.type)) {
      return true;
    }
    if (/statement|definition/.test(p.type)) {
      return false;
    }
  }
  return false;
}

/** A part's variable name without its X/y/data affixes (`y_test_b` → `test_b`; `X_test`, `test_y` → `test`). */
function partStem(name: string): string {
  return name
    .toLowerCase()
    .split('_')
    .filter(w => !PART_AFFIX.test(w))
    .join('_');
}

/**
 * Evaluations on rows no split produced (parts known by their names), split by the part's name when every one of
 * them names its data with a plain variable: `y_test` and `y_test_b` cut from two different frames are two test
 * sets, and a model scored on each is not a choice between them.
 */
function byPartName(evs: Evaluation[]): Evaluation[][] {
  if (evs.some(e => e.data.origin || !/^[A-Za-z_]\w*$/.test(e.dataText))) {
    return [evs];
  }
  const out = new Map<string, Evaluation[]>();
  for (const e of evs) {
    const k = partStem(e.dataText);
    out.set(k, [...(out.get(k) ?? []), e]);
  }
  return [...out.values()];
}

/** A `for` or `while` statement (not a comprehension). */
function isLoop(n: PyNode): boolean {
  return n.type === 'for_statement' || n.type === 'while_statement';
}

/** The model's last fit was on all rows of the data it is evaluated on. */
function fittedOnAll(m: Evaluation['models'][number], d: DataV): boolean {
  const last = m.fits[m.fits.length - 1];
  return !!last && last.part === 'full' && last.roots.some(r => d.roots.includes(r));
}

/**
 * A candidate model: the model object, or, when it is refitted on different data (other features, resampled
 * rows), the object with the fit before the evaluation (by position in the code) — each refit is another candidate.
 */
function candidate(m: Evaluation['models'][number], e: Evaluation): string {
  const fit = refitBefore(m, e);
  return fit ? `${m.alloc}|${fit}` : m.alloc;
}

/** For a model refitted on different data, the data of its fit before the evaluation `e`. */
function refitBefore(m: Evaluation['models'][number], e: Evaluation): string | undefined {
  if (new Set(m.fits.map(f => f.dataText)).size < 2) {
    return undefined;
  }
  let fit = m.fits[0];
  for (const f of m.fits) {
    if (f.node.start < e.node.start && (fit.node.start >= e.node.start || f.node.start > fit.node.start)) {
      fit = f;
    }
  }
  return fit.dataText;
}

export function multiTest(ctx: RuleContext, out: RawFinding[]): void {
  const groups = new Map<string, typeof ctx.facts.evaluations>();
  // Models each trained for a different target column (one classifier per task) are not candidates for one choice.
  const targets = new Map<string, Set<string | undefined>>();
  for (const f of ctx.facts.modelFits) {
    const set = targets.get(f.obj.alloc) ?? new Set();
    set.add(f.y?.column);
    targets.set(f.obj.alloc, set);
  }
  const perTarget = (m: Evaluation['models'][number]) => {
    const names = m.loops.flatMap(l => {
      const left = field(l, 'left');
      return left ? (ctx.src.slice(left).match(/\w+/g) ?? []) : [];
    });
    return ctx.facts.modelFits.some(
      f =>
        f.obj.alloc === m.alloc && f.yNode && names.some(nm => new RegExp(`\\b${nm}\\b`).test(ctx.src.slice(f.yNode!))),
    );
  };
  const targetOf = (alloc: string) => {
    const cols = [...(targets.get(alloc) ?? [])];
    return cols.length === 1 ? cols[0] : undefined;
  };
  /** The models that share their target column with another of them (or whose target is not known). */
  const rivals = <T extends { alloc: string }>(allocs: Map<string, T>) => {
    const cols = [...allocs.values()].map(a => targetOf(a.alloc));
    return [...allocs].filter(([, a]) => {
      const c = targetOf(a.alloc);
      return c === undefined || cols.filter(x => x === c || x === undefined).length > 1;
    });
  };
  // A validation part counts as the test set only when nothing is evaluated on a test part (a Kaggle notebook that
  // compares models on its only hold-out); otherwise choosing on validation data is the right way.
  const anyTest = ctx.facts.evaluations.some(e => e.data.part === 'test');
  // One call scoring a value that may hold either of several models (`best = a if … else b; best.score(…)`) is
  // recorded once per model: it scores one choice. (Several evaluations inside one call of a helper each score.)
  const bySite = new Map<string, Evaluation>();
  for (const ev of ctx.facts.evaluations) {
    // …but a comprehension (`{k: evaluate(m) for k, m in models.items()}`) scores each model in turn.
    const key = `${ev.site.id}:${ev.node.id}`;
    const prev = inComprehension(ev.site) ? undefined : bySite.get(key);
    bySite.set(key, prev ? { ...prev, models: [...new Set([...prev.models, ...ev.models])] } : ev);
  }
  for (const ev of bySite.values()) {
    const d = ev.data;
    if (d.part !== 'test' && anyTest) {
      continue;
    }
    // (A split written again with the same fixed random_state in another cell draws the same test rows: one key.)
    const o = d.origin?.split;
    const key = o ? `split:${o.sameRowsKey ?? o.id}` : `roots:${[...d.roots].sort().join(',')}`;
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
  for (const evs of [...groups.values()].flatMap(byPartName)) {
    const sorted = sortBy(evs, e => e.site.start);
    const split = sorted.find(e => e.data.origin)?.data.origin?.split;
    const splitText = split ? ` (split at ${ctx.where(split.node.start)})` : '';
    const isTest = sorted[0].data.part === 'test';
    const partText = isTest ? 'the test part' : 'the validation part';
    const onlyText = isTest ? '' : ', the only held-out data here,';
    const testName = sorted.find(e => /^[\w.\[\]'"]+$/.test(e.dataText))?.dataText;
    // A model rebuilt with loop-dependent hyperparameters and scored on the test part inside the loop (not when each
    // iteration splits other data or trains for its own target column), or built in one loop, kept and scored in a
    // later loop over what was kept (`results[name] = {'model': grid}`).
    const laterLoop = (m: Evaluation['models'][number], e: Evaluation) =>
      !!m.loops.length &&
      !!e.loops.length &&
      e.loops.every(l => m.loops.every(ml => l.start > ml.end)) &&
      !perTarget(m);
    // (Not a held-out fold of a loop over cross-validation folds inside that loop: a grid search by hand.)
    const cvInside = (e: Evaluation, l: PyNode) =>
      e.data.part === 'val' && e.loops.some(f => f.start >= l.start && f.end <= l.end && isFoldLoop(f, ctx.src));
    const variedIn = (m: Evaluation['models'][number], e: Evaluation) =>
      m.dummy || !m.varies
        ? undefined
        : (m.loops.find(l => e.loops.includes(l) && !(split && splitFollowsLoop(ctx, split, l)) && !cvInside(e, l)) ??
          (laterLoop(m, e) ? m.loops[m.loops.length - 1] : undefined));
    const inLoop = sorted.find(e => e.models.some(m => variedIn(m, e)));
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
    const allocs = new Map<string, { cls: string; node: PyNode; first: PyNode; alloc: string; fit?: string }>();
    const counted: Evaluation[] = [];
    let second: PyNode | undefined;
    for (const e of sorted) {
      // Models in mutually exclusive branches of an `if` are never both scored.
      if (counted.length && counted.every(c => exclusive(c, e))) {
        continue;
      }
      // Outside a loop, one evaluation of several models (a model chosen earlier, an ensemble) scores one choice.
      // A model trained on all rows (the test rows too) is reported by test-data-in-fit, not counted as a candidate.
      const ms = e.models.filter(m => !m.dummy && !merged.has(m.alloc) && !fittedOnAll(m, e.data));
      const group = e.loops.length || ms.length < 2 || inComprehension(e.site) ? ms : [ms[0]];
      if (group.length < ms.length && ms.some(m => allocs.has(candidate(m, e)))) {
        continue;
      }
      for (const m of group) {
        const key = candidate(m, e);
        if (allocs.has(key)) {
          continue;
        }
        allocs.set(key, { cls: modelName(m), node: m.node, first: e.site, alloc: m.alloc, fit: refitBefore(m, e) });
        if (!counted.includes(e)) {
          counted.push(e);
        }
        if (allocs.size === 2 && !second) {
          // All candidates scored by a loop inside one helper call: the evaluation in the helper.
          // So are several evaluations inside one helper call.
          const loopInHelper = e.loops.some(l => l.start > e.site.start || l.end < e.site.end);
          const inHelper = loopInHelper || counted.some(c => c.node !== e.node);
          second = inHelper && counted.every(c => c.site === e.site) ? e.node : e.site;
          if (second === e.site && e.site === e.node && reportOnly(ctx, e)) {
            // Shown where the second model gets a score, not a confusion matrix or a plot of it.
            second =
              sorted.find(
                x =>
                  x.site.start > e.site.start && x.models.some(mm => candidate(mm, x) === key) && !reportOnly(ctx, x),
              )?.site ?? second;
          }
        }
      }
    }
    // A threshold varied by a comprehension is varied where it is scored; one tuned apart from a model rebuilt in a
    // loop (e.g. after an optimiser's trials) is another choice made on the test part.
    const tuned = sorted.find(
      e =>
        e.threshold &&
        e.site !== inLoop?.site &&
        (e.threshold.curve
          ? sameRows(e.threshold.curve, e.data)
          : e.loops.includes(e.threshold.loop) || !isLoop(e.threshold.loop)),
    );
    if (tuned?.threshold && !reported.has(tuned.site)) {
      const { loop, name, curve } = tuned.threshold;
      reported.add(tuned.site);
      const how = curve
        ? `is read off the curve of the same rows at ${ctx.where(loop.start)}`
        : `is varied by the ${isLoop(loop) ? 'loop' : 'comprehension'} at ${ctx.where(loop.start)}`;
      out.push({
        rule: 'multi-test',
        node: tuned.site,
        message:
          `The decision threshold ${name} ${how} and scored on ${tuned.dataText}, ${partText}${splitText}: ` +
          'choosing a threshold by test score overfits the test set. Choose it on a validation part or with cross-validation (e.g. TunedThresholdClassifierCV), and use the test part once at the end.',
        related: [
          { message: curve ? 'the curve the threshold is read from' : 'the loop over thresholds', node: loop },
          ...(split ? [{ message: 'the test part comes from this split', node: split.node }] : []),
        ],
        fixes: [],
      });
      if (!inLoop) {
        continue;
      }
    }
    if (inLoop) {
      const m = inLoop.models.find(x => variedIn(x, inLoop))!;
      const mName = capitalize(modelName(m));
      const loop = variedIn(m, inLoop)!;
      if (reported.has(inLoop.site)) {
        continue;
      }
      reported.add(inLoop.site);
      const objective = loop.type === 'function_definition' && field(loop, 'name');
      const how = objective
        ? `is rebuilt with each trial's hyperparameters in ${ctx.src.slice(objective)}, the objective a hyperparameter optimiser calls once per trial (${ctx.where(loop.start)}), and`
        : inLoop.loops.includes(loop)
          ? `is rebuilt with different hyperparameters on each iteration of the loop at ${ctx.where(loop.start)} and`
          : `is built on each iteration of the loop at ${ctx.where(loop.start)}, and the models kept are each`;
      out.push({
        rule: 'multi-test',
        node: inLoop.site,
        message:
          `${mName} ${how} scored on ${inLoop.dataText}, ${partText}${splitText}${onlyText.replace(/,$/, '')}: ` +
          'choosing hyperparameters by test score overfits the test set. Select them with cross-validation (e.g. GridSearchCV) or a validation split, and use the test part once at the end.',
        related: [
          { message: 'the loop over hyperparameters', node: loop },
          ...(split ? [{ message: 'the test part comes from this split', node: split.node }] : []),
        ],
        fixes: [],
      });
    } else if (second && allocs.size >= 2 && rivals(allocs).length >= 2) {
      if (reported.has(second)) {
        continue;
      }
      reported.add(second);
      const list = rivals(allocs).map(([, a]) => a);
      const named =
        list
          .slice(0, 4)
          .map(a => `${a.cls} built at ${ctx.where(a.node.start)}${a.fit ? ` and trained on ${a.fit}` : ''}`)
          .join(', ') + (list.length > 4 ? `, and ${list.length - 4} more` : '');
      out.push({
        rule: 'multi-test',
        node: second,
        message:
          `${capitalize(partText)}${testName ? ` ${testName}` : ''}${splitText}${onlyText} is used to evaluate ${list.length} different models (${named}); picking the best of them by ${isTest ? 'test' : 'this'} score makes that score optimistic. ` +
          (isTest
            ? 'Compare models with cross-validation or a validation split, and evaluate only the chosen model on the test part.'
            : 'Compare models with cross-validation on the training part, and keep a test part to score only the chosen model.'),
        related: list.map(a => ({ message: `${a.cls} is evaluated on the test part here`, node: a.first })),
        fixes: [],
      });
    }
  }
  earlyStoppingOnTest(ctx, out, reported);
}

export function missingStratify(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
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

export function missingRandomState(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
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

export function missingSeed(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
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

export function accuracyOnImbalanced(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
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

/** `^name\b`, compiled once per name. */
const START_RE = new Map<string, RegExp>();
function startRegExp(name: string): RegExp {
  let re = START_RE.get(name);
  if (!re) {
    re = new RegExp(`^${name}\\b`);
    if (START_RE.size > 1000) {
      START_RE.clear();
    }
    START_RE.set(name, re);
  }
  return re;
}

export function noBaseline(ctx: RuleContext, fx: FixBuilder, out: RawFinding[]): void {
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
        const re = startRegExp(names.train);
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

/** Identifiers bound by a target (`t`, `name, clf`, `(i, (tr, va))`). */
function boundNames(n: PyNode | undefined, ctx: RuleContext, out = new Set<string>()): Set<string> {
  if (n?.type === 'identifier') {
    out.add(ctx.src.slice(n));
  }
  n?.children.forEach(c => boundNames(c, ctx, out));
  return out;
}

/** Every node under `n` (pre-order). */
function descendants(n: PyNode, out: PyNode[] = []): PyNode[] {
  for (const c of n.children) {
    out.push(c);
    descendants(c, out);
  }
  return out;
}

/**
 * Whether the arrays a split divides depend on the variable of a loop that runs it each iteration: the split is in
 * the loop's body, or in a function the loop calls with its variable, and its arrays are computed from that variable
 * (by assignments before it). Each iteration then has its own test part.
 */
function splitFollowsLoop(ctx: RuleContext, split: SplitSite, loop: PyNode): boolean {
  const text = (n: PyNode) => ctx.src.slice(n);
  let fn: PyNode | null = split.node.parent;
  while (fn && fn.type !== 'function_definition' && fn !== loop) {
    fn = fn.parent;
  }
  const loopVars = boundNames(field(loop, 'left'), ctx);
  let seeds: Set<string>;
  let scope: PyNode;
  if (fn === loop) {
    seeds = loopVars;
    scope = loop;
  } else if (fn && fn.start > loop.end) {
    return false;
  } else if (fn) {
    // The parameters the loop passes its variable to, in calls of this function in the loop's body.
    const name = field(fn, 'name');
    const params = (field(fn, 'parameters')?.children ?? []).map(p =>
      p.type === 'identifier' ? text(p) : text(field(p, 'name') ?? p.children[0] ?? p),
    );
    seeds = new Set<string>();
    for (const c of descendants(loop)) {
      const callee = c.type === 'call' ? field(c, 'function') : undefined;
      if (!callee || !name || text(callee) !== text(name)) {
        continue;
      }
      const args = field(c, 'arguments')?.children ?? [];
      args.forEach((a, i) => {
        const kw = a.type === 'keyword_argument' ? field(a, 'name') : undefined;
        const v = kw ? field(a, 'value') : a;
        if (v?.type === 'identifier' && loopVars.has(text(v))) {
          const p = kw ? text(kw) : params[i];
          if (p) {
            seeds.add(p);
          }
        }
      });
    }
    scope = fn;
  } else {
    return false;
  }
  if (!seeds.size) {
    return false;
  }
  // Names computed from the seeds before the split (`target_col = MODEL_COL[target]; y = df[target_col]`).
  const mentions = (n: PyNode) => descendants(n, [n]).some(x => x.type === 'identifier' && seeds.has(text(x)));
  for (const a of descendants(scope)) {
    if (a.type === 'assignment' && a.end <= split.node.start) {
      const right = field(a, 'right');
      if (right && mentions(right)) {
        boundNames(field(a, 'left'), ctx, seeds);
      }
    }
  }
  // Only the features change (`k` columns kept per iteration): the same labels and a fixed random_state (or no
  // shuffle) put the same rows in the test part every time, so it is one test part used again and again.
  const labels = split.arrayNodes.length >= 2 ? split.arrayNodes[split.arrayNodes.length - 1] : undefined;
  if (labels && !mentions(labels) && (split.randomState ? !mentions(split.randomState) : !split.shuffle)) {
    return false;
  }
  return split.arrayNodes.some(mentions);
}
