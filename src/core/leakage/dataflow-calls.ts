/**
 * The library-call layer of the ML semantics (`dataflow.ts`): estimator objects and their construction, calls of
 * library functions (data sources, metrics, cross-validation, feature scoring) and train/test splits.
 */
import { ALL_COLUMNS, NO_COLUMNS, sourceColumns, stringsOf } from './columns';
import {
  ACCURACY_SCORING,
  CLASSIFICATION_METRICS,
  CONCAT_FUNCTIONS,
  CV_FUNCTIONS,
  ClassInfo,
  EMBEDDINGS,
  FIT_METHODS,
  LOADER_FUNCTIONS,
  PIPELINE_FUNCTIONS,
  PREDICT_METHODS,
  RANDOM_SAMPLERS,
  REGRESSION_METRICS,
  ROWWISE_FUNCTIONS,
  SCORE_METHODS,
  SPLIT_FUNCTIONS,
  STAT_FUNCTIONS,
  STAT_MODULES,
  classInfo,
  KNOWN_LIBRARY,
  stepNamed,
  transformerNamed,
} from './knowledge';
import type { Args } from './interpreter';
import type { PyNode } from './parser';
import { CallArgs, callArgs, field, isFoldLoop, shortText, stringValue } from './syntax';
import {
  ColInfo,
  DataV,
  ObjV,
  Part,
  SplitSite,
  UNKNOWN,
  V,
  derive,
  leaksInto,
  litValue,
  mayBeSplitLater,
  mergeData,
  objsOf,
  partFromName,
  taintsOf,
  unionTaints,
} from './values';
import { DataOps, isRowwise } from './dataflow-data';

/** sklearn's univariate feature-scoring functions (they read the target of every row). */
const FEATURE_SCORES = /^(f_classif|f_regression|r_regression|chi2|mutual_info_classif|mutual_info_regression)$/;
/** statsmodels models (array API `sm.OLS(y, X)`, formula API `smf.ols(formula, data=df)`): model → task. */
const STATSMODELS =
  /^(OLS|WLS|GLS|GLM|Logit|Probit|MNLogit|Poisson|NegativeBinomial|QuantReg|RLM|ols|wls|gls|glm|logit|probit|mnlogit|poisson|negativebinomial|quantreg|rlm)$/;
/** Evaluation helpers defined in another module (`from utils import evaluate_binary`), by their name. */
const EVAL_HELPER = /eval|score|metric|report|rmse|mse|mae|accura|assess|perf/i;
/** numpy random generators, and the draws that create new data from them (or from `np.random`). */
const RANDOM_GENERATORS = /^(RandomState|default_rng|Generator)$/;

/** `\bname\b` (the name's word characters), compiled once per name (loop variables are asked about often). */
const WORD_RE = new Map<string, RegExp>();
function wordRegExp(name: string): RegExp {
  let re = WORD_RE.get(name);
  if (!re) {
    re = new RegExp(`\\b${name.replace(/[^\w]/g, '')}\\b`);
    if (WORD_RE.size > 10_000) {
      WORD_RE.clear();
    }
    WORD_RE.set(name, re);
  }
  return re;
}

/** The arguments of a call that can carry hyperparameters: all but `random_state=` / `seed=`. */
function hyperArgs(a: CallArgs): PyNode[] {
  return [...a.positional, ...[...a.keywords].filter(([k]) => !/random_state|seed/.test(k)).map(([, v]) => v)];
}

/** The columns of a dict of named columns (`{'actual': y_test, 'predicted': pred}`), when every key is a string. */
function namedColumns(v: V | undefined): ReadonlyMap<string, V> | undefined {
  if (v?.k !== 'dict' || !v.items.length || v.keys.some(k => k === undefined)) {
    return undefined;
  }
  return new Map(v.keys.map((k, i) => [k!, v.items[i]]));
}

/**
 * The columns of `pd.DataFrame(rows, columns=…)`: those of a column list (`columns=df.drop(columns=[…]).columns`), or
 * the rows' own when they are one frame and no names are given.
 */
function frameColumns(m: DataV, n: number, columns: V | undefined, node: PyNode): ColInfo | undefined {
  if (columns) {
    // Names it cannot read (`columns=iris.feature_names`): none it knows, so those added later are known to be there.
    const list = columns.k === 'data' ? columns.colList : undefined;
    return list ?? (columns.k === 'lit' ? undefined : NO_COLUMNS(node));
  }
  return n === 1 ? m.cols : undefined;
}

export abstract class LibraryCalls extends DataOps {
  protected readonly splitByNode = new Map<PyNode, SplitSite>();
  private readonly savedModels = new WeakMap<object, Set<ObjV>>();

