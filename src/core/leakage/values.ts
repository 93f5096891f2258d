/**
 * The abstract values of the data-flow analysis (data parts, taints, estimator objects…), the facts it records for
 * the rules, and the small algebra on values (joins, derivation, part inference from names).
 */
import { commonColumns, mergeColumnTaints } from './columns';
import type { Category, ClassInfo, Task } from './knowledge';
import type { PyNode } from './parser';
import type { CallArgs } from './syntax';

export { PART_AFFIX, partFromName } from './partnames';

/** An interpreter frame, opaque here (closures of user functions keep theirs). */
export interface FrameLike {
  readonly locals: Map<string, V>;
}

// ---------------------------------------------------------------------------------------------------------------
// Abstract values

/** Which rows of a dataset a value holds. */
export type Part = 'full' | 'train' | 'test' | 'val' | 'unknown';

/** Something computed from the rows of (possibly) the whole dataset, carried by every value derived from it. */
export interface Taint {
  id: number;
  kind: 'stat' | 'fit' | 'oversample';
  /** The call that computed the statistic, fitted the transformer or resampled. */
  node: PyNode;
  /** Human description: `StandardScaler.fit_transform`, `mean()`, `SMOTE.fit_resample`. */
  what: string;
  /** Source text of the data it was computed on. */
  data: string;
  part: Part;
  /** Call sites through which the taint was created (outermost first) when inside an inlined function. */
  frames: PyNode[];
  /** The first split whose input carried this taint. */
  split?: SplitSite;
  /** Every split whose input carried this taint. */
  splits: Set<SplitSite>;
  /** Datasets of the data it was computed on. */
  roots: number[];
  /** A hyperparameter search's fit (its results carry the rows it saw). */
  search?: boolean;
  /** A fit on the whole training part of a split: it leaks into cross-validation on that part only. */
  cvOnly?: boolean;
  /** Outlier flags learned from the rows: they leak into the rows a mask of them keeps. */
  filter?: boolean;
  /** A statistic of groups (`groupby(key)[col]`): the column it is of ('' if not one column). */
  groupCol?: string;
  /** Grouped by an entity id and aggregated (one row per entity): a leak for the label only. */
  entity?: boolean;
}

export interface SplitOrigin {
  split: SplitSite;
  index: number;
  side: 'train' | 'test';
  /** A split of a part of an earlier split (or of a training file): its held-out side's name says val or test. */
  resplit?: boolean;
}

export interface DataV {
  k: 'data';
  part: Part;
  roots: number[];
  taints: Taint[];
  origin?: SplitOrigin;
  /** A single column selected by name. */
  column?: string;
  /** Predictions of these models. */
  preds?: ObjV[];
  /** A boolean mask (from a comparison); used as an index it selects rows but carries no information. */
  mask?: boolean;
  /** Not row-aligned: a statistic, a score, a shape… */
  scalar?: boolean;
  /** Row positions (from a CV splitter's `split`). */
  index?: boolean;
  /** Grouped rows (`df.groupby(key)`); 'entity' when grouped by an id (each group one sample's own rows). */
  groupby?: boolean | 'entity';
  /** A rolling/expanding/exponential window: its statistics are per row (from neighbouring rows), not dataset-wide. */
  window?: boolean;
  /** The named columns it was computed from, when not just `column` (`df['a'] > 3` → a). */
  srcCols?: string[];
  /** Computed from later rows too (a lead, `shift(-1)`): its source columns do not hold its value. */
  lead?: boolean;
  /** The named columns of a frame, when known exactly. */
  cols?: ColInfo;
  /** A frame built from named columns (`pd.DataFrame({'actual': y_test, 'predicted': pred})`): each column's value. */
  colValues?: ReadonlyMap<string, V>;
  /** A list of column names (`df.columns`, `list(df.columns)` minus removed names): the columns it selects. */
  colList?: ColInfo;
  /**
   * Column names kept by a filter on names (`[c for c in df.columns if c != 'id']`) of a frame whose columns are not
   * known: it says which columns a selection by it leaves out, not which ones it holds.
   */
  colFilter?: (column: string) => boolean;
  /** Predictions cut at a threshold that a loop varies (`proba >= t` in `for t in …`): the loop and its variable. */
  threshold?: Threshold;
  /** Values read off a curve of held-out rows (`roc_curve(y_test, proba)`): the curve call and its rows. */
  curve?: { node: PyNode; data: DataV };
  /**
   * Taints that reached the frame through assignments to named columns (`df['age'] = df['age'].fillna(…)`): taint
   * id → those columns. A selection of other columns leaves them behind; other taints concern the whole frame.
   */
  colTaints?: ReadonlyMap<number, readonly string[]>;
  /** A correlation matrix of the frame's columns (`df.corr()`). */
  corr?: boolean;
  /**
   * Correlations of every column with one column (`df.corr()['price']`, sorted or cut to the top ones): its index
   * holds that column too (its correlation with itself is 1). `node`: where it was selected.
   */
  corrOf?: { column: string; node: PyNode };
}

