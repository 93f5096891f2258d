/**
 * What estimators do in the data-flow analysis: fitting, predicting, scoring, cross-validation, native boosting
 * `train`, metrics; each records the facts the rules need (leaks into training data, fits on test data, evaluations,
 * scorings). Constructors, splits and data methods are in `dataflow.ts`, the interpreter in `interpreter.ts`.
 */
import { targetInFeatures } from './columns';
import { Evaluator } from './evaluator';
import type { Args } from './interpreter';
import {
  CLASSIFICATION_METRICS,
  ClassInfo,
  EMBEDDINGS,
  FIT_METHODS,
  KEEPS_COLUMNS,
  scalingUnseenByTrees,
  KERAS_MODELS,
  NON_ACCURACY_CLASSIFICATION_METRICS,
  PREDICT_METHODS,
  RANDOM_SAMPLERS,
  SCORE_METHODS,
  TRANSFORM_METHODS,
  Task,
  keepsBestIteration,
  oneShuffledSplit,
} from './knowledge';
import type { PyNode } from './parser';
import { CallArgs, field, isFoldLoop, stringValue } from './syntax';
import {
  DataV,
  Facts,
  ObjV,
  Part,
  Taint,
  V,
  derive,
  emptyFacts,
  isHeldOut,
  leaksInto,
  mayBeSplitLater,
  objsOf,
  unionTaints,
} from './values';

/**
 * The test part among validation data (`(X_test, y_test)`, `[(X_val, y_val), (X_test, y_test)]`, nested up to three
 * levels): one from a split first.
 */
function testPartIn(v: V | undefined, orVal = false): DataV | undefined {
  const flat = (x: V | undefined, depth: number): DataV[] =>
    !x
      ? []
      : x.k === 'data'
        ? [x]
        : (x.k === 'list' || x.k === 'tuple') && depth < 3
          ? x.items.flatMap(y => flat(y, depth + 1))
          : [];
  const parts = flat(v, 0);
  return (
    parts.find(x => x.part === 'test' && x.origin) ??
    parts.find(x => x.part === 'test') ??
    (orVal ? parts.find(x => x.part === 'val' && x.origin) : undefined)
  );
}

const CURVES = /^(roc_curve|precision_recall_curve|det_curve)$/;
const EARLY_STOPPING = /EarlyStopping|early_stopping|ModelCheckpoint|ReduceLROnPlateau/;

export abstract class Estimators extends Evaluator {
  /** Data split into folds by hand (`kf.split(X)`), for the statistics it carried into them. */
  protected readonly foldInputs: { use: PyNode; data: DataV; dataText: string }[] = [];
  protected abstract noteFoldLeaks(x: DataV): void;
  readonly facts: Facts = emptyFacts();
  protected readonly taintByKey = new Map<string, Taint>();
  /** Training and test parts of one split put back together (`np.vstack([X_train, X_test])`) → the test part. */
  protected readonly recombined = new WeakMap<DataV, DataV>();
  /** Loops in which an object is built with the loop variable (`SelectKBest(k=k)` in `for k in …`). */
  protected readonly variedLoops = new Set<PyNode>();

  /** `s.value_counts().idxmax()`, `.index[0]` (within `n`): a mode of all rows (frequencies alone are not reported). */
  protected modeOfCounts(d: DataV, n: PyNode, how: string): DataV | undefined {
    const c = d.scalar ? d.taints.find(t => t.what === 'value_counts()' && t.node.start >= n.start) : undefined;
    const rows: DataV | undefined = c && { k: 'data', part: c.part, roots: c.roots, taints: [] };
    return rows && this.scalar(unionTaints(d.taints, [this.taint('stat', n, `value_counts().${how}`, c!.data, rows)]));
  }

  protected taint(kind: Taint['kind'], node: PyNode, what: string, data: string, d: DataV): Taint {
    const key = `${kind}:${node.id}`;
    let t = this.taintByKey.get(key);
    if (t && this.rec && !this.rec.taints.has(key)) {
      this.rec.external = true;
    }
    if (!t) {
      t = {
        id: this.nextId++,
        kind,
        node,
        what,
        data,
        part: d.part,
        frames: [...this.callStack],
        splits: new Set(),
        roots: d.roots,
      };
      this.taintByKey.set(key, t);
      this.rec?.taints.add(key);
    }
    return t;
  }