  protected receiver(objNode: PyNode, recv: V, method: string): V {
    if (recv.k !== 'obj' && recv.k !== 'union' && recv.k !== 'data' && FIT_METHODS.has(method)) {
      // An object of unknown class fitted under a transformer's name (`tfidf = config.tfidf; tfidf.fit_transform(t)`).
      const last = objNode.type === 'attribute' ? field(objNode, 'attribute') : objNode;
      const cls = last?.type === 'identifier' ? transformerNamed(this.text(last)) : undefined;
      if (cls) {
        return this.materialize(objNode, recv, cls);
      }
    }
    if (
      recv.k !== 'obj' &&
      recv.k !== 'union' &&
      recv.k !== 'ref' &&
      (FIT_METHODS.has(method) ||
        PREDICT_METHODS.has(method) ||
        (SCORE_METHODS.has(method) && recv.k !== 'data') ||
        (method === 'compile' && recv.k !== 'data') ||
        (method === 'transform' && recv.k !== 'data' && !(recv.k === 'lit')))
    ) {
      return this.materialize(objNode, recv);
    }
    return recv;
  }

  protected instantiate(cls: string, n: PyNode, a: CallArgs): V {
    return this.newObj(cls, undefined, n, a);
  }

  /** Calling a model object (torch/keras forward pass): predictions on the input. */
  protected callObject(obj: ObjV, av: Args): V {
    const x = this.asData(av.pos[0]);
    return x ? derive(x, { preds: [obj], taints: unionTaints(x.taints, obj.taints) }) : UNKNOWN;
  }

  // ----- calls

  protected materialize(objNode: PyNode, cur: V, cls?: string): ObjV {
    const key = objNode.type === 'identifier' ? this.text(objNode) : this.dottedKey(objNode);
    const obj = this.newObj(cls ?? '?', cls ? classInfo(cls) : undefined, objNode, undefined);
    obj.taints = taintsOf(cur);
    if (key) {
      if (key.includes('.')) {
        this.markDotted();
      }
      this.assign(key, obj);
    }
    return obj;
  }

  protected newObj(cls: string, info: ClassInfo | undefined, node: PyNode, args: CallArgs | undefined): ObjV {
    const loops = this.loops.map(l => l.node);
    let varies = false;
    // The variables of a loop over cross-validation folds (the fold number too) are no hyperparameters.
    const hyperLoops = this.loops.filter(l => !isFoldLoop(l.node, this.src));
    if (args && hyperLoops.length) {
      const names = new Set(hyperLoops.flatMap(l => [...l.targets]));
      const texts = [
        ...hyperArgs(args),
        // `RandomForestClassifier(**params)` in `for params in ParameterGrid(grid)`.
        ...(args.splat && args.list ? args.list.children.filter(c => /splat/.test(c.type)) : []),
      ].map(x => this.text(x));
      varies = texts.some(t => [...names].some(nm => wordRegExp(nm).test(t)));
    }
    // A model built in an optimiser's objective gets the trial's hyperparameters (often through `**params`).
    varies ||= this.hyperDepth > 0 && info?.cat === 'model';
    if (!varies && hyperLoops.length && this.callStack.length) {
      // Built by a user function called with the loop variable (`model = create_model(lr)` in `for lr in …`).
      const names = new Set(hyperLoops.flatMap(l => [...l.targets]).filter(nm => !/seed|random_state/i.test(nm)));
      const passed = (c: PyNode) =>
        hyperArgs(callArgs(c, this.src)).some(v => v.type === 'identifier' && names.has(this.text(v)));
      varies = this.callStack.some(c => c.type === 'call' && passed(c));
    }
    if (varies && this.loops.length) {
      this.variedLoops.add(this.loops[this.loops.length - 1].node);
    }
    return {
      k: 'obj',
      cls,
      cat: info?.cat ?? 'unknown',
      task: info?.task ?? 'unknown',
      info,
      alloc: this.ctxKey(node),
      node,
      taints: [],
      fits: [],
      steps: [],
      source: !!info?.source,
      oversampler: !!info?.oversampler,
      hasSampler: false,
      hasModel: info?.cat === 'model',
      loops,
      varies,
      dummy: !!info?.dummy,
      args,
    };
  }

  // ----- library functions