/**
 * A decision threshold being tuned: varied by a loop (`loop` is the loop), or read off a curve of held-out rows
 * (`loop` is the curve call, `curve` its rows).
 */
export interface Threshold {
  loop: PyNode;
  name: string;
  curve?: DataV;
}

/**
 * The columns of a frame: exactly `select`, or every column it was loaded with except `drop`; `derived` lists
 * columns assigned from other columns (name, source columns, assignment). `node`: where this column set was made.
 */
export interface ColInfo {
  select?: string[];
  drop: string[];
  /** `lead`: the column was computed from later rows too (`df['next'] = df['close'].shift(-1)`). */
  derived: [string, string[], PyNode, boolean?][];
  node: PyNode;
  /** Only the numeric columns of those (`select_dtypes('number')`): a label column is there only if numeric. */
  numeric?: boolean;
  /**
   * One-hot encoded by `pd.get_dummies` (its `columns=` when listed, `dropFirst` with `drop_first=True`): a column
   * `c` became `c_<value>` for each of its values.
   */
  dummies?: { columns?: string[]; dropFirst: boolean };
  /** Not known from where the frame was made: every column it has except `drop` (`pd.merge(…).drop(columns=…)`). */
  guessed?: boolean;
}

export interface ObjV {
  k: 'obj';
  cls: string;
  cat: Category | 'unknown';
  task: Task;
  info?: ClassInfo;
  /** Allocation identity: the constructor call and the call-site context. */
  alloc: string;
  node: PyNode;
  /** What the object learned from (taints of its fit data, plus its own fit when that was on the full data). */
  taints: Taint[];
  fits: FitRecord[];
  /** Pipeline steps / search estimator. */
  steps: ObjV[];
  /** Fitting learns row statistics. */
  source: boolean;
  oversampler: boolean;
  /** A pipeline that contains a sampler (imblearn Pipeline). */
  hasSampler: boolean;
  hasModel: boolean;
  /** Loops active when the object was built, and whether its hyperparameters depend on a loop variable. */
  loops: PyNode[];
  varies: boolean;
  dummy: boolean;
  args?: CallArgs;
  /** Taints of the constructor's arguments from a search's results (best_params_ of a search fitted on all rows). */
  argTaints?: Taint[];
  /** Scored by cross-validation (cross_val_score…). */
  cvScored?: boolean;
  /** statsmodels: the data given to the constructor (`sm.OLS(y, X)`, `smf.logit(formula, data=df)`), fitted by `fit()`. */
  ctorData?: { x: V; y?: V; xNode: PyNode; yNode?: PyNode };
}

export interface FitRecord {
  node: PyNode;
  site: PyNode;
  part: Part;
  roots: number[];
  method: string;
  dataText: string;
  origin?: SplitOrigin;
  /** What the fitted data carried (statistics of all rows reach a model trained on all rows). */
  taints?: Taint[];
}

export interface SeqV {
  k: 'list' | 'tuple';
  items: V[];
}
export interface DictV {
  k: 'dict';
  keys: (string | undefined)[];
  items: V[];
}
export interface RefV {
  k: 'ref';
  qn: string;
  /** `qn` split at its last dot (module, name), when it was built from them (no split of a built string needed). */
  module?: string;
  name?: string;
}
export interface FuncV {
  k: 'func';
  def: PyNode;
  closure: FrameLike;
  isClass: boolean;
}
export interface LitV {
  k: 'lit';
  value: string | number | boolean | null | undefined;
}
export interface UnionV {
  k: 'union';
  alts: V[];
}
export interface UnknownV {
  k: 'unknown';
}

