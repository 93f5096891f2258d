/**
 * Data-flow analysis of one Python file (or notebook, cells joined) over the `PyNode` tree: the ML-library
 * semantics (library calls, constructors, splits, data-frame methods, columns; estimators in `estimators.ts`) on top
 * of the generic Python interpreter (`interpreter.ts` statements and control flow, `evaluator.ts` expressions and
 * calls).
 *
 * The interpreter walks the statements in order and gives every expression an abstract value (see
 * `values.ts`): data (which part of the dataset it holds — full, train, test, validation — the datasets it derives
 * from, and the "taints" it carries: dataset-wide statistics, transformer fits and oversampling that happened on
 * the full data), estimator objects (what they are, what they were fitted on), tuples/lists/dicts, library
 * references and user functions. It follows assignments, positional tuple unpacking, slicing/indexing,
 * pandas/numpy method chains, concatenation, both branches of `if`, loops (twice, so loop-carried values are seen)
 * and calls to functions defined in the same file (inlined with their arguments, up to a depth). It records facts;
 * `rules.ts` turns them into findings.
 */
import { ALL_COLUMNS, addColumn, droppedNames, dropColumns, selectColumns, sourceColumns, stringsOf } from './columns';
import {
  ACCURACY_SCORING,
  CLASSIFICATION_METRICS,
  CONCAT_FUNCTIONS,
  CV_FUNCTIONS,
  ClassInfo,
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
  STAT_METHODS,
  STAT_MODULES,
  Task,
  classInfo,
} from './knowledge';
import { Estimators } from './estimators';
import type { Args } from './interpreter';
import type { PyNode } from './parser';
import { CallArgs, SourceText, field, fields, shortText, stringValue } from './syntax';
import {
  DataV,
  Facts,
  ObjV,
  Part,
  RefV,
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

export * from './values';

// ---------------------------------------------------------------------------------------------------------------
// ML semantics

const KNOWN_MODULES = new Set([
  'np',
  'numpy',
  'pd',
  'pandas',
  'plt',
  'sns',
  'tf',
  'tensorflow',
  'torch',
  'keras',
  'sklearn',
  'imblearn',
  'scipy',
  'stats',
  'xgb',
  'xgboost',
  'lgb',
  'lightgbm',
  'catboost',
  'cb',
  'math',
  'os',
  'sys',
  'random',
  'mlsight',
  'metrics',
  'preprocessing',
  'model_selection',
  'datasets',
  'nn',
  'F',
  'optim',
  'sm',
  'smf',
  'json',
  'pickle',
  'joblib',
  're',
  'time',
  'datetime',
  'collections',
  'itertools',
  'functools',
  'warnings',
  'glob',
  'pathlib',
  'shutil',
  'tqdm',
  'wandb',
  'mlflow',
]);
const KNOWN_FUNCTIONS = new Set([
  ...SPLIT_FUNCTIONS,
  ...CV_FUNCTIONS,
  ...CLASSIFICATION_METRICS,
  ...REGRESSION_METRICS,
  ...PIPELINE_FUNCTIONS,
  'resample',
  'clone',
  'compute_class_weight',
  'compute_sample_weight',
  'shuffle',
  'zscore',
  'qcut',
  'cut',
  'scale',
  'minmax_scale',
  'robust_scale',
  'maxabs_scale',
  'quantile_transform',
  'power_transform',
  'normalize',
  'get_dummies',
  'read_csv',
  'read_excel',
  'read_parquet',
  'read_json',
  'read_table',
  'read_sql',
  'read_feather',
  'read_pickle',
  'make_classification',
  'make_regression',
  'make_blobs',
  'make_moons',
  'make_circles',
  'to_categorical',
  'pad_sequences',
]);

/** A function passed to `groupby(…).transform/apply` that computes lags, differences or trailing windows. */
const WINDOW_FUNCTION =
  /^['"](shift|diff|pct_change|cumsum|cumprod|cummax|cummin|cumcount)['"]$|\.(shift|diff|pct_change|rolling|expanding|ewm|cumsum|cumprod|cummax|cummin)\(/;
/** Data-frame methods that keep the columns (rows may change). */
const COLUMN_PRESERVING =
  /^(copy|fillna|astype|dropna|drop_duplicates|reset_index|sort_values|sort_index|head|tail|sample|replace|clip|round|abs|to_numpy|interpolate|ffill|bfill|infer_objects|convert_dtypes|query|where|mask|reindex|dropna)$/;
/** sklearn's univariate feature-scoring functions (they read the target of every row). */
const FEATURE_SCORES = /^(f_classif|f_regression|r_regression|chi2|mutual_info_classif|mutual_info_regression)$/;
/** numpy random generators, and the draws that create new data from them (or from `np.random`). */
const RANDOM_GENERATORS = /^(RandomState|default_rng|Generator)$/;
/** A loop body that takes optimiser steps. */
const TRAINING_STEP = /\.backward\(|\boptim\w*\.step\(|\bopt\w*\.step\(/;
const APPLY_METHODS = /^(apply|transform|map|applymap|agg|aggregate|pipe)$/;

/** `axis=1` / `axis='columns'`: a statistic of each row, not of the dataset. */
function isRowwise(a: CallArgs, src: SourceText): boolean {
  const axis = a.keywords.get('axis');
  return !!axis && /^(1|['"]columns['"])$/.test(src.slice(axis));
}

export class Analyzer extends Estimators {
  protected readonly splitByNode = new Map<PyNode, SplitSite>();

  constructor(src: SourceText, statementBudget = 200_000) {
    super(src, statementBudget);
  }

  /** Runs the analysis of a module tree. */
  run(root: PyNode): Facts {
    this.runModule(root);
    this.facts.truncated = this.budget <= 0;
    return this.facts;
  }

  /**
   * A summary of what a module-level variable holds after the analysis (for tests and debugging): the kind of
   * value, the part of the dataset, the taints it carries, the class of an estimator and what it was fitted on.
   */
  describe(name: string): ValueSummary | undefined {
    const v = this.global.locals.get(name);
    return v ? summarize(v) : undefined;
  }

  // ----- names

  protected unboundName(name: string): V {
    if (KNOWN_MODULES.has(name) || classInfo(name) || KNOWN_FUNCTIONS.has(name)) {
      return { k: 'ref', qn: name };
    }
    if (/^[A-Z][a-z]+([A-Z0-9][a-z0-9]*)*$/.test(name) && !/^[XY]/.test(name)) {
      return { k: 'ref', qn: name };
    }
    // A dataset defined elsewhere (another cell, a star import).
    return this.freshData(`name:${name}`);
  }

  protected refineByName(name: string, v: V): V {
    if (v.k !== 'data' || v.scalar || v.mask || v.index || (v.part !== 'full' && v.part !== 'unknown')) {
      return v;
    }
    const p = partFromName(name);
    return p ? derive(v, { part: p, column: v.column, preds: v.preds, cols: v.cols }) : v;
  }

  /** Remembers the names bound to a split's outputs (for messages and fixes). */
  protected noteSplitTargets(targets: PyNode[], items: V[] | undefined): void {
    if (!items) {
      return;
    }
    targets.forEach((t, i) => {
      const item = items[i];
      if (t.type === 'identifier' && item?.k === 'data' && item.origin) {
        const o = item.origin;
        o.split.targetNames[o.index * 2 + (o.side === 'test' ? 1 : 0)] = this.text(t);
      }
    });
  }

  // ----- hooks of the evaluator: what data values and estimator objects do in expressions

  protected compare(n: PyNode, vs: V[]): V {
    const ds = vs.map(v => this.asData(v)).filter((d): d is DataV => !!d);
    if (!ds.length) {
      return { k: 'lit', value: undefined };
    }
    // `pred != y_test` (an error rate by hand) evaluates the models behind the predictions on the test part.
    const preds = ds.filter(d => d.preds?.length);
    const ti = vs.findIndex(v => v.k === 'data' && !v.preds?.length && v.part === 'test' && !v.scalar);
    if (preds.length && ti >= 0) {
      const models = [...new Set(preds.flatMap(d => d.preds!))];
      this.facts.evaluated.push(n);
      this.facts.evaluations.push({
        site: this.site(n),
        models,
        data: vs[ti] as DataV,
        dataText: this.short(n.children[ti]),
        loops: this.loops.map(l => l.node),
        path: [...this.branchPath],
      });
    }
    this.noteScorings(vs, n, undefined);
    const m = mergeData(ds);
    const srcCols = ds.some(d => d.column !== undefined || d.srcCols)
      ? [...new Set(ds.flatMap(sourceColumns))]
      : undefined;
    return derive(m, { mask: true, srcCols });
  }

  // ----- columns (for target-in-features)

  protected setItem(frame: DataV, keyNodes: PyNode[], keys: V[], v: V, target: PyNode): DataV {
    if (!frame.cols || keyNodes.length !== 1) {
      return keyNodes.length === 1 ? frame : derive(frame, { cols: undefined });
    }
    const names =
      stringsOf(keys[0]) ??
      (stringValue(keyNodes[0], this.src) !== undefined ? [stringValue(keyNodes[0], this.src)!] : undefined);
    if (!names) {
      return derive(frame, { cols: undefined });
    }
    const d = this.asData(v);
    const from = d && !d.preds && d.roots.some(r => frame.roots.includes(r)) ? sourceColumns(d) : [];
    let cols = frame.cols;
    for (const name of names) {
      cols = addColumn(cols, name, names.length === 1 ? from : [], target);
    }
    return derive(frame, { cols, column: frame.column });
  }

  protected deleteTarget(target: PyNode): void {
    if (target.type !== 'subscript') {
      return;
    }
    const base = field(target, 'value');
    const key = fields(target, 'subscript')[0];
    if (!base || !key) {
      return;
    }
    const cur = this.evalExpr(base);
    const names = stringsOf(this.evalExpr(key));
    if (cur.k === 'data' && cur.cols) {
      this.rebind(
        base,
        derive(cur, { cols: names ? dropColumns(cur.cols, names, target) : undefined, column: cur.column }),
      );
    }
  }

  protected dataAttribute(base: DataV, attr: string): V {
    if (/^(shape|size|ndim|dtypes?|name|nbytes)$/.test(attr)) {
      return { k: 'lit', value: undefined };
    }
    if (attr === 'columns' || attr === 'index' || attr === 'classes_') {
      return derive(base, { scalar: true });
    }
    if (attr === 'target' || attr === 'target_names') {
      return derive(base, { column: 'target' });
    }
    const keep = /^(iloc|loc|at|iat|str|dt|cat|values|array)$/.test(attr);
    return derive(base, {
      column: keep ? base.column : undefined,
      preds: base.preds,
      mask: base.mask,
      index: base.index,
      groupby: base.groupby,
      cols: keep ? base.cols : undefined,
    });
  }

  protected objAttribute(base: ObjV, attr: string): V {
    if (/^(best_estimator_|named_steps|steps|estimator|estimators_|best_estimator|model|module)$/.test(attr)) {
      return base;
    }
    const last = base.fits[base.fits.length - 1];
    if (/^(labels_|embedding_)$/.test(attr) && last) {
      return { k: 'data', part: last.part, roots: last.roots, taints: base.taints };
    }
    return this.scalar(base.taints);
  }

  protected dataSubscript(base: DataV, keyNodes: PyNode[], keys: V[]): V {
    let out = derive(base, { preds: base.preds, mask: base.mask, groupby: base.groupby, cols: base.cols });
    const node = keyNodes[0]?.parent ?? keyNodes[0];
    keyNodes.forEach((kn, i) => {
      const kv = keys[i];
      const lit = litValue(kv);
      const s = stringValue(kn, this.src) ?? (kn.type === 'identifier' && typeof lit === 'string' ? lit : undefined);
      if (s !== undefined) {
        out = derive(out, { column: s, preds: out.preds, groupby: out.groupby, srcCols: undefined });
        return;
      }
      const names = kn.type === 'slice' ? undefined : stringsOf(kv);
      if (names && node) {
        out = derive(out, { cols: selectColumns(base.cols, names, node), preds: out.preds, groupby: out.groupby });
        return;
      }
      // `frame.loc[rows, cols]`: a column key the code does not spell out leaves the columns unknown.
      if (i > 0 && !(kn.type === 'slice' && this.text(kn).trim() === ':')) {
        out = derive(out, { cols: undefined, column: out.column, preds: out.preds });
      }
      if (kn.type === 'slice') {
        return;
      }
      const kd = this.asData(kv);
      if (kd && kd.mask && kd.taints.length && base.scalar) {
        out = derive(out, { taints: unionTaints(out.taints, kd.taints), cols: out.cols });
      }
      if (!kd || kd.mask) {
        return;
      }
      if (kd.index || ((kd.part === 'train' || kd.part === 'test' || kd.part === 'val') && !kd.scalar)) {
        out = derive(out, {
          part: kd.part,
          origin: kd.origin ?? out.origin,
          column: out.column,
          preds: out.preds,
          cols: out.cols,
        });
        return;
      }
      // Any other key may select columns the code does not spell out.
      out = derive(out, { cols: undefined, column: out.column, preds: out.preds });
      if (kd.taints.length) {
        out = derive(out, {
          taints: unionTaints(out.taints, kd.taints),
          column: out.column,
          preds: out.preds,
          cols: out.cols,
        });
      }
    });
    return out;
  }

  /** `np.c_[a, b]` / `np.r_[a, b]`. */
  protected refSubscript(_base: RefV, keys: V[]): V {
    const ds = keys.map(k => this.asData(k)).filter((d): d is DataV => !!d);
    return ds.length ? mergeData(ds) : UNKNOWN;
  }

  protected objSubscript(base: ObjV): V {
    return base.cat === 'pipeline' ? base : this.scalar(base.taints);
  }

  protected receiver(objNode: PyNode, recv: V, method: string): V {
    if (
      recv.k !== 'obj' &&
      recv.k !== 'union' &&
      recv.k !== 'ref' &&
      (FIT_METHODS.has(method) ||
        PREDICT_METHODS.has(method) ||
        (SCORE_METHODS.has(method) && recv.k !== 'data') ||
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

  protected materialize(objNode: PyNode, cur: V): ObjV {
    const key = objNode.type === 'identifier' ? this.text(objNode) : this.dottedKey(objNode);
    const obj = this.newObj('?', undefined, objNode, undefined);
    obj.taints = taintsOf(cur);
    if (key) {
      if (key.includes('.')) {
        this.dottedBound = true;
      }
      this.assign(key, obj);
    }
    return obj;
  }

  protected newObj(cls: string, info: ClassInfo | undefined, node: PyNode, args: CallArgs | undefined): ObjV {
    const loops = this.loops.map(l => l.node);
    let varies = false;
    if (args && this.loops.length) {
      const names = new Set(this.loops.flatMap(l => [...l.targets]));
      const texts = [
        ...args.positional,
        ...[...args.keywords].filter(([k]) => !/random_state|seed/.test(k)).map(([, v]) => v),
      ].map(x => this.text(x));
      varies = texts.some(t => [...names].some(nm => new RegExp(`\\b${nm.replace(/[^\w]/g, '')}\\b`).test(t)));
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

  protected callLibrary(qn: string, n: PyNode, a: CallArgs, av: Args): V {
    const dot = qn.lastIndexOf('.');
    const name = qn.slice(dot + 1);
    const module = dot >= 0 ? qn.slice(0, dot) : '';
    const builtin = module === 'builtins';
    const kwNode = (k: string) => a.keywords.get(k);
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
      if (name === 'compute_class_weight' || name === 'compute_sample_weight') {
        this.facts.imbalance.push({ node: n, what: name });
        return this.scalar();
      }
      if ((name === 'train' || name === 'cv') && /^(xgb|xgboost|lgb|lightgbm|catboost|cb)$/.test(module)) {
        return this.nativeBoostingTrain(name, n, a, av);
      }
      if (name === 'load_data' && /datasets/.test(module)) {
        const root = this.rootFor(`load:${this.ctxKey(n)}`);
        const d = (part: Part): DataV => ({ k: 'data', part, roots: [root], taints: [] });
        return {
          k: 'tuple',
          items: [
            { k: 'tuple', items: [d('train'), d('train')] },
            { k: 'tuple', items: [d('test'), d('test')] },
          ],
        };
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
      const isStatModule = STAT_MODULES.test(module) || (module === '' && /^(qcut|zscore)$/.test(name));
      if (
        STAT_FUNCTIONS.has(name) &&
        (isStatModule ||
          /^(scale|minmax_scale|robust_scale|maxabs_scale|quantile_transform|power_transform)$/.test(name))
      ) {
        const x = this.asData(av.pos[0] ?? av.kw.get('a') ?? av.kw.get('x') ?? av.kw.get('X'));
        if (x && isRowwise(a, this.src)) {
          return derive(x, { column: undefined });
        }
        if (x) {
          return this.statistic(x, n, `${name}()`, a.positional[0] ?? n, !/scale|transform|zscore|qcut/.test(name));
        }
      }
      if (CONCAT_FUNCTIONS.has(name) && /^(np|numpy|pd|pandas|torch|tf)$/.test(module)) {
        const ds = [...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((d): d is DataV => !!d);
        if (ds.length) {
          const m = mergeData(ds);
          return derive(m, { preds: m.preds });
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
    // Generic library call: a transformation of its data arguments, or a new dataset from a loader.
    const ds = [...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((d): d is DataV => !!d && !d.scalar);
    if (
      ds.length &&
      (ROWWISE_FUNCTIONS.test(name) ||
        !LOADER_FUNCTIONS.test(name) ||
        /DMatrix|Dataset|Pool|DataFrame|Series|array|tensor/.test(name))
    ) {
      const m = mergeData(ds);
      return derive(m, { preds: m.preds, cols: ds.length === 1 && name === 'get_dummies' ? m.cols : undefined });
    }
    if (LOADER_FUNCTIONS.test(name)) {
      const file = a.positional[0] ? stringValue(a.positional[0], this.src) : undefined;
      const part =
        file !== undefined ? (partFromName(file.replace(/^.*[\\/]/, '').replace(/\.\w+$/, '')) ?? 'full') : 'full';
      const d = this.freshData(`load:${this.ctxKey(n)}`, part);
      return /^read_/.test(name) ? derive(d, { cols: ALL_COLUMNS(n) }) : d;
    }
    if (/^[A-Z]/.test(name)) {
      return this.newObj(name, undefined, n, a);
    }
    return ds.length ? mergeData(ds) : UNKNOWN;
  }

  // ----- constructors

  protected construct(cls: string, info: ClassInfo, n: PyNode, a: CallArgs, av: Args): V {
    const obj = this.newObj(cls, info, n, a);
    // An imputer with a constant fill value learns nothing from the rows.
    if (cls === 'SimpleImputer' && litValue(av.kw.get('strategy')) === 'constant') {
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
      /Voting|Stacking|Bagging|OneVs|Calibrated|AdaBoost|SelectFromModel|RFE/.test(cls)
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

  /** Arithmetic between predictions and the test part (`np.mean((y_test - pred) ** 2)`) evaluates the models. */
  protected override combine(l: V, r: V, n?: PyNode): V {
    const out = super.combine(l, r);
    const ld = this.asData(l);
    const rd = this.asData(r);
    if (n && ld && rd) {
      const [p, t] = ld.preds?.length ? [ld, rd] : [rd, ld];
      if (p.preds?.length && !t.preds?.length && t.part === 'test' && !t.scalar) {
        this.facts.evaluations.push({
          site: this.site(n),
          models: [...new Set(p.preds)],
          data: t,
          dataText: this.short(n),
          loops: this.loops.map(x => x.node),
          path: [...this.branchPath],
        });
      }
    }
    return out;
  }

  /** A loop whose body takes optimiser steps (`loss.backward()`, `optimizer.step()`) trains on what it iterates. */
  protected forLoop(n: PyNode, iter: V): void {
    const body = field(n, 'body');
    const d = this.asData(iter);
    if (!body || !d || d.scalar || !TRAINING_STEP.test(this.text(body))) {
      return;
    }
    const right = field(n, 'right');
    const dataText = this.short(right);
    const site = this.site(n);
    if (d.part === 'test' && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({
        kind: 'fit',
        site,
        call: n,
        method: 'training loop',
        dataText,
        data: d,
        fittedOnTrainBefore: false,
        argNodes: [],
      });
    }
    for (const t of d.taints) {
      if (t.kind !== 'oversample' && leaksInto(t, d) && this.once(`pre:${t.id}`)) {
        this.facts.preLeaks.push({ taint: t, use: n, useKind: 'fit', split: d.origin?.split ?? t.split, dataText });
      }
    }
  }

  protected doSplit(n: PyNode, a: CallArgs, av: Args): V {
    let site = this.splitByNode.get(n);
    const arrays = av.pos.map((v, i) => this.asData(v) ?? this.freshData(`arg:${a.positional[i]?.id ?? i}`));
    if (!site) {
      const shuffle = a.keywords.get('shuffle');
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
      };
      this.splitByNode.set(n, site);
      this.facts.splits.push(site);
    }
    const s = site;
    const items: V[] = [];
    arrays.forEach((d, i) => {
      for (const t of d.taints) {
        if (t.kind === 'oversample') {
          if ((t.part === 'full' || t.part === 'unknown') && this.once(`over:${t.id}`)) {
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
      items.push(
        derive(d, { part: trainPart, origin: { split: s, index: i, side: 'train' }, column: d.column, cols: d.cols }),
      );
      items.push(
        derive(d, { part: testPart, origin: { split: s, index: i, side: 'test' }, column: d.column, cols: d.cols }),
      );
    });
    return { k: 'list', items };
  }

  /** Notes that a value (a target) is used as a classification or regression target. */
  protected noteTarget(v: V | undefined, task: Task, evidence: PyNode): void {
    if (task !== 'classification' && task !== 'regression') {
      return;
    }
    const d = this.asData(v);
    if (!d?.origin) {
      return;
    }
    const map = task === 'classification' ? d.origin.split.classTargets : d.origin.split.regressionTargets;
    let cols = map.get(d.origin.index);
    if (!cols) {
      cols = new Map();
      map.set(d.origin.index, cols);
    }
    const col = d.column ?? '';
    if (!cols.has(col)) {
      cols.set(col, this.site(evidence));
    }
  }

  // ----- data methods

  protected statistic(d: DataV, n: PyNode, what: string, dataNode: PyNode, isScalar: boolean): DataV {
    let taints = d.taints;
    if (mayBeSplitLater(d)) {
      taints = unionTaints(d.taints, [this.taint('stat', n, what, this.short(dataNode), d)]);
    }
    return isScalar ? { k: 'data', part: d.part, roots: d.roots, taints, scalar: true } : derive(d, { taints });
  }

  protected dataMethod(d: DataV, method: string, n: PyNode, a: CallArgs, av: Args, recvNode: PyNode): V {
    const argTaints = unionTaints(
      ...[...av.pos, ...av.kw.values()].map(v => {
        const x = this.asData(v);
        return x && !x.mask ? x.taints : [];
      }),
    );
    const inplace = a.keywords.get('inplace');
    const isInplace = !!inplace && this.text(inplace) === 'True';
    if (method === 'value_counts') {
      this.facts.valueCounts.push(n);
    }
    if (d.window) {
      return derive(d, { taints: argTaints.length ? unionTaints(d.taints, argTaints) : d.taints });
    }
    const fnArg = a.positional[0] ?? a.keywords.get('func');
    if (
      d.groupby &&
      (method === 'transform' || method === 'apply') &&
      fnArg &&
      WINDOW_FUNCTION.test(this.text(fnArg))
    ) {
      // Per-series lags, differences, cumulative and trailing-window features: each row sees only earlier rows.
      return derive(d, { groupby: undefined, taints: d.taints });
    }
    if (d.groupby && (STAT_METHODS.has(method) || method === 'transform' || method === 'apply')) {
      return this.statistic(d, n, `groupby(…).${method}()`, recvNode, method !== 'transform');
    }
    if (STAT_METHODS.has(method) && isRowwise(a, this.src)) {
      return derive(d, { column: undefined });
    }
    const fv = av.pos[0] ?? av.kw.get('func');
    if (fv?.k === 'func' && !fv.isClass && APPLY_METHODS.test(method)) {
      // A function applied to the columns of a frame (or to the elements / rows, which carry no dataset statistic).
      const perColumn = d.column === undefined && method !== 'map' && method !== 'applymap' && !isRowwise(a, this.src);
      const arg = perColumn ? derive(d, { column: undefined }) : derive(d, { scalar: true, column: undefined });
      const r = this.asData(this.callUser(fv, n, { pos: [arg], kw: new Map() }));
      // Statistics taken inside the function (per column) or read from outside it (a closure) reach the result.
      return derive(d, { taints: unionTaints(d.taints, r?.taints ?? []), column: d.column });
    }
    if (STAT_METHODS.has(method)) {
      const out = this.statistic(d, n, `${method}()`, recvNode, true);
      return argTaints.length ? derive(out, { taints: unionTaints(out.taints, argTaints) }) : out;
    }
    if (method === 'groupby') {
      return derive(d, { groupby: true });
    }
    if (/^(rolling|expanding|ewm)$/.test(method)) {
      return derive(d, { window: true });
    }
    if (method === 'sample' && a.keywords.get('replace') && this.text(a.keywords.get('replace')!) === 'True') {
      return this.doUpsample(n, a, { pos: [d, ...av.pos], kw: av.kw }, 'sample', recvNode);
    }
    if (/^(append|merge|join|combine_first|concat)$/.test(method)) {
      const ds = [
        d,
        ...[...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((x): x is DataV => !!x && !x.scalar),
      ];
      return mergeData(ds);
    }
    if (method === 'items' || method === 'iterrows' || method === 'iteritems') {
      return { k: 'list', items: [{ k: 'tuple', items: [{ k: 'lit', value: undefined }, derive(d)] }] };
    }
    if (
      /^(split|strip|lower|upper|replace|format|join|startswith|endswith)$/.test(method) &&
      d.roots.length === 0 &&
      d.scalar
    ) {
      return this.scalar(d.taints);
    }
    if (method === 'drop' || method === 'pop') {
      const names = method === 'pop' ? stringsOf(av.pos[0]) : droppedNames(a, av, this.src);
      const rowsOnly =
        method === 'drop' &&
        !names &&
        !a.keywords.has('columns') &&
        !/^(1|['"]columns['"])$/.test(this.text(a.keywords.get('axis') ?? a.positional[1] ?? n).trim()) &&
        (a.keywords.has('index') || !!a.keywords.get('axis'));
      const cols = rowsOnly ? d.cols : d.cols && names ? dropColumns(d.cols, names, n) : undefined;
      const frame = derive(d, { taints: d.taints, cols, column: undefined });
      if (method === 'pop') {
        this.rebind(recvNode, frame);
        return derive(d, { column: names?.[0], cols: undefined });
      }
      if (isInplace) {
        this.rebind(recvNode, frame);
        return { k: 'lit', value: null };
      }
      return frame;
    }
    const out = derive(d, {
      taints: argTaints.length ? unionTaints(d.taints, argTaints) : d.taints,
      column:
        /^(fillna|replace|clip|astype|map|apply|copy|to_numpy|reshape|ravel|flatten|squeeze|round|abs|interpolate|where|mask|tolist|to_list|values)$/.test(
          method,
        )
          ? d.column
          : undefined,
      preds: d.preds,
      cols: COLUMN_PRESERVING.test(method) ? d.cols : undefined,
    });
    if (isInplace) {
      this.rebind(recvNode, out);
      return { k: 'lit', value: null };
    }
    return out;
  }

  /** Upsampling by `resample(…, replace=True)` or `df.sample(…, replace=True)`. */
  protected doUpsample(n: PyNode, a: CallArgs, av: Args, what: string, recvNode?: PyNode): V {
    const first = av.pos[0];
    const d = this.asData(first);
    const replace = a.keywords.get('replace');
    const replaces = what === 'sample' || (!!replace && this.text(replace) === 'True');
    if (!d) {
      return UNKNOWN;
    }
    if (!replaces) {
      return av.pos.length > 1 ? { k: 'tuple', items: av.pos.map(p => this.asData(p) ?? UNKNOWN) } : derive(d);
    }
    this.facts.imbalance.push({ node: n, what: what === 'sample' ? 'sample(replace=True)' : 'resample(replace=True)' });
    const t = this.taint(
      'oversample',
      n,
      what === 'sample' ? 'sample(replace=True)' : 'resample(replace=True)',
      this.short(recvNode ?? a.positional[0] ?? n),
      d,
    );
    if (av.pos.length > 1) {
      return {
        k: 'tuple',
        items: av.pos.map(p => {
          const x = this.asData(p);
          return x ? derive(x, { taints: unionTaints(x.taints, [t]) }) : UNKNOWN;
        }),
      };
    }
    return derive(d, { taints: unionTaints(d.taints, [t]) });
  }
}

export interface ValueSummary {
  kind: V['k'];
  part?: Part;
  taints?: string[];
  column?: string;
  split?: { line: number; index: number; side: 'train' | 'test' };
  cls?: string;
  category?: string;
  fittedOn?: Part[];
  items?: ValueSummary[];
  alternatives?: ValueSummary[];
}

function summarize(v: V, depth = 0): ValueSummary {
  const out: ValueSummary = { kind: v.k };
  if (v.k === 'data') {
    out.part = v.part;
    out.taints = v.taints.map(t => `${t.kind}:${t.what}`);
    if (v.column !== undefined) {
      out.column = v.column;
    }
    if (v.origin) {
      out.split = { line: -1, index: v.origin.index, side: v.origin.side };
    }
  } else if (v.k === 'obj') {
    out.cls = v.cls;
    out.category = v.cat;
    out.fittedOn = v.fits.map(f => f.part);
    out.taints = v.taints.map(t => `${t.kind}:${t.what}`);
  } else if ((v.k === 'list' || v.k === 'tuple') && depth < 3) {
    out.items = v.items.slice(0, 16).map(x => summarize(x, depth + 1));
  } else if (v.k === 'union' && depth < 3) {
    out.alternatives = v.alts.map(x => summarize(x, depth + 1));
  }
  return out;
}

/** Runs the data-flow analysis of a module tree and returns its facts. */
export function analyzeTree(root: PyNode, src: SourceText, budget?: number): Facts {
  return new Analyzer(src, budget).run(root);
}