  protected callLibrary(module: string, name: string, n: PyNode, a: CallArgs, av: Args): V {
    const builtin = module === 'builtins';
    const kwNode = (k: string) => a.keywords.get(k);
    if (name === 'polyfit' && !builtin && /^(np|numpy)$/.test(module) && av.pos.length >= 2) {
      // `np.polyfit(x, y, 3)`: a polynomial regression fitted on (x, y); `np.poly1d(coefs)` is that model.
      const obj = this.newObj('polyfit', { cat: 'model', task: 'regression' }, n, a);
      this.doFit(obj, 'fit', n, a, av);
      return obj;
    }
    if (name === 'poly1d' && !builtin && /^(np|numpy)$/.test(module) && objsOf(av.pos[0]).length) {
      return objsOf(av.pos[0])[0];
    }
    if (name === 'wrap' && /yellowbrick/.test(module) && objsOf(av.pos[0]).length) {
      // yellowbrick's `wrap(model)` makes any model usable by its visualisers: still that model.
      return objsOf(av.pos[0])[0];
    }
    if (!builtin && EMBEDDINGS.test(name)) {
      // gensim's `Word2Vec(sentences=docs, …)` learns its vocabulary and vectors from the documents it is given.
      const obj = this.newObj(name, { cat: 'transformer', source: true }, n, a);
      this.fitEmbedding(obj, n, a, av);
      return obj;
    }
    if (!builtin && STATSMODELS.test(name) && /statsmodels|^smf?$/.test(module)) {
      return this.statsmodelsModel(name, n, a, av);
    }
    if (name === 'col' && /^(pl|polars)$/.test(module) && this.exprFrames.length) {
      // `pl.col('x')` inside `df.with_columns(…)`: that column of `df`.
      const col = a.positional[0] ? stringValue(a.positional[0], this.src) : undefined;
      return derive(this.exprFrames[this.exprFrames.length - 1], { column: col });
    }
    if (!builtin) {
      const info = classInfo(name);
      if (info && /^[A-Z]/.test(name)) {
        return this.construct(name, info, n, a, av);
      }
      if (name === 'Pipeline' || PIPELINE_FUNCTIONS.has(name)) {
        return this.construct(name, { cat: 'pipeline' }, n, a, av);
      }
      if (SPLIT_FUNCTIONS.has(name)) {
        return this.doSplit(n, a, av);
      }
      if (name === 'random_split' && av.pos[0]) {
        return this.randomSplit(n, a, av);
      }
      if (name === 'Subset' && av.pos.length >= 2) {
        // torch.utils.data.Subset(dataset, indices): the rows the indices select.
        const d = this.asData(av.pos[0]);
        const k = this.asData(av.pos[1]);
        if (d && k && (k.index || k.part === 'train' || k.part === 'test' || k.part === 'val')) {
          return derive(d, { part: k.part, origin: k.origin ?? d.origin });
        }
      }
      if (CV_FUNCTIONS.has(name)) {
        return this.doCV(name, n, a, av);
      }
      if (CLASSIFICATION_METRICS.has(name) || REGRESSION_METRICS.has(name)) {
        return this.doMetric(name, n, a, av);
      }
      if (name === 'resample' && /utils|^$/.test(module)) {
        return this.doUpsample(n, a, av, 'resample');
      }
      const step = KNOWN_LIBRARY.test(module) ? undefined : stepNamed(name);
      if (step && this.asData(av.pos[0])) {
        return this.namedStep(step, name, n, a, av);
      }
      if (name === 'clone') {
        const o = objsOf(av.pos[0])[0];
        if (o) {
          const c = this.newObj(o.cls, o.info, n, o.args);
          Object.assign(c, {
            steps: o.steps,
            source: o.source,
            hasModel: o.hasModel,
            hasSampler: o.hasSampler,
            task: o.task,
            cat: o.cat,
            dummy: o.dummy,
          });
          return c;
        }
        return UNKNOWN;
      }
      const serializer = /^(pickle|joblib|dill|cloudpickle|torch|keras(\.models)?|tf\.keras\.models)$/.test(module);
      // A model saved (`dump(model, f)`), then loaded back (`load(f)`) in the same function is the same model.
      const saved = this.savedModels.get(this.frame) ?? new Set<ObjV>();
      if (serializer && name === 'dump' && objsOf(av.pos[0]).length) {
        this.savedModels.set(this.frame, saved.add(objsOf(av.pos[0])[0]));
      } else if (serializer && /^load(_model)?$/.test(name) && saved.size === 1) {
        return [...saved][0];
      } else if (name === 'load_model' && /keras|tensorflow|^tf\b/.test(module)) {
        // A trained Keras model read from a file: a model (fine-tuned and scored here), not rows of data.
        return this.newObj(name, { cat: 'model', task: 'unknown' }, n, a);
      }
      if (name === 'compute_class_weight' || name === 'compute_sample_weight') {
        this.facts.imbalance.push({ node: n, what: name });
        return this.scalar();
      }
      if ((name === 'train' || name === 'cv') && /^(xgb|xgboost|lgb|lightgbm|catboost|cb)$/.test(module)) {
        return this.nativeBoostingTrain(name, n, a, av);
      }
      if (name === 'load_data' && /datasets/.test(module)) {
        return this.kerasLoadData(n);
      }
      if (FEATURE_SCORES.test(name)) {
        // Univariate feature scores use the labels of every row they see.
        const x = this.asData(av.pos[0] ?? av.kw.get('X'));
        if (x) {
          return this.statistic(x, n, `${name}()`, a.positional[0] ?? n, true);
        }
      }
      if (RANDOM_GENERATORS.test(name) && /random$|^$/.test(module)) {
        return this.newObj('RandomGenerator', undefined, n, a);
      }
      if (/(^|\.)random$/.test(module) && RANDOM_SAMPLERS.test(name)) {
        return this.freshData(`random:${this.ctxKey(n)}`, 'full');
      }
      const cut = name === 'cut' && /^(pd|pandas)$/.test(module);
      const binsNode = a.positional[1] ?? a.keywords.get('bins');
      const bins = cut ? (av.pos[1] ?? av.kw.get('bins')) : undefined;
      const x = cut ? this.asData(av.pos[0]) : undefined;
      if (x && binsNode?.type === 'integer') {
        // `pd.cut(df['age'], 5)`: equal-width bins between the minimum and maximum of all the rows.
        return this.statistic(x, n, `cut(bins=${this.text(binsNode)})`, a.positional[0], false);
      }
      if (bins?.k === 'list' && bins.items.length > 2 && bins.items.slice(1, -1).every(b => b.k === 'lit')) {
        // Fixed inner edges, only the outer ones from the data (`[0, 1980, 2000, df.year.max()]`): fixed bins.
        return x ? derive(x) : UNKNOWN;
      }
      const isStatModule = STAT_MODULES.test(module) || (module === '' && /^(qcut|zscore)$/.test(name));
      if (
        STAT_FUNCTIONS.has(name) &&
        (isStatModule ||
          /^(scale|minmax_scale|robust_scale|maxabs_scale|quantile_transform|power_transform)$/.test(name))
      ) {
        const x = this.asData(av.pos[0] ?? av.kw.get('a') ?? av.kw.get('x') ?? av.kw.get('X'));
        // A Box-Cox / Yeo-Johnson with a given lambda learns nothing from the rows.
        const fixed = /^(boxcox|yeojohnson)$/.test(name) && (a.keywords.has('lmbda') || a.positional.length > 1);
        if (x && (fixed || isRowwise(a, this.src))) {
          return derive(x, { column: undefined });
        }
        if (x) {
          return this.statistic(
            x,
            n,
            `${name}()`,
            a.positional[0] ?? n,
            !/scale|transform|zscore|qcut|winsorize|trimboth|rankdata|boxcox|yeojohnson/.test(name),
          );
        }
      }
      const axis = kwNode('axis');
      if (name === 'normalize' && axis && this.text(axis).trim() === '0' && av.pos[0]) {
        // `normalize(X, axis=0)` divides each column by its norm over all the rows.
        const x = this.asData(av.pos[0]);
        if (x) {
          return this.statistic(x, n, 'normalize(axis=0)', a.positional[0] ?? n, false);
        }
      }
      if (CONCAT_FUNCTIONS.has(name) && /^(np|numpy|pd|pandas|torch|tf)$/.test(module)) {
        const ds = this.argData(av);
        if (ds.length) {
          const m = mergeData(ds);
          // Both parts of one split put back together (`np.vstack([X_train, X_test])`): fitted on it, fitted on test.
          const parts = [...av.pos, ...av.kw.values()]
            .flatMap(v => (v.k === 'list' || v.k === 'tuple' ? v.items : [v]))
            .map(v => this.asData(v))
            .filter((d): d is DataV => !!d && !d.scalar);
          const t = parts.find(d => d.part === 'test' && d.origin);
          const out = derive(m, { preds: m.preds });
          if (t && parts.some(d => d.part === 'train' && d.origin?.split === t.origin!.split)) {
            this.recombined.set(out, t);
          }
          return out;
        }
        return UNKNOWN;
      }
      if (name === 'make_classification' || name === 'make_imbalance') {
        const w = kwNode('weights');
        if (w && /\b0?\.[0-2]\d*|0?\.9\d*/.test(this.text(w))) {
          this.facts.imbalance.push({ node: w, what: `${name}(weights=${this.text(w)})` });
        }
        if (name === 'make_imbalance') {
          this.facts.imbalance.push({ node: n, what: name });
        }
      }
    }
    if (builtin) {
      return this.callBuiltin(name, a, av);
    }
    if (EVAL_HELPER.test(name) && !/^(np|numpy|pd|pandas|torch|tf|plt|matplotlib\.\w+|sns|seaborn)$/.test(module)) {
      this.helperEvaluation(n, a, av);
    }
    // Generic library call: a transformation of its data arguments (`pd.DataFrame({'a': x})`), or a loader's dataset.
    const args: DataV[] = [];
    const add = (v: V) => {
      if (v.k === 'dict' && name === 'DataFrame') {
        v.items.forEach(add);
        return;
      }
      const d = this.asData(v);
      if (d) {
        args.push(d);
      }
    };
    av.pos.forEach(add);
    av.kw.forEach((v, k) => k !== 'reference' && add(v)); // (LightGBM's `reference=` dataset only lends its bins)
    const ds = args.filter(d => !d.scalar);
    if (
      ds.length &&
      (ROWWISE_FUNCTIONS.test(name) ||
        !LOADER_FUNCTIONS.test(name) ||
        /DMatrix|Dataset|Pool|DataFrame|Series|array|tensor/.test(name))
    ) {
      const m = mergeData(ds);
      // Statistics passed alongside the rows (`np.clip(X, None, np.percentile(X, 99, axis=0))`) reach the result.
      const stats = args.filter(d => d.scalar && !d.mask && d.taints.length).map(d => d.taints);
      // A boosting/torch dataset of one part's features and labels (`lgb.Dataset(X_test, label=y_test)`) is that part.
      const o = ds[0].origin;
      const onePart =
        !m.origin &&
        o &&
        /DMatrix|Dataset|Pool/.test(name) &&
        ds.every(d => d.origin?.split === o.split && d.origin.side === o.side);
      // (Features and labels passed together to a project's own function, `split_train_test(X, y)`, may come back apart.)
      const apart = !KNOWN_LIBRARY.test(module) && ds.some(d => d.column === undefined) && ds.some(d => d.column);
      const src = apart ? [] : sourceColumns(m);
      const frames = apart ? mergeData(ds.filter(d => d.column === undefined)) : undefined;
      return derive(m, {
        origin: m.origin ?? (onePart ? o : undefined),
        // `np.log(df['price'])`: computed from that column.
        srcCols: src.length ? src : undefined,
        preds: m.preds,
        cols: frames
          ? frames.cols
          : ds.length === 1 && name === 'get_dummies' && m.cols
            ? {
                ...m.cols,
                dummies: {
                  columns: stringsOf(av.kw.get('columns')),
                  dropFirst: litValue(av.kw.get('drop_first')) === true,
                },
              }
            : name === 'DataFrame'
              ? frameColumns(m, ds.length, av.kw.get('columns'), n)
              : undefined,
        taints: stats.length ? unionTaints(m.taints, ...stats) : m.taints,
        colValues: name === 'DataFrame' ? namedColumns(av.pos[0] ?? av.kw.get('data')) : undefined,
      });
    }
    if (
      !ds.length &&
      args.length &&
      (/^(Series|DataFrame|Index|array|asarray|tensor|Tensor)$/.test(name) ||
        (!LOADER_FUNCTIONS.test(name) && !/^[A-Z]/.test(name)))
    ) {
      // Computed from statistics only (`pd.Series(mutual_info_classif(X, y))`, `np.linspace(x.min(), x.max(), 10)`).
      return mergeData(args);
    }
    if (LOADER_FUNCTIONS.test(name) || (name === 'imread' && this.loops.length)) {
      const file = a.positional[0] ? stringValue(a.positional[0], this.src) : undefined;
      const oneSample = /^(np|numpy|cv2|librosa|imageio|soundfile|sf|wavfile|scipy\.io\.wavfile)$/.test(module);
      if (file === undefined && this.loops.length && oneSample && /^(load|imread|read)$/.test(name)) {
        // One sample's file per iteration (`np.load(path_of(video_id))`): its statistics describe that sample only.
        return this.scalar();
      }
      const saved = file !== undefined && /^read_/.test(name) ? this.savedFiles.get(file) : undefined;
      if (saved) {
        // Written earlier in this file and read back: the same rows, with what was learned from them.
        return derive(saved, { cols: ALL_COLUMNS(n) });
      }
      const part =
        file !== undefined ? (partFromName(file.replace(/^.*[\\/]/, '').replace(/\.\w+$/, '')) ?? 'full') : 'full';
      const d = this.freshData(`load:${this.ctxKey(n)}`, part);
      if (part === 'test' || part === 'val') {
        this.facts.heldOut.push(d);
      }
      if (name === 'DataFrame' && !av.pos.length && !av.kw.size) {
        // `data = pd.DataFrame()`, filled column by column: no columns yet.
        return derive(d, { cols: NO_COLUMNS(n) });
      }
      return /^read_/.test(name) ? derive(d, { cols: ALL_COLUMNS(n) }) : d;
    }
    if (/^[A-Z]/.test(name)) {
      // An unknown class wrapping a model (yellowbrick's `ROCAUC(clf)`): its fit and score are the model's.
      const wrapped = av.pos[0] ?? av.kw.get('estimator') ?? av.kw.get('model');
      if (wrapped?.k === 'obj' && (wrapped.cat === 'model' || wrapped.cat === 'search' || wrapped.hasModel)) {
        return wrapped;
      }
      return this.newObj(name, undefined, n, a);
    }
    return ds.length ? mergeData(ds) : UNKNOWN;
  }