export type V = DataV | ObjV | SeqV | DictV | RefV | FuncV | LitV | UnionV | UnknownV;

export const UNKNOWN: UnknownV = { k: 'unknown' };

// ---------------------------------------------------------------------------------------------------------------
// Facts

export interface SplitSite {
  id: number;
  node: PyNode;
  args: CallArgs;
  /** The positional array arguments. */
  arrayNodes: PyNode[];
  arrays: DataV[];
  shuffle: boolean;
  stratify?: PyNode;
  randomState?: PyNode;
  /**
   * Evidence that array i (or one of its columns; '' = the whole array) is a classification / regression target:
   * array index → column → the call that shows it (a classifier fit, a classification metric…).
   */
  classTargets: Map<number, Map<string, PyNode>>;
  regressionTargets: Map<number, Map<string, PyNode>>;
  /** Names bound to the outputs, by output position (train0, test0, train1, test1…). */
  targetNames: (string | undefined)[];
  frames: PyNode[];
  /** torch's random_split (seeded by torch.manual_seed; a dataset, not a target to stratify). */
  torch?: boolean;
  /** The text of a module-level call with a fixed random_state: written again, it draws the same test rows. */
  sameRowsKey?: string;
}

export interface SplitterSite {
  node: PyNode;
  cls: string;
  info: ClassInfo;
  args: CallArgs;
}

export interface LeakUse {
  taint: Taint;
  /** The model fit / cross-validation call where the tainted data is used (reported as related information). */
  use: PyNode;
  useKind: 'fit' | 'cv' | 'split';
  split?: SplitSite;
  dataText: string;
  /** The search whose `fit` cross-validates on the leaked data (for the Pipeline fix). */
  search?: ObjV;
}

export interface TestFit {
  kind: 'fit' | 'cv' | 'full-then-test' | 'tuned-on-all' | 'carried-over';
  /** For 'tuned-on-all': the search's fit (`GridSearchCV.fit`); for 'carried-over': the loop over the folds. */
  what?: string;
  foldLoop?: PyNode;
  /** Where to report: the call (or the outermost call site when inside an inlined function). */
  site: PyNode;
  call: PyNode;
  obj?: ObjV;
  method: string;
  dataText: string;
  data: DataV;
  /** For 'full-then-test': the evaluation on the test part. */
  evalNode?: PyNode;
  /** The object was fitted on a training part before (so `fit_transform` → `transform` is a valid fix). */
  fittedOnTrainBefore: boolean;
  /** Argument nodes of the call (for the fix that swaps test names for train names). */
  argNodes: PyNode[];
}

export interface Evaluation {
  site: PyNode;
  /** The evaluation itself (inside a helper function when `site` is the helper's call). */
  node: PyNode;
  models: ObjV[];
  data: DataV;
  dataText: string;
  loops: PyNode[];
  /** The `if` branches the evaluation is in (`<if id>:<branch>`): evaluations in different branches of one `if` exclude each other. */
  path: string[];
  /** Scores predictions cut at a threshold the enclosing loop varies (or read off a curve of held-out rows). */
  threshold?: Threshold;
}

/**
 * Held-out rows whose scores are recorded as evaluations: the test part, or a validation part split off by a
 * split (not a cross-validation fold, where scoring every fold is the right way).
 */
export function isHeldOut(d: DataV): boolean {
  return d.part === 'test' || (d.part === 'val' && !!d.origin);
}

/** Whether two evaluations are in different branches of the same `if` (never both run). */
export function exclusive(a: Evaluation, b: Evaluation): boolean {
  return a.path.some(p => {
    const [id, br] = p.split(':');
    return b.path.some(q => q.startsWith(`${id}:`) && q !== `${id}:${br}`);
  });
}

export interface TargetLeak {
  /** Where the column entered (or stayed in) the features. */
  node: PyNode;
  column: string;
  target: string;
  via?: string;
  /** The training call, and the texts of its X and y arguments. */
  fit: PyNode;
  xText: string;
  yText: string;
  obj?: ObjV;
}

/** A model's predictions (or `score`) measured against labels: which model, on which data. */
export interface Scoring {
  site: PyNode;
  model: ObjV;
  data: DataV;
  dataText: string;
}

