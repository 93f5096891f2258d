/**
 * The data layer of the ML semantics (`dataflow.ts`): item assignment and `del`, attributes and subscripts of
 * data and estimator objects, dataset-wide statistics, data-frame methods and oversampling.
 */
import {
  ALL_COLUMNS,
  addColumn,
  filterColumns,
  nameFilter,
  droppedNames,
  dropColumns,
  namesColumn,
  numericSelection,
  renameColumns,
  selectColumns,
  selectColumnTaints,
  sourceColumns,
  stringsOf,
} from './columns';
import { STAT_FUNCTIONS, STAT_METHODS, STAT_MODULES } from './knowledge';
import type { Args } from './interpreter';
import type { PyNode } from './parser';
import { CallArgs, SourceText, asOfRows, field, fields, isFoldLoop, stringValue } from './syntax';
import {
  ColInfo,
  DataV,
  ObjV,
  Part,
  RefV,
  Taint,
  UNKNOWN,
  V,
  derive,
  litValue,
  mayBeSplitLater,
  mergeData,
  partFromName,
  unionTaints,
} from './values';
import { Estimators } from './estimators';

const WINDOW_FUNCTION =
  /^['"](shift|diff|pct_change|cumsum|cumprod|cummax|cummin|cumcount)['"]$|\.(shift|diff|pct_change|rolling|expanding|ewm|cumsum|cumprod|cummax|cummin)\(/;
/** Data-frame methods that keep the columns (rows may change). */
const COLUMN_PRESERVING =
  /^(copy|fillna|astype|dropna|drop_duplicates|reset_index|sort_values|sort_index|head|tail|sample|replace|clip|round|abs|to_numpy|interpolate|ffill|bfill|infer_objects|convert_dtypes|query|where|mask|reindex|dropna)$/;
const APPLY_METHODS = /^(apply|transform|map|applymap|agg|aggregate|pipe)$/;

/** `shift(-1)` / `shift(periods=-k)`: each row gets a later row's value. */
function isLead(a: CallArgs, src: SourceText): boolean {
  const p = a.positional[0] ?? a.keywords.get('periods');
  return !!p && /^-\s*\d/.test(src.slice(p).trim());
}

/** `axis=1` / `axis='columns'`: a statistic of each row, not of the dataset. */
export function isRowwise(a: CallArgs, src: SourceText, axisFirst = false): boolean {
  // `axisFirst`: a reduction whose first parameter is the axis (`df[cols].mean(1)`, `X.std(1)`).
  const axis = a.keywords.get('axis') ?? (axisFirst ? a.positional[0] : undefined);
  return !!axis && /^(1|['"]columns['"])$/.test(src.slice(axis));
}

/** Reductions of pandas frames and numpy arrays whose first positional parameter is the axis. */
const AXIS_FIRST =
  /^(mean|median|max|min|std|var|sum|prod|count|nunique|sem|skew|kurt|kurtosis|idxmax|idxmin|any|all|argmax|argmin|ptp)$/;

/**
 * Of the taints of a statistic whose values pick column names, those that tell about the rows' values: correlations,
 * variances and fitted scores, not counts, sums or missing-value shares.
 */
function namePickingTaints(ts: Taint[]): Taint[] {
  return ts.filter(t => t.kind === 'fit' || !/^(sum|mean|count)\(\)$/.test(t.what));
}

/** Days since the first (or up to the last) date: an offset by the minimum or maximum of a column. */
const isMinMax = (t: Taint) => t.kind === 'stat' && /^(min|max)\(\)$/.test(t.what);

/** Methods of a series of correlations that keep its largest values (so the column correlated with itself). */
const CORR_ORDER_METHODS = /^(abs|sort_values|head|nlargest|dropna|round|fillna|to_frame)$/;

/** The part of the dataset a list of row positions holds, by its name (`train_indices`, `val_idx`, `test_rows`). */
function indexPart(name: string): Part | undefined {
  const words = name.toLowerCase().split(/_+|(?<=[a-z])(?=\d)/);
  return words.some(w => /^(idx|index|indices|inds?|ix|rows|ids|positions)$/.test(w)) ? partFromName(name) : undefined;
}

export abstract class DataOps extends Estimators {
  /** Frames written to a file (`df.to_csv('prep.csv')`), by path: reading the file back gives the same rows. */
  protected readonly savedFiles = new Map<string, DataV>();
  // ----- columns (for target-in-features)

  protected setItem(frame: DataV, keyNodes: PyNode[], keys: V[], v: V, target: PyNode): DataV {
    if (!frame.cols || keyNodes.length !== 1) {
      return keyNodes.length === 1 ? frame : derive(frame, { cols: undefined });
    }
    const names =
      stringsOf(keys[0]) ??
      (stringValue(keyNodes[0], this.src) !== undefined ? [stringValue(keyNodes[0], this.src)!] : undefined);
    if (!names) {
      // A column whose name the code does not spell out (`df[col] = …` in a loop): the columns known stay as they are.
      return derive(frame, { cols: frame.cols, column: frame.column });
    }
    const d = this.asData(v);
    const same = !!d && !d.preds && d.roots.some(r => frame.roots.includes(r));
    const from = same ? sourceColumns(d) : [];
    let cols = frame.cols;
    for (const name of names) {
      cols = addColumn(cols, name, names.length === 1 ? from : [], target, same && names.length > 1, d?.lead);
    }
    return derive(frame, { cols, column: frame.column });
  }

  /**
   * A model trained on the rows of folds made by hand (`for tr, va in kf.split(X_train)`) from data scaled or filled
   * with statistics of all its rows: preprocessing outside the cross-validation, as for cross_val_score.
   */
  protected noteFoldLeaks(x: DataV): void {
    if (x.part !== 'train' || x.origin || !this.loops.length) {
      return;
    }
    for (const f of this.foldInputs) {
      if (!f.data.roots.some(r => x.roots.includes(r))) {
        continue;
      }
      for (const t of f.data.taints) {
        const fold =
          t.kind !== 'oversample' && !t.search && t.part !== 'test' && x.taints.includes(t) && !this.inFoldLoop(t.node);
        if (fold && this.once(`pre:${t.id}`)) {
          this.facts.preLeaks.push({ taint: t, use: f.use, useKind: 'cv', dataText: f.dataText });
        }
      }
    }
  }

  /** Whether `n` is inside a loop over folds (`for tr, va in kf.split(X)`): computed from a fold's rows (out-of-fold). */
  private inFoldLoop(n: PyNode): boolean {
    for (let p = n.parent; p; p = p.parent) {
      if (isFoldLoop(p, this.src)) {
        return true;
      }
    }
    return false;
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
    if (attr === 'columns') {
      // The column names of a statistic of the frame (`df.describe().columns`) say nothing about its rows.
      const taints = base.scalar ? [] : base.taints;
      return derive(base, { scalar: true, colList: base.column === undefined ? base.cols : undefined, taints });
    }
    if (attr === 'index' && base.corrOf) {
      // The column names of the top correlations with a column: that column among them.
      const c = base.corrOf;
      return derive(base, { scalar: true, colList: { select: [c.column], drop: [], derived: [], node: c.node } });
    }
    if (attr === 'index' && !base.scalar && (base.part === 'train' || base.part === 'test' || base.part === 'val')) {
      // The row labels of one part of a split: `X[train_df.index]` selects that part's rows.
      return derive(base, { scalar: true, index: true });
    }
    if (attr === 'index' && base.scalar && base.taints.length) {
      // The names a statistic is indexed by (`df_var = df.isnull().sum(); df[df_var[df_var < k].index]`).
      return derive(base, { scalar: true, taints: namePickingTaints(base.taints) });
    }
    if (attr === 'index' || attr === 'classes_') {
      return derive(base, { scalar: true });
    }
    if (attr === 'target' || attr === 'target_names') {
      return derive(base, { column: 'target' });
    }
    const keep = /^(iloc|loc|at|iat|str|dt|cat|values|array)$/.test(attr);
    // `(df['date'] - df['date'].min()).dt.days`: days since the first date, an offset that tells the model nothing.
    const offset = attr === 'dt' && base.taints.some(isMinMax);
    return derive(base, {
      taints: offset ? base.taints.filter(t => !isMinMax(t)) : base.taints,
      column: keep ? base.column : undefined,
      // `df[c].cat.codes`, `df[c].dt.year`: computed from that column.
      srcCols: keep ? base.srcCols : base.column !== undefined ? sourceColumns(base) : base.srcCols,
      preds: base.preds,
      mask: base.mask,
      index: base.index,
      groupby: base.groupby,
      cols: keep ? base.cols : undefined,
    });
  }

  /** Lists of column names kept by a condition on a statistic of all rows, and that statistic's taints. */
  protected readonly listTaints = new WeakMap<V, Taint[]>();
  /** Rows (roots) a feature selector was fitted on, whose scores the code then read: the selector's taint. */
  protected readonly scoresShown = new Map<number, Taint>();
  private readonly condTaints = new Map<PyNode, Taint[]>();

  /**
   * `[c for c in upper.columns if any(upper[c] > 0.95)]`: names chosen by correlations, variances or a fitted
   * selector's scores over all rows carry them (not counts, sums or missing-value shares).
   */
  protected override noteConditions(n: PyNode, conds: V[]): void {
    const found: Taint[][] = conds.map(c => this.asData(c)?.taints ?? []);
    const visit = (x: PyNode, depth: number) => {
      if (x.type === 'identifier') {
        const d = this.asData(this.lookup(this.text(x)));
        if (d?.scalar) {
          found.push(d.taints);
        }
      }
      if (depth < 12) {
        x.children.forEach(c => visit(c, depth + 1));
      }
    };
    n.children.filter(c => c.type === 'if_clause').forEach(c => visit(c, 0));
    const taints = unionTaints(...found).filter(t => t.kind === 'fit' || /^(corr|cov|var|std)\(\)$/.test(t.what));
    if (taints.length) {
      this.condTaints.set(n, taints);
    }
  }

  protected override evalComprehension(n: PyNode): V {
    const v = this.comprehensionOf(n);
    const taints = this.condTaints.get(n);
    this.condTaints.delete(n);
    if (taints && (v.k === 'list' || v.k === 'tuple')) {
      this.listTaints.set(v, taints);
    } else if (taints && v.k === 'data') {
      return derive(v, { taints: unionTaints(v.taints, taints), colList: v.colList, column: v.column });
    }
    return v;
  }

  /**
   * `[c for c in df.columns if c != 'id']`: a column list, when the condition only compares names; or, for columns the
   * code does not spell out, which named columns it leaves out.
   */
  private comprehensionOf(n: PyNode): V {
    const v = super.evalComprehension(n);
    const body = field(n, 'body');
    const rows = this.rowwise(n, body, v);
    if (rows) {
      return rows;
    }
    const fors = n.type === 'list_comprehension' && body?.type === 'identifier' ? n.children : undefined;
    const clause = fors?.[1]?.type === 'for_in_clause' && fors.length <= 3 ? fors[1] : undefined;
    const left = clause && field(clause, 'left');
    const right = clause && field(clause, 'right');
    if (!left || !right || !/^(attribute|identifier)$/.test(right.type) || this.text(left) !== this.text(body!)) {
      return v;
    }
    const iter = this.asData(this.evalExpr(right));
    const cond = fors![2];
    if (!iter || (cond && cond.type !== 'if_clause')) {
      return v;
    }
    const strings = (x: PyNode) =>
      /^(identifier|string|list|tuple|set)$/.test(x.type) ? stringsOf(this.evalExpr(x)) : undefined;
    const expr = cond?.children[cond.children.length - 1];
    const f = expr ? nameFilter(expr, this.text(left), this.src, strings) : { test: () => true };
    const list = iter.colList && f && filterColumns(iter.colList, f, n);
    if (list) {
      return derive(iter, { scalar: true, colList: list });
    }
    // Columns not spelled out, or a condition not only about names: the filter still says which named ones are out.
    const outer = iter.colFilter;
    const keep = f && ((c: string) => f.test(c) !== false);
    if (!outer && !(keep && this.text(right).endsWith('.columns'))) {
      return v;
    }
    return derive(iter, {
      scalar: true,
      colFilter: outer && keep ? c => outer(c) && keep(c) : (outer ?? keep),
    });
  }

  /**
   * `[features(text) for text in X_train]`: one value computed from each row of an array or a column is row data of
   * the same part (what the body reads from outside the row comes along).
   */
  private rowwise(n: PyNode, body: PyNode | undefined, v: V): DataV | undefined {
    const clause = n.type === 'list_comprehension' && n.children.length === 2 ? n.children[1] : undefined;
    const right = clause?.type === 'for_in_clause' ? field(clause, 'right') : undefined;
    if (!right || !body || body.type === 'identifier' || right.type !== 'identifier') {
      return undefined;
    }
    const iter = this.asData(this.lookup(this.text(right)));
    const elem = v.k === 'list' ? v.items[0] : undefined;
    const ed = elem && this.asData(elem);
    if (!iter || iter.scalar || iter.colList || iter.index || iter.mask || (iter.cols && iter.column === undefined)) {
      return undefined;
    }
    if (!elem || (ed && !ed.scalar) || elem.k === 'obj') {
      return undefined;
    }
    return derive(iter, { column: undefined, taints: ed ? unionTaints(iter.taints, ed.taints) : iter.taints });
  }

  protected objAttribute(base: ObjV, attr: string): V {
    const tuned = base.cat === 'search' && attr === 'best_estimator_' ? base.taints.filter(t => t.search) : [];
    if (tuned.length && base.steps[0]) {
      // The best estimator of a search fitted on all rows: chosen on every row, refitted on them unless refit=False.
      const est = base.steps[0];
      const refit = base.args?.keywords.get('refit');
      return {
        ...est,
        alloc: `${est.alloc}:best`,
        fits: refit && this.text(refit) === 'False' ? [] : [...base.fits],
        taints: [],
        argTaints: unionTaints(est.argTaints ?? [], tuned),
      };
    }
    if (/^(best_estimator_|named_steps|steps|estimator|estimators_|best_estimator|model|module|wv|dv)$/.test(attr)) {
      return base;
    }
    const last = base.fits[base.fits.length - 1];
    const scores = (attr === 'scores_' || attr === 'pvalues_') && base.cat === 'transformer';
    if (
      (((attr === 'feature_importances_' || attr === 'coef_') && base.cat === 'model') || scores) &&
      last &&
      last.roots.length
    ) {
      // What a model learnt from rows that may later be split off for testing (features picked by importance).
      const d: DataV = { k: 'data', part: last.part, roots: last.roots, taints: [], origin: last.origin };
      if (mayBeSplitLater(d)) {
        const what = `${base.cls}.${last.method} (its ${attr})`;
        const t = this.taint('fit', last.node, what, last.dataText, d);
        if (scores) {
          // A selector's scores shown to the user: the columns then written out by hand are picked by them.
          last.roots.forEach(r => this.scoresShown.set(r, t));
        }
        return this.scalar(unionTaints(base.taints, [t]));
      }
    }
    if (/^(labels_|embedding_)$/.test(attr) && last) {
      return { k: 'data', part: last.part, roots: last.roots, taints: base.taints };
    }
    return this.scalar(base.taints);
  }

  protected dataSubscript(base: DataV, keyNodes: PyNode[], keys: V[]): V {
    const k0 = keyNodes[0];
    const mode = this.text(k0) === '0' ? this.modeOfCounts(base, k0.parent ?? k0, 'index[0]') : undefined;
    if (mode) {
      return mode;
    }
    if (base.corr && keyNodes.length === 1 && stringValue(k0, this.src) !== undefined) {
      // `df.corr()['price']`: every column's correlation with price.
      const column = stringValue(k0, this.src)!;
      return derive(base, { column, corrOf: { column, node: k0.parent ?? k0 } });
    }
    if (base.corrOf && keyNodes.length === 1) {
      // A cut of the top correlations (`s[s > 0.5]`, `s[:10]`) keeps the column itself; `s[1:]` drops it.
      const kd = this.asData(keys[0]);
      const start = k0.type === 'slice' ? /^\s*(0?\s*)?:/.test(this.text(k0)) : false;
      if (kd?.mask || start) {
        return derive(base, { column: base.column, corrOf: base.corrOf });
      }
    }
    // Rows of a column (`y.iloc[:n]`, `y[mask]`) are still that column.
    let out = derive(base, {
      preds: base.preds,
      mask: base.mask,
      groupby: base.groupby,
      cols: base.cols,
      column: base.column,
    });
    const node = keyNodes[0]?.parent ?? keyNodes[0];
    keyNodes.forEach((kn, i) => {
      const kv = keys[i];
      const lit = litValue(kv);
      const s = stringValue(kn, this.src) ?? (kn.type === 'identifier' && typeof lit === 'string' ? lit : undefined);
      if (s !== undefined) {
        out = derive(out, { column: s, preds: out.preds, groupby: out.groupby, srcCols: undefined });
        out = i === keyNodes.length - 1 ? selectColumnTaints(out, c => namesColumn([s], c)) : out;
        return;
      }
      const names = kn.type === 'slice' ? undefined : stringsOf(kv);
      if (names && node) {
        const picked = (kv && this.listTaints.get(kv)) ?? [];
        // Columns written out by hand after a selector fitted on these rows showed its scores (`X = X[['a', …]]`).
        const shown = kn.type === 'list' ? base.roots.map(r => this.scoresShown.get(r)) : [];
        picked.push(...shown.filter((t): t is Taint => !!t && !picked.includes(t)));
        const cols = selectColumns(base.cols, names, node);
        out = derive(out, {
          cols,
          preds: out.preds,
          groupby: out.groupby,
          taints: picked.length ? unionTaints(out.taints, picked) : out.taints,
        });
        out = selectColumnTaints(out, c => namesColumn(names, c));
        return;
      }
      if (kv?.k === 'data' && kv.colFilter && !kv.colList) {
        // Which columns it keeps is not known, only which named ones it leaves out.
        out = selectColumnTaints(derive(out, { preds: out.preds, groupby: out.groupby }), kv.colFilter);
        return;
      }
      const list = kv?.k === 'data' ? kv.colList : undefined;
      if (list && node) {
        // `frame[feature_names]` with `feature_names = list(df.columns)` minus what was removed; columns picked by a
        // statistic (the top correlations) carry it; another dataset's names (`test_df.columns`) say nothing of these.
        const taints = kv?.k === 'data' && kv.taints.length ? unionTaints(out.taints, kv.taints) : out.taints;
        const cols =
          kv?.k === 'data' && kv.roots.length && !kv.roots.some(r => base.roots.includes(r)) ? undefined : list;
        out = derive(out, { cols: cols && { ...cols, node }, preds: out.preds, groupby: out.groupby, taints });
        return;
      }
      // `frame.loc[rows, cols]`: a column key the code does not spell out leaves the columns unknown; so does a
      // name imported from another module (`df[FEATURE_COLS]`) or a list of names it cannot read (f-strings).
      const opaque =
        i === 0 && ((kn.type === 'identifier' && (kv?.k === 'ref' || kv?.k === 'unknown')) || kv?.k === 'list');
      if (opaque || (i > 0 && !(kn.type === 'slice' && this.text(kn).trim() === ':'))) {
        out = derive(out, { cols: undefined, column: out.column, preds: out.preds });
      }
      if (kn.type === 'slice') {
        return;
      }
      const kd = this.asData(kv);
      const namedPart = !kd && kn.type === 'identifier' ? indexPart(this.text(kn)) : undefined;
      if (namedPart && kv?.k !== 'lit' && kv?.k !== 'obj') {
        // Row positions kept in a plain list (`train_indices = indices[split:]` after shuffling a `list(range(n))`).
        out = derive(out, { part: namedPart, column: out.column, preds: out.preds, cols: out.cols });
        return;
      }
      if (kd && kd.mask && kd.taints.length && base.scalar) {
        // Column names picked by a count or missing share (`df.columns[df.isnull().sum() > 0]`): no row statistic.
        const picked = base.colList ? namePickingTaints(kd.taints) : kd.taints;
        out = derive(out, { taints: unionTaints(out.taints, picked), cols: out.cols });
      } else if (kd && kd.mask && kd.taints.some(t => t.filter)) {
        // Rows kept by outlier flags learned from all rows (`X[iso.fit_predict(X) == 1]`).
        const kept = kd.taints.filter(t => t.filter);
        // The flags chose the rows: every column kept is affected, not only the flag column.
        const colTaints = out.colTaints && new Map([...out.colTaints].filter(([id]) => !kept.some(t => t.id === id)));
        out = derive(out, {
          colTaints,
          taints: unionTaints(out.taints, kept),
          cols: out.cols,
          column: out.column,
          preds: out.preds,
        });
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
      // Any other key may select columns the code does not spell out (`df.groupby('g')[col]` in a loop over names).
      out = derive(out, { cols: undefined, column: out.column, preds: out.preds, groupby: out.groupby });
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

  /**
   * A lookup table the analysis does not know (`np.eye(k)[labels]`, an embedding matrix) indexed by row-aligned data:
   * one row per key row, computed from the key.
   */
  protected override subscriptOf(base: V, keyNodes: PyNode[], keys: V[]): V {
    const v = super.subscriptOf(base, keyNodes, keys);
    const kd = base.k === 'unknown' && keys.length === 1 ? this.asData(keys[0]) : undefined;
    return kd && !kd.scalar && !kd.mask && !kd.index ? derive(kd, { preds: kd.preds }) : v;
  }

  /** `np.c_[a, b]` / `np.r_[a, b]`. */
  protected refSubscript(_base: RefV, keys: V[]): V {
    const ds = keys.map(k => this.asData(k)).filter((d): d is DataV => !!d);
    return ds.length ? mergeData(ds) : UNKNOWN;
  }

  protected objSubscript(base: ObjV): V {
    return base.cat === 'pipeline' ? base : this.scalar(base.taints);
  }

  // ----- data methods

  protected statistic(d: DataV, n: PyNode, what: string, dataNode: PyNode, isScalar: boolean): DataV {
    let taints = d.taints;
    if (mayBeSplitLater(d) && !asOfRows(dataNode, this.loops, this.src)) {
      taints = unionTaints(d.taints, [this.taint('stat', n, what, this.short(dataNode), d)]);
    }
    return isScalar
      ? { k: 'data', part: d.part, roots: d.roots, taints, scalar: true, curve: d.curve }
      : derive(d, { taints });
  }

  protected dataMethod(d: DataV, method: string, n: PyNode, a: CallArgs, av: Args, recvNode: PyNode): V {
    if (d.corrOf && CORR_ORDER_METHODS.test(method)) {
      // `corr['price'].abs().sort_values(ascending=False).head(10)`: the top correlations still include the target.
      const asc = a.keywords.get('ascending');
      const keeps = method !== 'sort_values' || !asc || this.text(asc).trim() === 'False';
      return derive(d, { column: d.column, corrOf: keeps ? d.corrOf : undefined });
    }
    const argTaints = unionTaints(
      ...[...av.pos, ...av.kw.values()].map(v => {
        const x = this.asData(v);
        return x && !x.mask ? x.taints : [];
      }),
    );
    const mode = method === 'idxmax' ? this.modeOfCounts(d, n, 'idxmax()') : undefined;
    if (mode) {
      return mode;
    }
    const inplace = a.keywords.get('inplace');
    const isInplace = !!inplace && this.text(inplace) === 'True';
    if (method === 'value_counts') {
      this.facts.valueCounts.push(n);
    }
    const written = /^to_(csv|parquet|pickle|feather|excel|json)$/.test(method) ? a.positional[0] : undefined;
    const file = written && stringValue(written, this.src);
    if (file) {
      this.savedFiles.set(file, d);
    }
    if (d.colList) {
      const list = this.columnListMethod(d, d.colList, method, n, av, recvNode);
      if (list) {
        return list;
      }
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
    if (d.groupby && (STAT_METHODS.has(method) || /^(transform|apply|rank)$/.test(method))) {
      // (Aggregated per entity: one row each; `transform` puts it back on every row of the entity, test rows too.)
      const entity = d.groupby === 'entity' && method !== 'transform';
      const r = this.statistic(d, n, `groupby(…).${method}()`, recvNode, !/^(transform|rank)$/.test(method));
      const t = r.taints.find(x => x.node === n);
      if (t) {
        Object.assign(t, { groupCol: d.column ?? '', entity });
      }
      return r;
    }
    if (method === 'pivot_table' && !a.keywords.has('index') && a.positional.length < 2) {
      // `df.pivot_table(values='size', columns='type', aggfunc=…)` without a row index: statistics of all rows.
      return this.statistic(d, n, 'pivot_table()', recvNode, true);
    }
    if (method === 'rank' && !isRowwise(a, this.src)) {
      // Each row's rank (or percentile) among all the rows.
      return this.statistic(d, n, 'rank()', recvNode, false);
    }
    if (STAT_METHODS.has(method) && isRowwise(a, this.src, AXIS_FIRST.test(method))) {
      return derive(d, { column: undefined });
    }
    const fv = av.pos[0] ?? av.kw.get('func');
    if (fv?.k === 'func' && !fv.isClass && APPLY_METHODS.test(method)) {
      // A function applied to the columns of a frame (or to the elements / rows, which carry no dataset statistic).
      const perColumn = d.column === undefined && method !== 'map' && method !== 'applymap' && !isRowwise(a, this.src);
      const arg = perColumn ? derive(d, { column: undefined }) : derive(d, { scalar: true, column: undefined });
      const r = this.asData(this.callUser(fv, n, { pos: [arg], kw: new Map() }));
      // Statistics taken inside the function or read from outside it reach the result; per element keeps the columns.
      const cols = method === 'applymap' || (method === 'map' && d.column === undefined) ? d.cols : undefined;
      return derive(d, { taints: unionTaints(d.taints, r?.taints ?? []), column: d.column, cols });
    }
    if (method === 'assign' && d.column === undefined && av.kw.size) {
      // `df.assign(z=lambda f: (f['x'] - f['x'].mean()) / f['x'].std())`: each callable is run with the frame.
      let out = derive(d, { cols: d.cols });
      for (const [name, v] of av.kw) {
        const r = this.asData(v.k === 'func' && !v.isClass ? this.callUser(v, n, { pos: [out], kw: new Map() }) : v);
        if (r) {
          const cols = out.cols && addColumn(out.cols, name, sourceColumns(r), n, false, r.lead);
          out = derive(out, { taints: unionTaints(out.taints, r.taints), cols });
        }
      }
      return out;
    }
    if (fv?.k === 'ref' && APPLY_METHODS.test(method) && d.column === undefined && !isRowwise(a, this.src)) {
      // A library statistic applied to each column (`df.apply(stats.zscore)`, `df.transform(np.mean)`).
      const dot = fv.qn.lastIndexOf('.');
      const fname = fv.qn.slice(dot + 1);
      if (STAT_FUNCTIONS.has(fname) && (STAT_MODULES.test(fv.qn.slice(0, Math.max(dot, 0))) || fname === 'zscore')) {
        return this.statistic(d, n, `${method}(${fname})`, recvNode, false);
      }
    }
    if (STAT_METHODS.has(method)) {
      const out = this.statistic(d, n, `${method}()`, recvNode, true);
      if (method === 'corr' && d.column === undefined && !av.pos.length) {
        return { ...out, corr: true };
      }
      if (method === 'describe' && d.column === undefined && d.cols) {
        // Its columns are the frame's numeric columns (all of them with `include=`).
        return { ...out, cols: { ...d.cols, numeric: !a.keywords.has('include') || d.cols.numeric, node: n } };
      }
      return argTaints.length ? derive(out, { taints: unionTaints(out.taints, argTaints) }) : out;
    }
    if (method === 'insert' && d.column === undefined && av.pos.length >= 3) {
      // `df.insert(0, 'scaled_amount', scaled_amount)`: a column added in place, with what it carries.
      const name = stringValue(a.positional[1], this.src);
      const cols = d.cols && name ? addColumn(d.cols, name, [], n) : undefined;
      this.rebind(recvNode, derive(d, { taints: unionTaints(d.taints, argTaints), cols, column: undefined }));
      return { k: 'lit', value: null };
    }
    if (method === 'groupby') {
      // Grouped by an entity's id (`data.groupby('series_id')`): statistics of one entity's own rows, its features.
      const keys = stringsOf(av.pos[0] ?? av.kw.get('by'));
      return derive(d, { groupby: keys?.length && keys.every(k => /(^|_)id$|Id$|ID$/.test(k)) ? 'entity' : true });
    }
    if (method === 'select_dtypes') {
      const numeric = !!d.cols && d.column === undefined && numericSelection(a, this.src);
      return derive(d, { cols: numeric ? { ...d.cols!, numeric: true, node: n } : undefined });
    }
    if (/^(rolling|expanding|ewm|resample)$/.test(method)) {
      // A trailing window includes the current row: a window over the target is computed from the target.
      return derive(d, { window: true, srcCols: sourceColumns(d) });
    }
    if (method === 'sample' && a.keywords.get('replace') && this.text(a.keywords.get('replace')!) === 'True') {
      return this.doUpsample(n, a, { pos: [d, ...av.pos], kw: av.kw }, 'sample', recvNode);
    }
    if (/^(append|merge|join|combine_first|concat)$/.test(method)) {
      return mergeData([d, ...this.argData(av, true)]);
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
      // A frame whose columns are not known (`pd.merge` of files) minus named columns: every column it has but those.
      const known =
        d.cols ?? (names && !d.scalar && d.column === undefined ? { ...ALL_COLUMNS(n), guessed: true } : undefined);
      const cols = rowsOnly ? d.cols : known && names ? dropColumns(known, names, n) : undefined;
      // Columns dropped by a statistic of all rows (highly correlated ones) carry it.
      const dropped = av.pos[0] ?? av.kw.get('columns');
      const picked = (dropped && this.listTaints.get(dropped)) ?? [];
      const kept = names && method === 'drop' ? selectColumnTaints(d, c => !names.includes(c)) : d;
      const frame = derive(kept, {
        taints: picked.length ? unionTaints(kept.taints, picked) : kept.taints,
        cols,
        column: undefined,
      });
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
    const renamed = method === 'rename' && d.column === undefined && d.cols ? this.renamed(a, av) : undefined;
    const out = derive(d, {
      taints: argTaints.length ? unionTaints(d.taints, argTaints) : d.taints,
      column:
        /^(fillna|replace|clip|astype|map|apply|copy|to_numpy|reshape|ravel|flatten|squeeze|round|abs|interpolate|where|mask|tolist|to_list|values)$/.test(
          method,
        )
          ? d.column
          : undefined,
      preds: d.preds,
      cols: renamed ? renameColumns(d.cols!, renamed, n) : COLUMN_PRESERVING.test(method) ? d.cols : undefined,
      // A lag holds earlier rows' values only; a lead (`shift(-1)`) holds later ones.
      srcCols: method !== 'shift' ? d.srcCols : isLead(a, this.src) ? sourceColumns(d) : undefined,
      lead: method !== 'shift' ? d.lead : isLead(a, this.src) || undefined,
    });
    if (isInplace) {
      this.rebind(recvNode, out);
      return { k: 'lit', value: null };
    }
    return out;
  }

  /** The names of `rename(columns={'old': 'new', …})` (or `mapper=` with `axis=1`/`'columns'`), when all are strings. */
  private renamed(a: CallArgs, av: Args): Map<string, string> | undefined {
    const m = av.kw.get('columns') ?? (isRowwise(a, this.src) ? (av.kw.get('mapper') ?? av.pos[0]) : undefined);
    if (m?.k !== 'dict' || !m.items.length) {
      return undefined;
    }
    const out = new Map<string, string>();
    for (let i = 0; i < m.items.length; i++) {
      const to = litValue(m.items[i]);
      const from = m.keys[i];
      if (typeof from !== 'string' || typeof to !== 'string') {
        return undefined;
      }
      out.set(from, to);
    }
    return out;
  }

  /** Methods of a column-name list: `remove`, `drop`/`difference` (Index), copies; undefined for anything else. */
  private columnListMethod(
    d: DataV,
    list: ColInfo,
    method: string,
    n: PyNode,
    av: Args,
    recvNode: PyNode,
  ): V | undefined {
    if (/^(tolist|to_list|copy|to_numpy)$/.test(method)) {
      return derive(d, { scalar: true, colList: list });
    }
    if (!/^(remove|drop|difference)$/.test(method)) {
      return undefined;
    }
    const names = stringsOf(av.pos[0] ?? av.kw.get('labels'));
    const next = derive(d, { scalar: true, colList: names ? dropColumns(list, names, n) : undefined });
    if (method === 'remove') {
      this.rebind(recvNode, next);
      return { k: 'lit', value: null };
    }
    return next;
  }

  /** A project's own helper from another file, by its name: a statistic, or an oversampler resampling each array. */
  protected namedStep(step: 'oversample' | 'stat', name: string, n: PyNode, a: CallArgs, av: Args): V {
    if (step === 'stat') {
      return this.statistic(this.asData(av.pos[0])!, n, `${name}()`, a.positional[0] ?? n, false);
    }
    this.facts.imbalance.push({ node: n, what: `${name}()` });
    const t = this.taint('oversample', n, `${name}()`, this.short(a.positional[0] ?? n), this.asData(av.pos[0])!);
    const items = av.pos
      .map(p => this.asData(p))
      .map(x => (x ? derive(x, { taints: unionTaints(x.taints, [t]) }) : UNKNOWN));
    return items.length > 1 ? { k: 'tuple', items } : items[0];
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