  /** Native boosting training (`xgb.train`, `lgb.train`) and cross-validation (`xgb.cv`, `lgb.cv`). */
  protected nativeBoostingTrain(name: string, n: PyNode, a: CallArgs, av: Args): V {
    const fn = field(n, 'function');
    const obj = this.newObj(fn ? shortText(fn, this.src) : name, { cat: 'model', task: 'unknown' }, n, a);
    const dv = av.pos[1] ?? av.kw.get('dtrain') ?? av.kw.get('train_set');
    const x = this.dataOrEmpty(dv);
    const site = this.site(n, true);
    obj.fits.push({ node: n, site, part: x.part, roots: x.roots, method: name, dataText: this.short(a.positional[1]) });
    if (x.part === 'test' && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({
        kind: 'fit',
        site,
        call: n,
        obj,
        method: name,
        dataText: this.short(a.positional[1]),
        data: x,
        fittedOnTrainBefore: false,
        argNodes: a.positional,
      });
    }
    // Native cross-validation (`xgb.cv(params, dtrain, nfold=5)`) splits its data into folds like cross_val_score.
    const viaCV = name === 'cv';
    for (const t of x.taints) {
      if (viaCV && t.kind === 'oversample') {
        if (this.once(`overcv:${t.id}`)) {
          this.facts.overLeaks.push({ taint: t, use: n, useKind: 'cv', dataText: this.short(a.positional[1]) });
        }
        continue;
      }
      if (t.kind !== 'oversample' && (viaCV ? x.part !== 'test' : leaksInto(t, x)) && this.once(`pre:${t.id}`)) {
        this.facts.preLeaks.push({
          taint: t,
          use: n,
          useKind: viaCV && x.part !== 'train' ? 'cv' : 'fit',
          split: x.origin?.split ?? t.split,
          dataText: this.short(a.positional[1]),
        });
      }
    }
    this.facts.modelFits.push({ site, call: n, obj, xNode: a.positional[1], x });
    if (name === 'train') {
      this.noteFoldLeaks(x);
      // `valid_sets=[dtest]` / `evals=[(dtest, 'test')]` with early stopping: the test part steers training.
      this.checkEvalSet(a, n, obj);
    }
    if (name === 'cv') {
      this.facts.evaluated.push(n);
      return this.scalar();
    }
    return obj;
  }