export interface ModelFit {
  site: PyNode;
  call: PyNode;
  obj: ObjV;
  xNode?: PyNode;
  yNode?: PyNode;
  x?: DataV;
  y?: DataV;
}

export interface AccuracyUse {
  node: PyNode;
  kind: 'function' | 'scoring' | 'keras';
  nameNode: PyNode;
}

export interface Facts {
  splits: SplitSite[];
  splitters: SplitterSite[];
  preLeaks: LeakUse[];
  overLeaks: LeakUse[];
  testFits: TestFit[];
  evaluations: Evaluation[];
  modelFits: ModelFit[];
  accuracy: AccuracyUse[];
  otherMetric: boolean;
  imbalance: { node: PyNode; what: string }[];
  /** Data that reached a metric/score call or cross-validation (there is an evaluation). */
  evaluated: PyNode[];
  /** `value_counts` calls (their printed output in a notebook can show imbalance). */
  valueCounts: PyNode[];
  /** Data used as `validation_data=`/`eval_set=` that is the test part, with early stopping. */
  testAsValidation: {
    site: PyNode;
    dataText: string;
    data: DataV;
    search?: boolean;
    /** The model kept is the one of the best epoch (Keras checkpoint) or boosting iteration (CatBoost). */
    epoch?: boolean | 'iteration';
  }[];
  /** Features that hold the target (or a column computed from it) when a model is trained. */
  targetLeaks: TargetLeak[];
  /** Every scoring of a model's predictions (any data): for evaluation-on-training-data. */
  scorings: Scoring[];
  /** Test and validation parts known by their names or files (`X_test = all_data[n:]`, `read_csv('test.csv')`). */
  heldOut: DataV[];
  /** Statement budget ran out (very large or deeply looping file): some paths were analysed only once. */
  truncated: boolean;
}