  /** The test part of a split that the loop variable at the root of `expr` also stands for (see `dataflow.ts`). */
  protected loopTestPart(_expr: PyNode): DataV | undefined {
    return undefined;
  }

  /** Trains a gensim embedding on its corpus argument (see `dataflow-calls.ts`). */
  protected abstract fitEmbedding(obj: ObjV, n: PyNode, a: CallArgs, av: Args): void;
  protected abstract newObj(cls: string, info: ClassInfo | undefined, node: PyNode, args: CallArgs | undefined): ObjV;
  /** Notes that a value (a target) is used as a classification or regression target. */
  protected abstract noteTarget(v: V | undefined, task: Task, evidence: PyNode): void;
  protected abstract noteScoring(node: PyNode, v: V | undefined): void;

  // ----- estimator methods

  protected objMethod(obj: ObjV, method: string, n: PyNode, a: CallArgs, av: Args): V {
    if (obj.cls === 'RandomGenerator' && RANDOM_SAMPLERS.test(method)) {
      return this.freshData(`random:${this.ctxKey(n)}`, 'full');
    }
    if ((method === 'build_vocab' || method === 'train') && EMBEDDINGS.test(obj.cls)) {
      this.fitEmbedding(obj, n, a, av);
      return obj;
    }
    if (method === 'fit' && obj.ctorData && !a.positional.length && !av.kw.has('X')) {
      // statsmodels: `sm.OLS(y, X).fit()` fits on the constructor's data.
      const c = obj.ctorData;
      const pos = c.yNode ? [c.xNode, c.yNode] : [c.xNode];
      const posV = c.y ? [c.x, c.y] : [c.x];
      return this.doFit(obj, method, n, { ...a, positional: pos }, { pos: posV, kw: av.kw });
    }
    if (FIT_METHODS.has(method)) {
      return this.doFit(obj, method, n, a, av);
    }
    if (PREDICT_METHODS.has(method)) {
      const x = this.dataOrEmpty(av.pos[0] ?? av.kw.get('X') ?? av.kw.get('x'));
      this.checkFullThenTest(obj, x, n, false);
      // A model trained on rows split later, predicting rows of the same data (imputation, stacking) carries them.
      const last = obj.fits[obj.fits.length - 1];
      const fitData: DataV | undefined = last && { k: 'data', part: last.part, roots: last.roots, taints: [] };
      if (
        fitData &&
        obj.cat === 'model' &&
        obj.task !== 'clustering' &&
        last.method === 'fit' &&
        last.roots.length &&
        mayBeSplitLater(fitData) &&
        x.roots.some(r => last.roots.includes(r)) &&
        (x.part === 'full' || x.part === 'unknown')
      ) {
        const t = this.taint('fit', last.node, `${obj.cls}.fit (its predictions)`, last.dataText, fitData);
        return derive(x, { preds: [obj], column: undefined, taints: unionTaints(x.taints, [t]) });
      }
      return derive(x, { preds: [obj], column: undefined });
    }
    if (SCORE_METHODS.has(method)) {
      const xv = av.pos[0] ?? av.kw.get('X') ?? av.kw.get('x');
      const x = this.dataOrEmpty(xv);
      const y = av.pos[1] ?? av.kw.get('y');
      this.checkFullThenTest(obj, x, n, !!y);
      this.noteTarget(y, obj.task, n);
      this.facts.evaluated.push(n);
      if (y) {
        this.facts.scorings.push({ site: this.site(n), model: obj, data: x, dataText: this.short(a.positional[0]) });
      }
      if (isHeldOut(x)) {
        this.facts.evaluations.push({
          site: this.site(n),
          node: n,
          models: [obj],
          data: x,
          dataText: this.short(a.positional[0]),
          loops: this.loops.map(l => l.node),
          path: [...this.branchPath],
        });
      }
      return this.scalar();
    }
    if (TRANSFORM_METHODS.has(method)) {
      const x = this.dataOrEmpty(av.pos[0] ?? av.kw.get('X'));
      const cols = KEEPS_COLUMNS.test(obj.cls) ? x.cols : undefined;
      return derive(x, { taints: unionTaints(x.taints, obj.taints), column: undefined, cols });
    }
    if (method === 'split' && obj.cat === 'splitter') {
      const x = this.dataOrEmpty(av.pos[0] ?? av.kw.get('X'));
      // Folds of oversampled rows: copies of a row land in both the training and the validation fold.
      for (const t of x.taints) {
        if (t.kind === 'oversample' && (t.part === 'full' || t.part === 'unknown') && this.once(`overcv:${t.id}`)) {
          this.facts.overLeaks.push({ taint: t, use: n, useKind: 'cv', dataText: this.short(a.positional[0]) });
        }
      }
      this.foldInputs.push({ use: n, data: x, dataText: this.short(a.positional[0]) });
      const idx = (part: Part): DataV => ({ k: 'data', part, roots: x.roots, taints: [], index: true });
      const held = idx(oneShuffledSplit(obj, this.src) ? 'test' : 'val');
      return { k: 'list', items: [{ k: 'tuple', items: [idx('train'), held] }] };
    }
    if (method === 'compile') {
      const loss = a.keywords.get('loss');
      if (loss && obj.cat === 'unknown') {
        // Compiled with a loss: a Keras model, whatever built it (`model = LivenessNet.build(…)`).
        Object.assign(obj, { cat: 'model', hasModel: true });
      }
      const lossText = loss ? this.text(loss) : '';
      if (/crossentropy|hinge|CrossEntropy|BCE/.test(lossText)) {
        obj.task = 'classification';
      } else if (/mse|mae|mean_squared|mean_absolute|huber|MSE|MAE/.test(lossText)) {
        obj.task = 'regression';
      }
      const metrics = a.keywords.get('metrics');
      if (metrics) {
        const t = this.text(metrics);
        if (/['"](accuracy|acc)['"]|Accuracy\(/.test(t)) {
          if (/AUC|Precision|Recall|F1|auc|precision|recall|f1/.test(t)) {
            this.facts.otherMetric = true;
          } else {
            this.facts.accuracy.push({ node: metrics, kind: 'keras', nameNode: metrics });
          }
        } else if (t.trim() !== '[]') {
          this.facts.otherMetric = true;
        }
      }
      return { k: 'lit', value: null };
    }
    if (method === 'set_params' && this.loops.length) {
      const names = new Set(this.loops.flatMap(l => [...l.targets]));
      if ([...names].some(nm => new RegExp(`\\b${nm}\\b`).test(this.text(n)))) {
        obj.varies = true;
        obj.loops = this.loops.map(l => l.node);
      }
      return obj;
    }
    if (
      method === 'add' ||
      method === 'to' ||
      method === 'cuda' ||
      method === 'train' ||
      method === 'eval' ||
      method === 'set_output'
    ) {
      return obj;
    }
    if (
      obj.cat === 'unknown' &&
      ((obj.cls === 'ExcelFile' && method === 'parse') || (obj.cls === 'HDFStore' && /^(get|select)$/.test(method)))
    ) {
      // `pd.ExcelFile(path).parse(0)`, `pd.HDFStore(path).get('train')`: a frame read from a file.
      return this.freshData(`load:${this.ctxKey(n)}`, 'full');
    }
    return this.scalar(obj.taints);
  }

  protected isModelLike(obj: ObjV, hasY: boolean, method: string): boolean {
    if (obj.cat === 'model' || obj.cat === 'search') {
      return true;
    }
    if (obj.cat === 'pipeline') {
      return obj.hasModel;
    }
    if (obj.cat === 'unknown') {
      return hasY && method !== 'fit_transform' && method !== 'fit_resample';
    }
    return false;
  }

  /**
   * The loop over cross-validation folds (`for tr, va in kf.split(X)`) that trains, fold after fold, a model built
   * before it that keeps what it learned between fits (a Keras model, `warm_start=True`, `partial_fit`).
   */
  private foldLoopOutside(obj: ObjV, method: string): PyNode | undefined {
    const warm = obj.args?.keywords.get('warm_start');
    const keeps = method === 'partial_fit' || KERAS_MODELS.test(obj.cls) || (!!warm && this.text(warm) === 'True');
    if (!keeps || obj.cat !== 'model') {
      return undefined;
    }
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const l = this.loops[i].node;
      if (isFoldLoop(l, this.src)) {
        return obj.loops.includes(l) ? undefined : l;
      }
    }
    return undefined;
  }