  /** Trains a gensim embedding on its corpus argument (constructor, `build_vocab` or `train`), when there is one. */
  protected fitEmbedding(obj: ObjV, n: PyNode, a: CallArgs, av: Args): void {
    const keys = ['sentences', 'documents', 'corpus_iterable'];
    const k = keys.find(x => a.keywords.has(x));
    const dNode = k ? a.keywords.get(k) : a.positional[0];
    const dv = k ? av.kw.get(k) : av.pos[0];
    if (dNode && dv && this.asData(dv)) {
      this.doFit(obj, 'fit', n, { ...a, positional: [dNode], keywords: new Map() }, { pos: [dv], kw: new Map() });
    }
  }

  /** A statsmodels model, fitted on its constructor's data: `sm.OLS(endog, exog)`, `smf.ols('y ~ a', data=df)`. */
  private statsmodelsModel(name: string, n: PyNode, a: CallArgs, av: Args): V {
    const formula = /^[a-z]/.test(name);
    const task = /logit|probit/i.test(name) ? 'classification' : /^(glm|GLM)$/.test(name) ? 'unknown' : 'regression';
    const obj = this.newObj(name, { cat: 'model', task }, n, a);
    const xNode = formula ? (a.keywords.get('data') ?? a.positional[1]) : (a.keywords.get('exog') ?? a.positional[1]);
    const yNode = formula ? undefined : (a.keywords.get('endog') ?? a.positional[0]);
    const x = formula ? (av.kw.get('data') ?? av.pos[1]) : (av.kw.get('exog') ?? av.pos[1]);
    const xd = this.asData(x);
    if (xNode && xd) {
      const y = formula ? undefined : (av.kw.get('endog') ?? av.pos[0]);
      obj.ctorData = { x: formula ? derive(xd, { cols: undefined, column: undefined }) : xd, y, xNode, yNode };
    }
    return obj;
  }