export function emptyFacts(): Facts {
  return {
    splits: [],
    splitters: [],
    preLeaks: [],
    overLeaks: [],
    testFits: [],
    evaluations: [],
    modelFits: [],
    accuracy: [],
    otherMetric: false,
    imbalance: [],
    evaluated: [],
    valueCounts: [],
    testAsValidation: [],
    truncated: false,
    targetLeaks: [],
    scorings: [],
    heldOut: [],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers on values

const PART_JOIN_ORDER: Part[] = ['full', 'train', 'test', 'val'];

export function joinParts(parts: Part[]): Part {
  const set = new Set<Part>(parts.filter(p => p !== 'unknown'));
  if (set.size === 0) {
    return 'unknown';
  }
  if (set.size === 1) {
    return [...set][0];
  }
  if (set.has('full') || (set.has('train') && set.has('test'))) {
    return 'full';
  }
  if (set.has('train')) {
    return 'train';
  }
  if (set.has('test')) {
    return 'test';
  }
  return PART_JOIN_ORDER.find(p => set.has(p)) ?? 'unknown';
}

/**
 * Values carry at most this many taints (the earliest ones) and roots, so that long chains of statistics
 * (`v2 = v1.fillna(v1.mean())`, …) stay linear; one taint per leak is enough to report it.
 */
const MAX_TAINTS = 24;
const MAX_ROOTS = 16;

export function unionTaints(...lists: Taint[][]): Taint[] {
  return unionTaintsOf(lists);
}

/** `unionTaints` of a list of lists (no spread of a mapped array into arguments). */
export function unionTaintsOf(lists: readonly Taint[][]): Taint[] {
  let first: Taint[] | undefined;
  let nonEmpty = 0;
  for (let i = 0; i < lists.length; i++) {
    if (lists[i].length) {
      nonEmpty++;
      first ??= lists[i];
    }
  }
  if (nonEmpty === 0) {
    return [];
  }
  if (nonEmpty === 1) {
    return first!;
  }
  // at most MAX_TAINTS kept: a scan of them is cheaper than a Set
  const out: Taint[] = [];
  for (const l of lists) {
    for (const t of l) {
      if (!hasTaint(out, t.id)) {
        out.push(t);
      }
      if (out.length >= MAX_TAINTS) {
        return out;
      }
    }
  }
  return out;
}

function hasTaint(ts: Taint[], id: number): boolean {
  for (let i = 0; i < ts.length; i++) {
    if (ts[i].id === id) {
      return true;
    }
  }
  return false;
}

/** The roots of all the lists, each once, in order of first appearance, at most MAX_ROOTS. */
export function unionRoots(...lists: number[][]): number[] {
  return unionRootsOf(lists);
}

/** `unionRoots` of a list of lists. */
export function unionRootsOf(lists: readonly number[][]): number[] {
  let first: number[] | undefined;
  let nonEmpty = 0;
  for (const l of lists) {
    if (l.length) {
      nonEmpty++;
      first ??= l;
    }
  }
  if (nonEmpty <= 1) {
    return first ?? [];
  }
  const out: number[] = [];
  for (const l of lists) {
    for (const r of l) {
      if (!out.includes(r)) {
        out.push(r);
        if (out.length >= MAX_ROOTS) {
          return out;
        }
      }
    }
  }
  return out;
}

/** An object with every field of `T` present (optional ones maybe undefined): a field added to `T` must be listed. */
export type Complete<T> = { [K in keyof Required<T>]: T[K] };

/** A value computed from `d`: same rows, roots and taints; its column info (`cols`) only when `patch` passes it on. */
export function derive(d: DataV, patch?: Partial<DataV>): DataV {
  // Every field present, in one order: derived values share one shape, and the patch overwrites fields in place.
  const out: Complete<DataV> = {
    k: 'data',
    part: d.part,
    roots: d.roots,
    taints: d.taints,
    origin: d.origin,
    column: undefined,
    preds: d.preds,
    mask: undefined,
    scalar: d.scalar,
    index: undefined,
    groupby: undefined,
    window: undefined,
    srcCols: d.srcCols,
    lead: d.lead,
    cols: undefined,
    colValues: undefined,
    colList: undefined,
    colFilter: undefined,
    threshold: d.threshold,
    curve: d.curve,
    colTaints: d.colTaints,
    corr: undefined,
    corrOf: undefined,
  };
  return patch === undefined ? out : Object.assign(out, patch);
}

/** A copy of `d` (every field, as `{ ...d }` copies them) with other column info. */
export function withCols(d: DataV, cols: DataV['cols']): DataV {
  const out: Complete<DataV> = {
    k: 'data',
    part: d.part,
    roots: d.roots,
    taints: d.taints,
    origin: d.origin,
    column: d.column,
    preds: d.preds,
    mask: d.mask,
    scalar: d.scalar,
    index: d.index,
    groupby: d.groupby,
    window: d.window,
    srcCols: d.srcCols,
    lead: d.lead,
    cols,
    colValues: d.colValues,
    colList: d.colList,
    colFilter: d.colFilter,
    threshold: d.threshold,
    curve: d.curve,
    colTaints: d.colTaints,
    corr: d.corr,
    corrOf: d.corrOf,
  };
  return out;
}

export function mergeData(ds: DataV[]): DataV {
  if (ds.length === 1) {
    return ds[0];
  }
  // one pass over the values for what each field needs (this runs for every join and call of data)
  const n = ds.length;
  let rowwise = 0;
  let anyPreds = false;
  let anySrc = false;
  let allCols = n > 0;
  let anyColTaints = false;
  let anyLead = false;
  const roots: number[][] = new Array(n);
  const taints: Taint[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const d = ds[i];
    if (!d.scalar) {
      rowwise++;
    }
    roots[i] = d.roots;
    taints[i] = d.taints;
    anyPreds ||= !!d.preds;
    anySrc ||= d.column !== undefined || !!d.srcCols;
    allCols &&= !!d.cols && d.column === undefined;
    anyColTaints ||= !!d.colTaints;
    anyLead ||= !!d.lead;
  }
  // the part and the origin are those of the row-wise values (of all values when none is)
  let o0: SplitOrigin | undefined;
  let sameOrigin = true;
  let firstBase = true;
  let part: Part = 'unknown';
  let mixed = false;
  for (let i = 0; i < n; i++) {
    const d = ds[i];
    if (rowwise && d.scalar) {
      continue;
    }
    const o = d.origin;
    if (firstBase) {
      o0 = o;
      firstBase = false;
    }
    if (sameOrigin && !(o && o0 && o.split === o0.split && o.index === o0.index && o.side === o0.side)) {
      sameOrigin = false;
    }
    const p = d.part;
    if (p !== 'unknown' && p !== part) {
      mixed ||= part !== 'unknown';
      part = p;
    }
  }
  return {
    k: 'data',
    // (one known part, or none: that part; several: joined)
    part: mixed ? joinParts(ds.filter(d => !rowwise || !d.scalar).map(d => d.part)) : part,
    roots: unionRootsOf(roots),
    taints: unionTaintsOf(taints),
    origin: sameOrigin ? o0 : undefined,
    scalar: rowwise === 0,
    preds: anyPreds ? ds.flatMap(d => d.preds ?? []) : undefined,
    srcCols: anySrc
      ? [...new Set(ds.flatMap(d => d.srcCols ?? (d.column !== undefined ? [d.column] : [])))]
      : undefined,
    lead: anyLead || undefined,
    cols: allCols ? commonColumns(ds.map(d => d.cols)) : undefined,
    colTaints: anyColTaints ? mergeColumnTaints(ds) : undefined,
  };
}

export function alts(v: V): V[] {
  return v.k === 'union' ? v.alts : [v];
}

/** Joins two values (control-flow merge or a loop over a collection). */
export function join(a: V | undefined, b: V | undefined): V {
  if (!a) {
    return b ?? UNKNOWN;
  }
  if (!b || a === b) {
    return a;
  }
  // the alternatives of both, each once: data values merged into one, unknowns and literals dropped (a literal is
  // the result only when nothing else is left)
  const datas: DataV[] = [];
  const merged: V[] = [];
  let lit: V | undefined;
  const add = (x: V) => {
    if (x.k === 'data') {
      if (!datas.includes(x)) {
        datas.push(x);
      }
    } else if (x.k === 'lit') {
      lit ??= x;
    } else if (x.k !== 'unknown' && !merged.includes(x)) {
      merged.push(x);
    }
  };
  if (a.k === 'union') {
    a.alts.forEach(add);
  } else {
    add(a);
  }
  if (b.k === 'union') {
    b.alts.forEach(add);
  } else {
    add(b);
  }
  if (datas.length) {
    merged.push(mergeData(datas));
  }
  if (merged.length === 0) {
    return lit ?? UNKNOWN;
  }
  if (merged.length === 1) {
    return merged[0];
  }
  return { k: 'union', alts: merged.slice(0, 12) };
}

export function taintsOf(v: V | undefined): Taint[] {
  if (!v) {
    return [];
  }
  switch (v.k) {
    case 'data':
      return v.taints;
    case 'union':
      return unionTaints(...v.alts.map(taintsOf));
    case 'list':
    case 'tuple':
    case 'dict':
      return v.items.length > 64 ? [] : unionTaints(...v.items.map(taintsOf));
    default:
      return [];
  }
}

export function objsOf(v: V | undefined): ObjV[] {
  if (!v) {
    return [];
  }
  if (v.k === 'obj') {
    return [v];
  }
  if (v.k === 'union') {
    return v.alts.flatMap(objsOf);
  }
  return [];
}

/**
 * Whether statistics of `d` may leak: it holds all the rows (full/unknown), or a training set that was not produced
 * by a split here (a `train.csv` that may still be split into train and validation).
 */
export function mayBeSplitLater(d: DataV): boolean {
  if (d.scalar || d.mask || d.index) {
    return false;
  }
  return d.part === 'full' || d.part === 'unknown' || (d.part === 'train' && !d.origin);
}

function rootsMeet(a: number[], b: number[]): boolean {
  return a.some(r => b.includes(r));
}

/**
 * Whether a taint leaks into training data `x`: `x` came out of a split whose input carried the taint or was part of
 * the data the taint was computed on, or `x` is a training set selected by hand from that data.
 */
export function leaksInto(t: Taint, x: DataV): boolean {
  if (x.part !== 'train' || t.cvOnly) {
    return false;
  }
  if (x.origin) {
    const s = x.origin.split;
    if (t.splits.has(s)) {
      return true;
    }
    const input = s.arrays[x.origin.index];
    return (
      !!input &&
      rootsMeet(t.roots, input.roots) &&
      (t.part === 'full' || t.part === 'unknown' || (t.part === 'train' && input.part === 'train'))
    );
  }
  return (t.part === 'full' || t.part === 'unknown') && (t.roots.length === 0 || rootsMeet(t.roots, x.roots));
}

export function litValue(v: V | undefined): LitV['value'] {
  return v && v.k === 'lit' ? v.value : undefined;
}