  protected doFit(obj: ObjV, method: string, n: PyNode, a: CallArgs, av: Args): V {
    const xNode = a.positional[0] ?? a.keywords.get('X') ?? a.keywords.get('x');
    const yNode = a.positional[1] ?? a.keywords.get('y');
    const xv = av.pos[0] ?? av.kw.get('X') ?? av.kw.get('x');
    const yv = av.pos[1] ?? av.kw.get('y');
    const xd = this.asData(xv);
    const x0 = xd ?? this.dataOrEmpty(xv);
    // A scaler learns from rows (even of a value taken for a scalar or unknown): those its name says (`train_data`).
    const rows = x0.scalar && obj.source && !x0.mask && !x0.index ? derive(x0, { scalar: false }) : x0;
    const named = (rows !== x0 || !xd) && xNode?.type === 'identifier';
    const x = named ? (this.refineByName(this.text(xNode), rows) as DataV) : rows;
    const y = yv ? this.asData(yv) : undefined;
    const site = this.site(n, true);
    const dataText = this.short(xNode);
    const fittedOnTrainBefore = obj.fits.some(f => f.part === 'train');
    // A fit inside a loop over the parts of a split (`for f in [X_train, X_test]: f[c] = scaler.fit_transform(f[c])`).
    const withTest = this.recombined.get(x) ?? (xNode && this.loopTestPart(xNode));
    // Refitted on the held-out fold after the training rows (`scaler.fit_transform(x.iloc[test_index])`).
    const refitOnHeldOut = x.part === 'val' && obj.cat === 'transformer' && !!obj.source && fittedOnTrainBefore;
    if ((x.part === 'test' || withTest || refitOnHeldOut) && xNode && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({
        kind: 'fit',
        site,
        call: n,
        obj,
        method,
        dataText,
        data: withTest ?? x,
        fittedOnTrainBefore,
        argNodes: a.positional,
      });
    } else if (
      y &&
      y.part === 'test' &&
      y.origin &&
      x.part !== 'test' &&
      yNode &&
      this.once(`testfit:${this.ctxKey(n)}`)
    ) {
      // Targets from the test part (typically a mis-ordered unpacking of train_test_split).
      this.facts.testFits.push({
        kind: 'fit',
        site,
        call: n,
        obj,
        method,
        dataText: this.short(yNode),
        data: y,
        fittedOnTrainBefore,
        argNodes: a.positional,
      });
    }
    const foldLoop = this.foldLoopOutside(obj, method);
    if (foldLoop && xNode && this.once(`carried:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({
        kind: 'carried-over',
        site,
        call: n,
        obj,
        method,
        dataText,
        data: x,
        foldLoop,
        fittedOnTrainBefore,
        argNodes: a.positional,
      });
    }
    obj.fits.push({
      node: n,
      site,
      part: x.part,
      roots: x.roots,
      method,
      dataText,
      origin: x.origin,
      taints: x.taints,
    });

    const loop = this.loops[this.loops.length - 1];
    const recv = field(field(n, 'function') ?? n, 'object');
    if (loop && obj.cat === 'transformer' && recv?.type === 'identifier' && loop.targets.has(this.text(recv))) {
      // A transformer the loop takes from a collection (`for name, vec in vectorizers.items(): vec.fit(…)`).
      this.variedLoops.add(loop.node);
    }
    const isResample = method === 'fit_resample' || method === 'fit_sample';
    // A model that is also a (supervised) projection: `LinearDiscriminantAnalysis().fit_transform(X, y)`.
    const projects = method === 'fit_transform' && obj.cat === 'model' && obj.task !== 'clustering';
    const modelLike = !isResample && !projects && this.isModelLike(obj, !!yNode, method);
    if (modelLike) {
      const inner = this.loops[this.loops.length - 1]?.node;
      if (!obj.varies && inner && this.variedLoops.has(inner)) {
        // Refitted in a loop varying what it depends on (a selector's k, a vectorizer taken from a collection).
        obj.varies = true;
        obj.loops = this.loops.map(l => l.node);
      }
      if (!obj.dummy) {
        this.facts.modelFits.push({ site, call: n, obj, xNode, yNode, x, y });
        this.noteFoldLeaks(x);
      }
      this.checkTargetInFeatures(x, y, site, xNode, yNode, obj);
      this.checkTunedOnAll(obj, x, n);
      // Validation data or a validation split during training is an evaluation on held-out rows.
      if (['validation_data', 'validation_split', 'eval_set'].some(k => a.keywords.has(k))) {
        obj.cvScored = true;
      }
      this.noteTarget(yv, obj.task, n);
      const viaCV = obj.cat === 'search';
      // Keras preprocessing layers inside a Sequential model keep what `adapt` learned: model.fit does not refit them.
      const layerTaints = obj.cls === 'Sequential' ? unionTaints(...obj.steps.map(st => st.taints)) : [];
      // A target transformed with statistics of all rows (`y = QuantileTransformer().fit_transform(df[['y']])`).
      const yTaints = y && !viaCV ? y.taints.filter(t => t.kind !== 'oversample' && leaksInto(t, y)) : [];
      for (const t of unionTaints(x.taints, layerTaints, yTaints)) {
        if (t.kind === 'oversample') {
          if (viaCV && !obj.hasSampler && this.once(`overcv:${t.id}`)) {
            this.facts.overLeaks.push({ taint: t, use: n, useKind: 'cv', split: x.origin?.split, dataText });
          }
          continue;
        }
        // Keras' `validation_split=0.2` holds out the last rows of data that were preprocessed with them.
        const heldOutByFit =
          !viaCV &&
          a.keywords.has('validation_split') &&
          (x.part === 'full' || x.part === 'unknown') &&
          !t.cvOnly &&
          (t.part === 'full' || t.part === 'unknown') &&
          t.roots.some(r => x.roots.includes(r));
        const unseen = viaCV && scalingUnseenByTrees(t, obj, x.taints);
        if (viaCV ? x.part !== 'test' && !unseen : leaksInto(t, x) || yTaints.includes(t) || heldOutByFit) {
          if (this.once(`pre:${t.id}`)) {
            this.facts.preLeaks.push({
              taint: t,
              use: n,
              useKind: x.part === 'train' ? 'fit' : 'cv',
              split: x.origin?.split ?? t.split,
              dataText,
              search: viaCV ? obj : undefined,
            });
          }
        }
      }
      if (viaCV) {
        this.facts.evaluated.push(n);
      }
      this.checkEvalSet(a, n, obj);
      obj.taints = x.taints;
      if (obj.cat === 'search' && mayBeSplitLater(x) && x.roots.length) {
        // Hyperparameters chosen on rows that may later be split off for testing: best_params_ carries that.
        const t = this.taint('fit', n, `${obj.cls}.${method}`, dataText, x);
        t.search = true;
        obj.taints = unionTaints(x.taints, [t]);
      }
      if (method === 'fit_predict') {
        // Outlier flags or cluster labels learned from rows that are split later (`iso.fit_predict(df[cols])`).
        if (obj.task === 'clustering' && mayBeSplitLater(x) && x.roots.length) {
          const t = this.taint('fit', n, `${obj.cls}.${method}`, dataText, x);
          t.filter = true;
          return derive(x, { taints: unionTaints(x.taints, [t]), preds: [obj] });
        }
        return derive(x, { preds: [obj] });
      }
      return obj;
    }
    if (isResample) {
      if (obj.cat === 'sampler' && !obj.oversampler) {
        this.facts.imbalance.push({ node: n, what: obj.cls });
      }
      let taints = x.taints;
      if (obj.oversampler || obj.cat === 'unknown') {
        const t = this.taint('oversample', n, `${obj.cls === '?' ? 'resampler' : obj.cls}.${method}`, dataText, x);
        taints = unionTaints(x.taints, [t]);
      }
      const yd = y ?? this.dataOrEmpty(yv);
      return {
        k: 'tuple',
        items: [
          derive(x, { taints, column: undefined }),
          derive(yd, {
            taints: unionTaints(
              yd.taints,
              taints.filter(t => t.kind === 'oversample'),
            ),
            column: yd.column,
          }),
        ],
      };
    }
    // A transformer (or an unknown object fitted on X only).
    let taints = x.taints;
    const learns = obj.source || projects || method === 'fit_on_texts' || method === 'fit_on_sequences';
    const what = `${obj.cls === '?' ? 'transformer' : obj.cls}.${method}`;
    if (learns && mayBeSplitLater(x) && !withTest) {
      taints = unionTaints(x.taints, [this.taint('fit', n, what, dataText, x)]);
    } else if (obj.source && !withTest && x.part === 'train' && x.origin && !x.scalar && !x.mask && !x.index) {
      // Fitted on the whole training part of a split: it leaks into cross-validation on that part (not into a fit).
      const t = this.taint('fit', n, what, dataText, x);
      t.cvOnly = true;
      taints = unionTaints(x.taints, [t]);
    }
    obj.taints = taints;
    if (method === 'fit_transform') {
      // An encoded label is still that column (`y1 = LabelEncoder().fit_transform(df['task_1'])`).
      const cols = KEEPS_COLUMNS.test(obj.cls) ? x.cols : undefined;
      return derive(x, { taints, column: /^Label(Encoder|Binarizer)$/.test(obj.cls) ? x.column : undefined, cols });
    }
    if (method === 'fit_predict') {
      return derive(x, { taints, preds: [obj] });
    }
    return obj;
  }

  /** Predictions compared with labels: each model is scored on the data it predicted. */
  protected noteScorings(vals: V[], n: PyNode, predNode: PyNode | undefined): void {
    const ds = vals.map(v => this.asData(v)).filter((d): d is DataV => !!d);
    if (!ds.some(d => !d.preds && !d.scalar)) {
      return;
    }
    for (const d of ds) {
      for (const m of d.preds ?? []) {
        this.facts.scorings.push({ site: this.site(n), model: m, data: d, dataText: this.short(predNode) });
      }
    }
  }

  /** A model built with hyperparameters from a search fitted on all rows, trained on a part split from them. */
  protected checkTunedOnAll(obj: ObjV, x: DataV, n: PyNode): void {
    if (x.part !== 'train') {
      return;
    }
    // Training rows cut by hand (`X.iloc[:cut]` named X_train) come from the rows they were cut from.
    const input = x.origin ? x.origin.split.arrays[x.origin.index] : x;
    const hyper = unionTaints(obj.argTaints ?? [], ...obj.steps.map(s => s.argTaints ?? []));
    for (const t of hyper) {
      const all = !!x.origin || t.part === 'full' || t.part === 'unknown';
      if (!t.search || !all || !input?.roots.some(r => t.roots.includes(r)) || !this.once(`tuned:${t.id}`)) {
        continue;
      }
      this.facts.testFits.push({
        kind: 'tuned-on-all',
        site: t.node,
        call: t.node,
        method: 'fit',
        dataText: t.data,
        data: x,
        evalNode: this.site(n),
        fittedOnTrainBefore: false,
        argNodes: [],
        what: t.what,
      });
    }
  }

  protected checkTargetInFeatures(
    x: DataV,
    y: DataV | undefined,
    site: PyNode,
    xNode?: PyNode,
    yNode?: PyNode,
    obj?: ObjV,
  ): void {
    const hit = y && xNode && yNode ? targetInFeatures(x, y, obj?.task === 'regression') : undefined;
    if (hit && this.once(`target:${hit.node.id}:${hit.column}`)) {
      this.facts.targetLeaks.push({ ...hit, fit: site, xText: this.short(xNode), yText: this.short(yNode), obj });
    }
  }

  /**
   * `validation_data=(X_test, y_test)` / `eval_set=[(X_test, y_test)]` (native boosting: `valid_sets=`, `evals=`) with
   * early stopping: the test part steers training.
   */
  protected checkEvalSet(a: CallArgs, n: PyNode, obj: ObjV): void {
    const vd =
      a.keywords.get('validation_data') ??
      a.keywords.get('eval_set') ??
      a.keywords.get('valid_sets') ??
      a.keywords.get('evals');
    if (!vd) {
      return;
    }
    const callbacks = a.keywords.get('callbacks');
    // XGBoost ≥ 1.6 / LightGBM take `early_stopping_rounds` in the constructor too.
    const ctorStop = [obj, ...obj.steps].some(o => !!o.args?.keywords.get('early_stopping_rounds'));
    let hasEarlyStop = !!a.keywords.get('early_stopping_rounds') || ctorStop;
    if (!hasEarlyStop && callbacks) {
      const cb = this.evalExpr(callbacks);
      const objs = [...objsOf(cb), ...objsOf(this.elementOf(cb))];
      const stoppers = objs.filter(o => EARLY_STOPPING.test(o.cls));
      // Keras callbacks watch `val_loss` unless told otherwise (`monitor='loss'`: the validation data only reported).
      const watchesTraining = (o: ObjV) => {
        const m = o.args?.keywords.get('monitor');
        const name = m ? stringValue(m, this.src) : undefined;
        return name !== undefined && !name.startsWith('val');
      };
      hasEarlyStop = stoppers.length > 0 ? !stoppers.every(watchesTraining) : EARLY_STOPPING.test(this.text(callbacks));
    }
    const keepsBest = !hasEarlyStop && keepsBestIteration(obj, a, this.src);
    if (!hasEarlyStop && !keepsBest) {
      return;
    }
    // (A validation part too: the rule reports it when it is the only held-out data and is scored afterwards.)
    const d = testPartIn(this.evalExpr(vd), true);
    if (d && this.once(`evalset:${this.ctxKey(n)}`)) {
      const epoch = keepsBest ? 'iteration' : undefined;
      this.facts.testAsValidation.push({ site: this.site(n, true), dataText: this.short(vd), data: d, epoch });
    }
  }

  protected override searchValidation(n: PyNode, a: CallArgs, av: Args): void {
    const d = testPartIn(av.kw.get('validation_data'));
    if (d && this.once(`evalset:${this.ctxKey(n)}`)) {
      const vd = a.keywords.get('validation_data')!;
      this.facts.testAsValidation.push({ site: this.site(n, true), dataText: this.short(vd), data: d, search: true });
    }
  }

  /**
   * A model trained on all rows, then predicting (or scored on) the test part. A "test" part that no split here
   * produced (an unlabelled Kaggle test slice of a train+test frame) counts only when it is scored against labels.
   */
  protected checkFullThenTest(obj: ObjV, x: DataV, n: PyNode, scored: boolean): void {
    // A held-out fold of a splitter (`list(tscv.split(X))[-1]`) is held out as much as a test part.
    const heldOut = (x.part === 'test' && (!!x.origin || scored)) || x.part === 'val';
    if (!heldOut) {
      return;
    }
    const last = obj.fits[obj.fits.length - 1];
    if (!last || last.part !== 'full' || !last.roots.some(r => x.roots.includes(r))) {
      return;
    }
    // (`if val: X, X_val, y, y_val = train_test_split(X, y)` then `fit(X, y)`: all rows only when nothing is held out.)
    if (!this.isModelLike(obj, true, last.method) || x.origin?.split.targetNames.includes(last.dataText)) {
      return;
    }
    if (this.once(`fullthentest:${last.node.id}`)) {
      this.facts.testFits.push({
        kind: 'full-then-test',
        site: last.site,
        call: last.node,
        obj,
        method: last.method,
        dataText: last.dataText,
        data: x,
        evalNode: this.site(n),
        fittedOnTrainBefore: false,
        argNodes: [],
      });
      // Statistics of all rows in what it was trained on (`df.fillna(df.median())`) reach the test rows' scores too.
      for (const t of last.taints ?? []) {
        const before = t.part === 'full' || t.part === 'unknown';
        if (t.kind !== 'oversample' && before && !t.cvOnly && !t.search && this.once(`pre:${t.id}`)) {
          const split = x.origin?.split ?? t.split;
          this.facts.preLeaks.push({ taint: t, use: last.node, useKind: 'fit', split, dataText: last.dataText });
        }
      }
    }
  }

  protected doCV(name: string, n: PyNode, a: CallArgs, av: Args): V {
    const est = objsOf(av.pos[0] ?? av.kw.get('estimator'))[0];
    const xNode = a.positional[1] ?? a.keywords.get('X');
    const xv = av.pos[1] ?? av.kw.get('X');
    const yv = av.pos[2] ?? av.kw.get('y');
    const x = this.dataOrEmpty(xv);
    const dataText = this.short(xNode);
    const site = this.site(n, true);
    // A "test" part no split here produced (an unlabelled Kaggle test slice) counts only with labels to use.
    const yd = this.asData(yv);
    const yName = a.positional[2] ?? a.keywords.get('y');
    const unbound = yName?.type === 'identifier' && this.isUnboundData(yd, this.text(yName));
    const labelled = !!x.origin || (!!yd && !unbound);
    // Features only named as test rows, cross-validated with labels of all rows, are all rows (same length).
    const isTest = x.part === 'test' && (!!x.origin || yd?.part !== 'full' || unbound);
    if (isTest && xNode && labelled && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({
        kind: 'cv',
        site,
        call: n,
        obj: est,
        method: name,
        dataText,
        data: x,
        fittedOnTrainBefore: false,
        argNodes: a.positional,
      });
    }
    // Statistics learned on all rows of the target (a transformed or thresholded `y`) leak into the folds too.
    const yTaints = (this.asData(yv)?.taints ?? []).filter(t => t.kind !== 'oversample');
    for (const t of unionTaints(x.taints, yTaints)) {
      if (t.kind === 'oversample') {
        if (!est?.hasSampler && this.once(`overcv:${t.id}`)) {
          this.facts.overLeaks.push({ taint: t, use: n, useKind: 'cv', split: x.origin?.split, dataText });
        }
      } else if (!isTest && !scalingUnseenByTrees(t, est, x.taints) && this.once(`pre:${t.id}`)) {
        this.facts.preLeaks.push({
          taint: t,
          use: n,
          useKind: x.part === 'train' ? 'fit' : 'cv',
          split: x.origin?.split ?? t.split,
          dataText,
        });
      }
    }
    const scoring = a.keywords.get('scoring');
    if (scoring) {
      this.noteScoring(scoring, av.kw.get('scoring'));
    }
    this.checkTargetInFeatures(x, this.asData(yv), site, xNode, a.positional[2] ?? a.keywords.get('y'), est);
    if (est) {
      est.cvScored = true;
    }
    if (est) {
      this.noteTarget(yv, est.task, n);
      if (!est.dummy) {
        this.facts.modelFits.push({ site, call: n, obj: est, xNode, yNode: a.positional[2], x, y: this.asData(yv) });
      }
    }
    this.facts.evaluated.push(n);
    if (name === 'cross_val_predict') {
      return derive(x, { preds: est ? [est] : [] });
    }
    return this.scalar();
  }

  // ----- metrics

  /**
   * A helper the analysis cannot see into, given held-out labels and a model's predictions of them
   * (`evaluate_binary(y_test, svm.predict(X_test))`): it evaluates that model on those rows.
   */
  protected helperEvaluation(n: PyNode, a: CallArgs, av: Args): void {
    const ds = this.argData(av, true);
    const labels = ds.find(d => !d.preds && isHeldOut(d));
    const models = [...new Set(ds.flatMap(d => (d.part === labels?.part ? (d.preds ?? []) : [])))];
    if (!labels || !models.length) {
      return;
    }
    this.facts.evaluated.push(n);
    this.facts.evaluations.push({
      site: this.site(n),
      node: n,
      models,
      data: labels,
      dataText: this.short(a.positional[0]),
      loops: this.loops.map(l => l.node),
      path: [...this.branchPath],
    });
  }

  protected doMetric(name: string, n: PyNode, a: CallArgs, av: Args): V {
    const classification = CLASSIFICATION_METRICS.has(name);
    const fnNode = field(n, 'function');
    const nameNode = fnNode?.type === 'attribute' ? (field(fnNode, 'attribute') ?? fnNode) : (fnNode ?? n);
    if (name === 'accuracy_score') {
      this.facts.accuracy.push({ node: n, kind: 'function', nameNode });
    } else if (NON_ACCURACY_CLASSIFICATION_METRICS.has(name)) {
      this.facts.otherMetric = true;
    }
    let vals = [...av.pos, ...av.kw.values()];
    let models: ObjV[] = [];
    if (name === 'from_estimator' || name === 'plot_confusion_matrix' || name === 'plot_roc_curve') {
      models = objsOf(av.pos[0]);
      vals = vals.slice(1);
    }
    let testData: DataV | undefined;
    for (const v of vals) {
      const d = this.asData(v);
      if (!d) {
        continue;
      }
      if (!d.preds) {
        this.noteTarget(d, classification ? 'classification' : 'regression', n);
      }
      if (d.preds) {
        models.push(...d.preds);
      }
      if (isHeldOut(d) && (!testData || (testData.part === 'val' && d.part === 'test'))) {
        testData = d;
      }
      if (d.preds && d.part === testData?.part) {
        testData = d;
      }
    }
    this.facts.evaluated.push(n);
    this.noteScorings(vals, n, a.positional[1] ?? a.positional[0]);
    const uniq = [...new Set(models)];
    if (testData && uniq.length) {
      const threshold = vals.map(v => this.asData(v)?.threshold).find(t => t && (t.curve || this.inLoopNow(t.loop)));
      this.facts.evaluations.push({
        site: this.site(n),
        node: n,
        models: uniq,
        data: testData,
        dataText: this.short(a.positional[0]),
        loops: this.loops.map(l => l.node),
        path: [...this.branchPath],
        threshold,
      });
      for (const m of uniq) {
        this.checkFullThenTest(m, testData, n, true);
      }
      if (CURVES.test(name)) {
        // fpr, tpr, thresholds (or precision, recall, thresholds): read off the held-out rows' curve.
        const item = (): DataV => ({ ...this.scalar(), curve: { node: n, data: testData } });
        return { k: 'tuple', items: [item(), item(), item()] };
      }
    }
    return this.scalar();
  }
}