  // ----- constructors

  protected construct(cls: string, info: ClassInfo, n: PyNode, a: CallArgs, av: Args): V {
    const obj = this.newObj(cls, info, n, a);
    // An imputer with a constant fill value learns nothing from the rows.
    if (cls === 'SimpleImputer' && litValue(av.kw.get('strategy')) === 'constant') {
      obj.source = false;
    }
    // An encoder that groups rare categories learns their frequencies (`OneHotEncoder(min_frequency=50)`).
    if (
      (cls === 'OneHotEncoder' || cls === 'OrdinalEncoder') &&
      ['min_frequency', 'max_categories'].some(k => av.kw.has(k) && litValue(av.kw.get(k)) !== null)
    ) {
      obj.source = true;
    }
    // An ImageDataGenerator's fit learns statistics only for featurewise centring/normalisation or ZCA whitening.
    if (cls === 'ImageDataGenerator' && !/(featurewise_\w+|zca_whitening)\s*=\s*True/.test(this.text(n))) {
      obj.source = false;
    }
    if (info.cat === 'splitter') {
      if (this.once(`splitter:${n.id}`)) {
        this.facts.splitters.push({ node: n, cls, info, args: a });
      }
      return obj;
    }
    // Components of pipelines and searches.
    const comps: ObjV[] = [];
    const collect = (v: V | undefined, depth = 0) => {
      if (!v || depth > 4) {
        return;
      }
      if (v.k === 'obj') {
        comps.push(v);
        return;
      }
      if (v.k === 'list' || v.k === 'tuple' || v.k === 'union') {
        for (const x of v.k === 'union' ? v.alts : v.items) {
          collect(x, depth + 1);
        }
      }
    };
    if (
      info.cat === 'pipeline' ||
      info.cat === 'search' ||
      /Voting|Stacking|Bagging|OneVs|Calibrated|AdaBoost|SelectFromModel|RFE|^Sequential$/.test(cls)
    ) {
      for (const v of av.pos) {
        collect(v);
      }
      for (const [k, v] of av.kw) {
        if (/estimator|steps|transformers|base_estimator|estimators/.test(k)) {
          collect(v);
        }
      }
    }
    obj.steps = comps;
    const est = comps[0];
    const lastFit = est?.fits[est.fits.length - 1];
    if (cls === 'SelectFromModel' && litValue(av.kw.get('prefit')) === true && lastFit?.roots.length) {
      // `SelectFromModel(lasso, prefit=True)`: the selection is the estimator's fit, on the rows it was fitted on.
      const fitData: DataV = { k: 'data', part: lastFit.part, roots: lastFit.roots, taints: [] };
      if (mayBeSplitLater(fitData)) {
        const what = `${est.cls}.${lastFit.method} (the features SelectFromModel keeps)`;
        obj.taints = [this.taint('fit', lastFit.node, what, lastFit.dataText, fitData)];
      }
    }
    const splats =
      a.splat && a.list
        ? a.list.children.filter(c => /splat/.test(c.type) && c.children[0]).map(c => this.evalExpr(c.children[0]))
        : [];
    obj.argTaints = unionTaints(...[...av.pos, ...av.kw.values(), ...splats].map(taintsOf)).filter(t => t.search);
    if (info.cat === 'pipeline' || info.cat === 'search') {
      obj.hasModel = comps.some(c => c.hasModel || c.cat === 'model' || c.cat === 'search');
      obj.source = comps.some(c => c.source);
      obj.hasSampler = comps.some(c => c.cat === 'sampler' || c.hasSampler);
      const model = [...comps].reverse().find(c => c.hasModel || c.cat === 'model' || c.cat === 'search');
      obj.task = model?.task ?? 'unknown';
      obj.dummy = !!model?.dummy;
      if (info.cat === 'search') {
        obj.hasModel = true;
      }
    }
    if (info.cat === 'model' && /Classifier$|SVC$|LogisticRegression/.test(cls)) {
      obj.task = 'classification';
    }
    // Class weights are evidence of imbalance.
    const cw =
      a.keywords.get('class_weight') ??
      a.keywords.get('scale_pos_weight') ??
      a.keywords.get('is_unbalance') ??
      a.keywords.get('auto_class_weights');
    if (cw && !/^None$|^False$/.test(this.text(cw))) {
      this.facts.imbalance.push({
        node: cw,
        what: `${this.text(cw.parent?.children[0] ?? cw)}=${shortText(cw, this.src, 30)}`,
      });
    }
    if (info.cat === 'sampler') {
      this.facts.imbalance.push({ node: n, what: cls });
    }
    if (info.cat === 'search') {
      const scoring = a.keywords.get('scoring');
      if (scoring) {
        this.noteScoring(scoring, av.kw.get('scoring'));
      }
    }
    return obj;
  }

