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
import { sourceColumns, withColumns } from './columns';
import {
  CLASSIFICATION_METRICS,
  CV_FUNCTIONS,
  PIPELINE_FUNCTIONS,
  REGRESSION_METRICS,
  SPLIT_FUNCTIONS,
  Task,
  classInfo,
} from './knowledge';
import type { PyNode } from './parser';
import { SourceText, callArgs, field } from './syntax';
import {
  DataV,
  Facts,
  Part,
  V,
  derive,
  isHeldOut,
  leaksInto,
  mergeData,
  partFromName,
  unionTaints,
  withCols,
} from './values';
import { UserClasses } from './dataflow-classes';
import { FACT_LISTS, UnitCache, UnitRecorder, replayable, sameRead, sharedRootKey, unitStats } from './unitcache';

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
  'pl',
  'polars',
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
/** A loop body that takes optimiser steps. */
// (or a call of the project's training function, `train(loader, model, criterion, optimizer, epoch)`)
const TRAINING_STEP = /\.backward\(|\boptim\w*\.step\(|\bopt\w*\.step\(|(^|[^.\w])train(_\w+)?\s*\([^)]*\bopt/;

export class Analyzer extends UserClasses {
  /**
   * `cache`: the document's unit cache (unitcache.ts); its units are re-used where valid (unless `reuse` is false)
   * and replaced by this run's. Check `reuseBroken` after `run`: then the run must be repeated without re-use.
   */
  constructor(
    src: SourceText,
    statementBudget = 200_000,
    private readonly cache?: UnitCache,
    reuse = true,
  ) {
    super(src, statementBudget);
    if (cache) {
      this.nextId = cache.nextId;
      this.newUnits = new Map();
      if (reuse) {
        this.reusedDefs = new Set();
      }
    }
  }

  /** Runs the analysis of a module tree. */
  run(root: PyNode): Facts {
    this.runModule(root);
    this.facts.truncated = this.budget <= 0;
    if (this.cache && this.newUnits && !this.reuseBroken) {
      this.cache.units = this.newUnits;
      this.cache.nextId = this.nextId;
    }
    return this.facts;
  }

  protected override reuseUnit(def: PyNode): boolean {
    const r = this.reusedDefs && this.cache?.units.get(def);
    if (!r || r.dottedAtStart !== this.dottedBound || this.budget - r.budgetUsed <= 0) {
      return false;
    }
    const g = this.global.locals;
    for (const [name, v] of r.reads) {
      if (!sameRead(v, g.get(name))) {
        return false;
      }
    }
    if (r.globalsAdded.some(([name]) => g.has(name)) || r.rootKeys.some(([key]) => this.rootByKey.has(key))) {
      return false;
    }
    FACT_LISTS.forEach((k, i) => (this.facts[k] as unknown[]).push(...r.facts[i]));
    this.facts.otherMetric ||= r.otherMetric;
    this.budget -= r.budgetUsed;
    for (const [name, v] of r.globalsAdded) {
      g.set(name, v);
    }
    for (const [key, id] of r.rootKeys) {
      this.rootByKey.set(key, id);
    }
    this.dottedBound ||= r.dottedSet;
    this.reusedDefs!.add(def);
    this.newUnits!.set(def, r);
    unitStats.reused++;
    return true;
  }

  protected override startUnit(): void {
    this.rec = new UnitRecorder(
      new Map(this.global.locals),
      this.dottedBound,
      this.budget,
      FACT_LISTS.map(k => this.facts[k].length),
      this.allDefs.length,
      this.facts.otherMetric,
    );
    this.facts.otherMetric = false;
  }

  protected override endUnit(def: PyNode): void {
    const rec = this.rec!;
    this.rec = undefined;
    unitStats.analysed++;
    const otherMetric = this.facts.otherMetric;
    this.facts.otherMetric ||= rec.otherMetricBefore;
    this.newUnits!.delete(def);
    let external = rec.external || this.budget <= 0;
    for (let i = rec.defsAtStart; i < this.allDefs.length && !external; i++) {
      external = !this.analyzedDefs.has(this.allDefs[i].def);
    }
    const rootKeys: [string, number][] = [];
    for (const key of rec.roots) {
      if (sharedRootKey(key)) {
        rootKeys.push([key, this.rootByKey.get(key)!]);
      }
    }
    const nameRoots = new Set(rootKeys.map(([, id]) => id));
    const globalsAdded: [string, V][] = [];
    const g = this.global.locals;
    for (const [name, v] of g) {
      if (external) {
        break;
      }
      const before = rec.globalsAtStart.get(name);
      if (before === undefined) {
        external = rec.reads.get(name) !== null || !replayable(v, nameRoots);
        globalsAdded.push([name, v]);
      } else if (before !== v) {
        external = true;
      }
    }
    if (external || g.size !== rec.globalsAtStart.size + globalsAdded.length) {
      return;
    }
    this.newUnits!.set(def, {
      reads: rec.reads,
      dottedAtStart: rec.dottedAtStart,
      dottedSet: rec.dottedSet,
      budgetUsed: rec.budgetAtStart - this.budget,
      globalsAdded,
      rootKeys,
      facts: FACT_LISTS.map((k, i) => this.facts[k].slice(rec.factLengths[i])),
      otherMetric,
    });
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
    return this.unboundData(name);
  }

  protected refineByName(name: string, v: V, depth = 0): V {
    if ((v.k === 'list' || v.k === 'tuple') && depth < 3 && v.items.length) {
      // Rows collected in a list (`x.append(window)` in a helper, `x_train, y_train = make_windows(df[train_mask])`):
      // the list holds what its name says, as the array it becomes.
      const items = v.items.map(it => this.refineByName(name, it, depth + 1));
      return items.some((it, i) => it !== v.items[i]) ? { k: v.k, items } : v;
    }
    if (v.k !== 'data' || v.scalar || v.mask || v.index || (v.part !== 'full' && v.part !== 'unknown')) {
      return v;
    }
    const p = partFromName(name);
    const out = p ? derive(v, { part: p, column: v.column, preds: v.preds, cols: v.cols }) : v;
    if (p === 'test' || p === 'val') {
      this.facts.heldOut.push(out);
    }
    return out;
  }

  /**
   * A split of a part names its held-out side: `X_val, X_test = train_test_split(X_tmp)` (the temporary test part
   * split into validation and test) and `X_tr, X_test = train_test_split(train)` (a training file split, its held-out
   * side named as the test part) hold what their names say, validation or test rows.
   */
  protected splitTargetParts(targets: PyNode[], items: V[] | undefined): V[] | undefined {
    return items?.map((item, i) => {
      const t = targets[i];
      if (item.k !== 'data' || !item.origin?.resplit || (item.part !== 'val' && item.part !== 'test') || !t) {
        return item;
      }
      const p = t.type === 'identifier' ? partFromName(this.text(t)) : undefined;
      return (p === 'val' || p === 'test') && p !== item.part
        ? derive(item, { part: p, origin: item.origin, column: item.column, cols: item.cols })
        : item;
    });
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
    const ti = vs.findIndex(v => v.k === 'data' && !v.preds?.length && isHeldOut(v) && !v.scalar);
    if (preds.length && ti >= 0) {
      const models = [...new Set(preds.flatMap(d => d.preds!))];
      this.facts.evaluated.push(n);
      this.facts.evaluations.push({
        site: this.site(n),
        node: n,
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
    return derive(m, { mask: true, srcCols, threshold: preds.length ? this.loopThreshold(n, ds) : undefined });
  }

  /**
   * `proba >= t` with `t` the variable of an enclosing loop (or comprehension): a decision threshold being varied; or
   * with `t` read off a curve of held-out rows (`t = thresholds[np.argmax(tpr - fpr)]` after `roc_curve(y_test, proba)`).
   */
  private loopThreshold(n: PyNode, ds: DataV[]): DataV['threshold'] {
    if (!/[<>]/.test(this.text(n).replace(/<<|>>/g, ''))) {
      return undefined;
    }
    const curved = ds.find(d => d.curve && !d.preds?.length);
    if (curved?.curve) {
      const name = n.children.find(c => c.type === 'identifier' && !this.asData(this.lookup(this.text(c)))?.preds);
      return { loop: curved.curve.node, name: name ? this.text(name) : 'threshold', curve: curved.curve.data };
    }
    for (const c of n.children) {
      if (c.type !== 'identifier') {
        continue;
      }
      // (Or a helper's parameter given that variable, `[f1_score(y, to_labels(p, t)) for t in grid]`.)
      const at = this.frame.positional.indexOf(this.text(c)) - (this.frame.positional[0] === 'self' ? 1 : 0);
      const call = at >= 0 ? this.callStack[this.callStack.length - 1] : undefined;
      const arg = call?.type === 'call' ? callArgs(call, this.src).positional[at] : undefined;
      const name = arg?.type === 'identifier' ? this.text(arg) : this.text(c);
      const loop =
        [...this.loops].reverse().find(l => l.targets.has(name)) ?? this.comprehensions.find(l => l.targets.has(name));
      if (loop) {
        return { loop: loop.node, name };
      }
    }
    return undefined;
  }

  /** Arithmetic between predictions and the test part (`np.mean((y_test - pred) ** 2)`) evaluates the models. */
  protected override combine(l: V, r: V, n?: PyNode): V {
    const out = super.combine(l, r);
    const ld = this.asData(l);
    const rd = this.asData(r);
    if (n && ld && rd) {
      const [p, t] = ld.preds?.length ? [ld, rd] : [rd, ld];
      if (p.preds?.length && !t.preds?.length && !t.scalar && !t.mask) {
        // `y - pred` (an error by hand, e.g. in a user `rmse()` helper) scores the models on the rows of `t`.
        this.noteScorings([l, r], n, n);
      }
      if (p.preds?.length && !t.preds?.length && isHeldOut(t) && !t.scalar) {
        // Predictions cut at a threshold being varied (`(proba >= t) & (y_test == 1)`, a count of hits by hand).
        const th = p.threshold;
        const varied = th && this.inLoopNow(th.loop);
        this.facts.evaluations.push({
          site: this.site(n),
          node: n,
          models: [...new Set(p.preds)],
          data: t,
          dataText: this.short(n),
          loops: this.loops.map(x => x.node),
          path: [...this.branchPath],
          threshold: th && (th.curve || varied) ? th : undefined,
        });
      }
    }
    return out;
  }

  // ----- frames mutated through a loop over a list of them (`for dataset in [train, test]: dataset['x'] = …`)

  /** Variables a list literal of names was built from (`combine = [train_df, test_df]`). */
  private readonly listSources = new WeakMap<V, string[]>();
  /** Loops whose target iterates over such a list: the target's name and the variables it stands for. */
  private readonly loopAliases = new Map<PyNode, { name: string; sources: string[] }>();

  /** The names a list literal is made of (`[train_df, test_df]`), if it is only names. */
  private listNames(n: PyNode | undefined): string[] | undefined {
    if (n?.type !== 'list' && n?.type !== 'tuple' && n?.type !== 'dictionary') {
      return undefined;
    }
    // `{'train': X_train, 'test': X_test}`: the values.
    const items =
      n.type === 'dictionary'
        ? n.children.map(c => (c.type === 'pair' ? field(c, 'value') : c)).filter((c): c is PyNode => !!c)
        : n.children.filter(c => !/^[[\],()]$/.test(c.type));
    return items.length >= 2 && items.length <= 8 && items.every(c => c.type === 'identifier')
      ? items.map(c => this.text(c))
      : undefined;
  }

  /**
   * A frame that still holds every column it was loaded with, bound to a name (`X = df`, `X = df.fillna(0)`): that
   * binding is where all its columns, the label too, become what the name holds (reported there, not at the loader).
   */
  protected override bind(target: PyNode, v: V): void {
    const stmt = target.parent;
    if (
      (v.k === 'list' || v.k === 'tuple' || v.k === 'dict') &&
      target.type === 'identifier' &&
      stmt?.type === 'assignment'
    ) {
      const names = this.listNames(field(stmt, 'right'));
      if (names) {
        this.listSources.set(v, names);
      }
    }
    if (
      target.type === 'identifier' &&
      stmt?.type === 'assignment' &&
      field(stmt, 'left') === target &&
      v.k === 'data' &&
      v.cols &&
      !v.cols.select &&
      !v.cols.drop.length
    ) {
      const c = v.cols;
      v = withCols(v, withColumns(c, c.select, c.drop, c.derived, stmt));
    }
    super.bind(target, v);
  }

  /** A change to the loop variable (item assignment, `inplace=True`) changes the frame it currently is. */
  protected override rebind(expr: PyNode, v: DataV): void {
    super.rebind(expr, v);
    if (!this.loopAliases.size || expr.type !== 'identifier' || !v.taints.length) {
      return;
    }
    const name = this.text(expr);
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const alias = this.loopAliases.get(this.loops[i].node);
      if (alias?.name !== name) {
        continue;
      }
      for (const src of alias.sources) {
        const cur = this.lookup(src);
        if (cur.k === 'data') {
          this.assign(
            src,
            derive(cur, { taints: unionTaints(cur.taints, v.taints), column: cur.column, cols: cur.cols }),
          );
        }
      }
      return;
    }
  }

  protected override loopTestPart(expr: PyNode): DataV | undefined {
    let root: PyNode | undefined = expr;
    while (root && (root.type === 'subscript' || root.type === 'attribute')) {
      root = field(root, root.type === 'subscript' ? 'value' : 'object');
    }
    if (!this.loopAliases.size || root?.type !== 'identifier') {
      return undefined;
    }
    const name = this.text(root);
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const alias = this.loopAliases.get(this.loops[i].node);
      if (alias?.name === name) {
        const vs = alias.sources.map(src => this.lookup(src));
        const test = vs.find((v): v is DataV => v.k === 'data' && v.part === 'test' && !!v.origin);
        return test && vs.some(v => v.k === 'data' && v.part === 'train') ? test : undefined;
      }
    }
    return undefined;
  }

  /** A loop whose body takes optimiser steps (`loss.backward()`, `optimizer.step()`) trains on what it iterates. */
  protected forLoop(n: PyNode, iter: V): void {
    const right = field(n, 'right');
    let sources = this.listSources.get(iter) ?? this.listNames(right);
    let left = field(n, 'left');
    const fn = right?.type === 'call' ? field(right, 'function') : undefined;
    const obj = fn?.type === 'attribute' ? field(fn, 'object') : undefined;
    const method = fn?.type === 'attribute' ? this.text(field(fn, 'attribute') ?? fn) : '';
    if (!sources && obj?.type === 'identifier' && (method === 'values' || method === 'items')) {
      // `for name, frame in parts.items()` / `for frame in parts.values()` over a dict literal of frames.
      sources = this.listSources.get(this.lookup(this.text(obj)));
      const kids = method === 'items' && left ? left.children.filter(c => c.type === 'identifier') : undefined;
      left = kids ? (kids.length === 2 ? kids[1] : undefined) : left;
    }
    if (sources && left?.type === 'identifier') {
      this.loopAliases.set(n, { name: this.text(left), sources });
    }
    const body = field(n, 'body');
    if (body) {
      this.bestEpochOnTest(body);
    }
    if (!body || !TRAINING_STEP.test(this.text(body))) {
      return;
    }
    const d = this.asData(iter);
    if (!d) {
      // A full-batch loop (`for epoch in range(n): loss = crit(net(X_tr), y_tr); loss.backward()`) trains on the
      // training parts passed to calls in its body (held-out rows there are only evaluated: not reported).
      for (const arg of this.bodyCallArguments(body)) {
        const x = this.asData(this.lookup(this.text(arg)));
        for (const t of x && !x.scalar && x.part === 'train' ? x.taints : []) {
          if (t.kind !== 'oversample' && leaksInto(t, x!) && this.once(`pre:${t.id}`)) {
            this.facts.preLeaks.push({
              taint: t,
              use: n,
              useKind: 'fit',
              split: x!.origin?.split ?? t.split,
              dataText: this.text(arg),
            });
          }
        }
      }
      return;
    }
    if (d.scalar) {
      return;
    }
    const dataText = this.short(right);
    const site = this.site(n, true);
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

  /** Names passed as positional arguments of calls in a loop body (at most 2,000 nodes are visited). */
  private bodyCallArguments(body: PyNode): PyNode[] {
    const out: PyNode[] = [];
    const stack: PyNode[] = [body];
    for (let seen = 0; stack.length && seen < 2000; seen++) {
      const x = stack.pop()!;
      if (x.type === 'argument_list') {
        out.push(...x.children.filter(c => c.type === 'identifier'));
      }
      if (x.type !== 'function_definition' && x.type !== 'class_definition' && x.type !== 'lambda') {
        stack.push(...x.children);
      }
    }
    return out;
  }

  /** Loop bodies that train and keep the best weights (the text test, once per body). */
  private readonly keepsBest = new WeakMap<PyNode, boolean>();

  /**
   * A training loop that scores the test part each epoch and keeps the best weights (`test_loss = evaluate(model,
   * test_loader)`, then `if test_loss < best: best_state = copy.deepcopy(model.state_dict())`): the epoch is chosen
   * on the test part.
   */
  private bestEpochOnTest(body: PyNode): void {
    let keeps = this.keepsBest.get(body);
    if (keeps === undefined) {
      const text = this.text(body);
      // (or remembers the best epoch: `best_epoch = epoch`, printed as the model to use)
      const best = /state_dict\(|torch\.save\(|save_weights\(|deepcopy\(|\b\w*epoch\w*\s*=\s*\w*epoch\w*\s*$/m;
      keeps = TRAINING_STEP.test(text) && best.test(text);
      this.keepsBest.set(body, keeps);
    }
    if (!keeps) {
      return;
    }
    const ifs: PyNode[] = [];
    const asgs: PyNode[] = [];
    const walk = (x: PyNode, depth: number) => {
      if (x.type === 'if_statement') {
        ifs.push(x);
      } else if (x.type === 'assignment') {
        asgs.push(x);
      }
      if (depth < 6 && !/function_definition|class_definition/.test(x.type)) {
        x.children.forEach(c => walk(c, depth + 1));
      }
    };
    walk(body, 0);
    const compared = new Set<string>();
    for (const f of ifs) {
      const cond = field(f, 'condition');
      if (cond?.type === 'comparison_operator' && /[<>]/.test(this.text(cond))) {
        cond.children.filter(c => c.type === 'identifier').forEach(c => compared.add(this.text(c)));
      }
    }
    for (const a of asgs) {
      const left = field(a, 'left');
      const right = field(a, 'right');
      // (one of several values it returns: `test_loss, test_auc = evaluate(model, test_loader)`)
      const names = left?.type === 'identifier' ? [left] : (left?.children.filter(c => c.type === 'identifier') ?? []);
      if (!names.some(nm => compared.has(this.text(nm))) || right?.type !== 'call') {
        continue;
      }
      const args = field(right, 'arguments')?.children.filter(c => c.type === 'identifier') ?? [];
      for (const arg of args) {
        // (a loader of a dataset class the analysis does not know holds what its name says)
        const named: DataV | undefined =
          partFromName(this.text(arg)) === 'test' ? { k: 'data', part: 'test', roots: [], taints: [] } : undefined;
        const v = this.asData(this.lookup(this.text(arg))) ?? named;
        if (v?.part === 'test' && this.once(`bestepoch:${this.ctxKey(right)}`)) {
          this.facts.testAsValidation.push({
            site: this.site(right, true),
            dataText: this.text(arg),
            data: v,
            epoch: true,
          });
        }
      }
    }
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
export function analyzeTree(root: PyNode, src: SourceText, budget?: number, cache?: UnitCache): Facts {
  const a = new Analyzer(src, budget, cache);
  const facts = a.run(root);
  if (!a.reuseBroken) {
    return facts;
  }
  // a re-used function was called by code analysed after it: analyse everything again, recording only
  unitStats.rerun++;
  return new Analyzer(src, budget, cache, false).run(root);
}