  protected noteScoring(node: PyNode, v: V | undefined): void {
    const lit = litValue(v);
    const s = stringValue(node, this.src) ?? (typeof lit === 'string' ? lit : undefined);
    if (s !== undefined) {
      if (ACCURACY_SCORING.has(s)) {
        this.facts.accuracy.push({ node, kind: 'scoring', nameNode: node });
      } else {
        this.facts.otherMetric = true;
      }
      return;
    }
    // A list/dict of scorers or a make_scorer(...) call: other metrics are used.
    const texts = this.text(node);
    if (
      /accuracy/.test(texts) &&
      !/balanced_accuracy/.test(texts) &&
      !/(f1|precision|recall|roc_auc|average_precision|matthews|balanced|kappa|log_loss)/.test(texts)
    ) {
      this.facts.accuracy.push({ node, kind: 'scoring', nameNode: node });
    } else if (v) {
      this.facts.otherMetric = true;
    }
  }

  // ----- splitting

  /** `torch.utils.data.random_split(dataset, [n_train, n_test])` (or three lengths: train, validation, test). */
  private randomSplit(n: PyNode, a: CallArgs, av: Args): V {
    const lengths = av.pos[1] ?? av.kw.get('lengths');
    const k = lengths && (lengths.k === 'list' || lengths.k === 'tuple') ? lengths.items.length : 2;
    const args: CallArgs = {
      ...a,
      positional: a.positional.slice(0, 1),
      keywords: new Map([['random_state', a.keywords.get('generator')!]].filter(([, v]) => v) as [string, PyNode][]),
    };
    const out = this.doSplit(n, args, { pos: [av.pos[0]], kw: new Map() });
    const site = this.splitByNode.get(n);
    if (site) {
      site.torch = true;
    }
    if (out.k !== 'list' || out.items.length < 2) {
      return out;
    }
    const [train, test] = out.items as DataV[];
    return { k: 'list', items: k >= 3 ? [train, derive(test, { part: 'val' }), test] : [train, test] };
  }

  protected doSplit(n: PyNode, a: CallArgs, av: Args): V {
    let site = this.splitByNode.get(n);
    if (site && this.rec && !this.rec.splits.has(n)) {
      this.rec.external = true;
    }
    const arrays = av.pos.map(
      (v, i) => this.asData(v) ?? this.freshData(a.positional[i] ? `arg:${a.positional[i].id}` : `argi:${i}`),
    );
    if (!site) {
      const shuffle = a.keywords.get('shuffle');
      const flat = this.text(n).replace(/\s+/g, '');
      site = {
        id: this.nextId++,
        node: n,
        args: a,
        arrayNodes: a.positional,
        arrays,
        shuffle: !(shuffle && /^(False|0)$/.test(this.text(shuffle))),
        stratify: a.keywords.get('stratify'),
        randomState: a.keywords.get('random_state'),
        classTargets: new Map(),
        regressionTargets: new Map(),
        targetNames: [],
        frames: [...this.callStack],
        sameRowsKey: /random_state=\d+/.test(flat) && !this.callStack.length ? flat : undefined,
      };
      this.splitByNode.set(n, site);
      this.rec?.splits.add(n);
      this.facts.splits.push(site);
    }
    const s = site;
    const items: V[] = [];
    arrays.forEach((d, i) => {
      for (const t of d.taints) {
        if (t.kind === 'oversample') {
          // Rows oversampled before this split: all rows, or a training file split again (`train.csv`).
          const before = t.part === 'full' || t.part === 'unknown' || (t.part === 'train' && !d.origin);
          if (before && this.once(`over:${t.id}`)) {
            this.facts.overLeaks.push({
              taint: t,
              use: n,
              useKind: 'split',
              split: s,
              dataText: this.short(a.positional[i]),
            });
          }
        } else {
          t.split ??= s;
          t.splits.add(s);
        }
      }
      const trainPart: Part =
        d.part === 'train' ? 'train' : d.part === 'test' ? 'test' : d.part === 'val' ? 'val' : 'train';
      const testPart: Part =
        d.part === 'train' ? 'val' : d.part === 'test' ? 'test' : d.part === 'val' ? 'val' : 'test';
      const resplit = d.part === 'train' || d.part === 'test' || d.part === 'val';
      for (const [part, side] of [
        [trainPart, 'train'],
        [testPart, 'test'],
      ] as const) {
        items.push(derive(d, { part, origin: { split: s, index: i, side, resplit }, column: d.column, cols: d.cols }));
      }
    });
    return { k: 'list', items };
  }
}
