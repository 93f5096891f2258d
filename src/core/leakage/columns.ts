/**
 * Column tracking for the target-in-features rule: which named columns a data frame value holds (when that is
 * known exactly), and which columns were computed from which. Only exact knowledge is kept — a frame built by an
 * operation whose columns cannot be read from the code has no column info, and the rule stays quiet on it.
 */
import type { PyNode } from './parser';
import { CallArgs, SourceText, field } from './syntax';
import type { ColInfo, Complete, DataV, Taint, V } from './values';

/** The string values of a literal/constant list, tuple or string (`['a', 'b']`, `TARGET`, `cols`); else undefined. */
export function stringsOf(v: V | undefined): string[] | undefined {
  if (!v) {
    return undefined;
  }
  if (v.k === 'lit') {
    return typeof v.value === 'string' ? [v.value] : undefined;
  }
  if (v.k === 'list' || v.k === 'tuple') {
    const out: string[] = [];
    for (const it of v.items) {
      if (it.k !== 'lit' || typeof it.value !== 'string') {
        return undefined;
      }
      out.push(it.value);
    }
    return out;
  }
  return undefined;
}

/** The columns a value was computed from (`df['a'] * 2` → a). */
export function sourceColumns(d: DataV): string[] {
  return d.srcCols ?? (d.column !== undefined ? [d.column] : []);
}

/** A frame with all the columns it was loaded with. */
export const ALL_COLUMNS = (node: PyNode): ColInfo => ({ drop: [], derived: [], node });
/** No known column yet (`pd.DataFrame()`, filled column by column): the columns added later are all it has. */
export const NO_COLUMNS = (node: PyNode): ColInfo => ({ select: [], drop: [], derived: [], node });

/** `frame[['a', 'b']]`: exactly these columns (their derivations kept). */
export function selectColumns(base: ColInfo | undefined, names: string[], node: PyNode): ColInfo {
  return { select: names, drop: [], derived: base?.derived ?? [], node };
}

/** `{ ...base, select, drop, derived, node }`, every field listed (one object shape, cheaper than a spread). */
export function withColumns(
  base: ColInfo,
  select: ColInfo['select'],
  drop: string[],
  derived: ColInfo['derived'],
  node: PyNode,
): ColInfo {
  const out: Complete<ColInfo> = {
    select,
    drop,
    derived,
    node,
    numeric: base.numeric,
    dummies: base.dummies,
    guessed: base.guessed,
  };
  return out;
}

/** `frame.drop(columns=…)` / `frame.pop(name)` / `del frame[name]`. */
export function dropColumns(base: ColInfo, names: string[], node: PyNode): ColInfo {
  if (base.select) {
    return withColumns(
      base,
      base.select.filter(c => !names.includes(c)),
      base.drop,
      base.derived,
      node,
    );
  }
  return withColumns(base, base.select, [...new Set([...base.drop, ...names])], base.derived, node);
}

/**
 * `frame.rename(columns={'old': 'new'})`: the columns carry their new names, and so do the columns others were
 * computed from. A column the code does not spell out by name keeps whatever it is now called.
 */
export function renameColumns(base: ColInfo, names: ReadonlyMap<string, string>, node: PyNode): ColInfo {
  const to = (c: string) => names.get(c) ?? c;
  const derived = base.derived.map(([c, from, n, lead]): ColInfo['derived'][number] => [to(c), from.map(to), n, lead]);
  if (base.select) {
    return withColumns(base, base.select.map(to), base.drop, derived, node);
  }
  const added = [...names.values()];
  const drop = [...base.drop.filter(c => !added.includes(c)), ...[...names.keys()].filter(c => !added.includes(c))];
  return withColumns(base, base.select, [...new Set(drop)], derived, node);
}

/**
 * `frame[name] = value`: the column now exists and was computed from `from`. A column recomputed from itself
 * (`df[c] = df[c].fillna(0)`), or in place with others from the same frame (`keep`: `df[cols] = scaler.fit_transform(
 * df[cols])`), keeps what it was derived from.
 */
export function addColumn(
  base: ColInfo,
  name: string,
  from: string[],
  node: PyNode,
  keep = false,
  lead = false,
): ColInfo {
  const old = base.derived.find(([c]) => c === name);
  let entry: ColInfo['derived'][number] | undefined = from.length ? [name, from, node, lead || undefined] : undefined;
  if (old && (from.includes(name) || (keep && !from.length))) {
    entry = [name, [...new Set([...from.filter(f => f !== name), ...old[1]])], old[2], lead || old[3]];
  }
  const derived = [...base.derived.filter(([c]) => c !== name), ...(entry ? [entry] : [])];
  const select = base.select && !base.select.includes(name) ? [...base.select, name] : base.select;
  const drop = base.drop.filter(c => c !== name);
  return withColumns(base, select, drop, derived, base.node);
}

/** `frame.select_dtypes(…)` keeping only numeric columns (`include='number'`/ints/floats, `exclude='object'`). */
export function numericSelection(a: CallArgs, src: SourceText): boolean {
  const inc = a.keywords.get('include') ?? a.positional[0];
  const exc = a.keywords.get('exclude') ?? a.positional[1];
  if (inc) {
    const t = src.slice(inc);
    return /number|int|float/.test(t) && !/object|category|str|bool|datetime/.test(t);
  }
  return !!exc && /object|category/.test(src.slice(exc));
}

/** The column names dropped by `drop(...)` call arguments; undefined when they drop rows or cannot be read. */
export function droppedNames(
  a: CallArgs,
  av: { pos: V[]; kw: ReadonlyMap<string, V> },
  src: SourceText,
): string[] | undefined {
  const axis = a.keywords.get('axis') ?? a.positional[1];
  const byAxis = !!axis && /^(1|['"]columns['"])$/.test(src.slice(axis));
  if (av.kw.has('columns')) {
    return stringsOf(av.kw.get('columns'));
  }
  const labels = av.kw.get('labels') ?? av.pos[0];
  return byAxis ? stringsOf(labels) : undefined;
}

export interface TargetInFeatures {
  /** The leaking column of the features, the target column, and the chain between them. */
  column: string;
  target: string;
  via?: string;
  /** Where the column entered (or stayed in) the features. */
  node: PyNode;
}

/** Values of a binary label as get_dummies names its columns (`Churn_Yes`, `default_1`, `diagnosis_M`). */
const DUMMY_VALUE = /^(yes|no|y|n|true|false|1|0|m|b|f|positive|negative|pos|neg|[<>]=?50k)$/i;

/**
 * Whether features `x` hold the target `y` (or a column computed from it); the first such column. `numericTarget`:
 * the target is known to be numeric (a regression target), so `select_dtypes('number')` keeps it.
 */
export function targetInFeatures(x: DataV, y: DataV, numericTarget = false): TargetInFeatures | undefined {
  const info = x.cols;
  if (!info || x.scalar || x.preds || x.column !== undefined || y.preds || (info.numeric && !numericTarget)) {
    return undefined;
  }
  if (!x.roots.some(r => y.roots.includes(r))) {
    return undefined;
  }
  // Columns guessed for a frame whose columns were not known: only a label read from the very same rows shows that
  // the frame has that column (not a label of `train` next to a `train` + `test` concatenation it was dropped from).
  if (info.guessed && (x.roots.length !== y.roots.length || !x.roots.every(r => y.roots.includes(r)))) {
    return undefined;
  }
  const targets = new Set(sourceColumns(y));
  // A target computed from later rows (`y = df['close'].shift(-1)`) is not in the columns it was computed from.
  if (y.column === undefined && (!y.srcCols || y.lead)) {
    return undefined;
  }
  // The target's own derivation (`df['passed'] = df['grade'] >= 10`: grade is as good as the label), unless it reads
  // later rows (`df['target'] = df['close'].shift(-1)`: today's close does not hold tomorrow's).
  for (const t of [...targets]) {
    for (const [c, from, , lead] of info.derived) {
      if (c === t && !lead) {
        from.forEach(f => targets.add(f));
      }
    }
  }
  const present = (c: string) => (info.select ? info.select.includes(c) : !info.drop.includes(c));
  for (const t of targets) {
    if (present(t) && (info.select || t === y.column || (y.column === undefined && y.srcCols?.includes(t)))) {
      return { column: t, target: [...sourceColumns(y)][0] ?? t, node: info.node };
    }
  }
  // `y = df['Churn_Yes']` after `df = pd.get_dummies(df)`: the other dummies of Churn (Churn_No) are still there.
  const dum = info.dummies;
  const m = y.column !== undefined ? /^(.+)_([^_]+)$/.exec(y.column) : null;
  // Without `columns=`, only a label-like value (`_Yes`, `_1`, `_M`…) shows that the target is a dummy column.
  const encoded = m && (dum?.columns ? dum.columns.includes(m[1]) : DUMMY_VALUE.test(m[2]));
  if (dum && !dum.dropFirst && !info.select && m && encoded) {
    const family = info.drop.filter(c => c.startsWith(`${m[1]}_`) && c !== y.column);
    if (!family.length && !info.drop.includes(m[1])) {
      return { column: `${m[1]}_…`, target: y.column!, via: m[1], node: info.node };
    }
  }
  for (const [c, from, node] of info.derived) {
    const hit = from.find(f => targets.has(f));
    if (hit && present(c) && !targets.has(c)) {
      // Reported where the column entered the features: the selection/drop, or an assignment made after it.
      return {
        column: c,
        target: [...sourceColumns(y)][0] ?? hit,
        via: hit,
        node: node.start > info.node.start ? node : info.node,
      };
    }
  }
  return undefined;
}

/**
 * The columns certainly in every one of several frames (a control-flow join of a frame before and after a loop, a
 * merge): a column counts as present only when it is present in all of them, so the rule stays quiet when unsure.
 */
export function commonColumns(infos: (ColInfo | undefined)[]): ColInfo | undefined {
  if (!infos.length || infos.some(c => !c)) {
    return undefined;
  }
  return (infos as ColInfo[]).reduce((a, b) => {
    if (a === b) {
      return a;
    }
    const node = b.node.start > a.node.start ? b.node : a.node;
    const derived = a.derived
      .filter(([c]) => b.derived.some(([d]) => d === c))
      .map(([c, from, n, lead]): ColInfo['derived'][number] => {
        const other = b.derived.find(([d]) => d === c)!;
        return [c, [...new Set([...from, ...other[1]])], n, lead || other[3]];
      });
    const numeric = a.numeric || b.numeric || undefined;
    if (a.select || b.select) {
      const sel = a.select && b.select ? a.select.filter(c => b.select!.includes(c)) : (a.select ?? b.select)!;
      const drop = [...(a.select ? [] : a.drop), ...(b.select ? [] : b.drop)];
      return { select: sel.filter(c => !drop.includes(c)), drop: [], derived, node, numeric };
    }
    return { drop: [...new Set([...a.drop, ...b.drop])], derived, node, numeric };
  });
}

/** What a comprehension's condition keeps of a column name; `excl`: it is exactly "not one of these names". */
export interface NameFilter {
  test: (c: string) => boolean | undefined;
  excl?: string[];
}

/**
 * The condition of `[c for c in df.columns if <cond>]` as a filter on column names, when it only compares `c` with
 * names (`c != 'id'`, `c not in (TARGET, 'id')`, `c.startswith('x_')`, `and`/`or`/`not`); undefined for anything
 * else (`df[c].dtype != 'object'`), so the columns stay unknown and the rule quiet. Its test is undefined for a name
 * it cannot decide (one side of an `and` that is not about names).
 */
export function nameFilter(
  n: PyNode,
  loopVar: string,
  src: SourceText,
  strings: (n: PyNode) => string[] | undefined,
): NameFilter | undefined {
  const isVar = (x: PyNode | undefined) => !!x && x.type === 'identifier' && src.slice(x) === loopVar;
  switch (n.type) {
    case 'parenthesized_expression':
      return n.children.length === 1 ? nameFilter(n.children[0], loopVar, src, strings) : undefined;
    case 'not_operator': {
      const a = n.children.length ? nameFilter(n.children[n.children.length - 1], loopVar, src, strings) : undefined;
      return a && { test: c => not(a.test(c)) };
    }
    case 'boolean_operator': {
      const l = field(n, 'left');
      const r = field(n, 'right');
      const lf = l && nameFilter(l, loopVar, src, strings);
      const rf = r && nameFilter(r, loopVar, src, strings);
      const isOr = !!l && !!r && src.text.slice(l.end, r.start).trim() === 'or';
      if (!isOr && (lf || rf) && !(lf && rf)) {
        // `c != 'id' and df[c].dtype != object`: what one side leaves out, the whole leaves out; the rest is unknown.
        const one = (lf ?? rf)!;
        return { test: c => (one.test(c) === false ? false : undefined) };
      }
      if (!l || !r || !lf || !rf) {
        return undefined;
      }
      if (isOr) {
        return { test: c => or(lf.test(c), rf.test(c)) };
      }
      return {
        test: c => not(or(not(lf.test(c)), not(rf.test(c)))),
        excl: lf.excl && rf.excl && [...lf.excl, ...rf.excl],
      };
    }
    case 'comparison_operator': {
      const [a, b] = n.children;
      if (n.children.length !== 2) {
        return undefined;
      }
      const op = src.text.slice(a.end, b.start).replace(/\s+/g, ' ').trim();
      const other = isVar(a) ? b : isVar(b) && (op === '!=' || op === '==') ? a : undefined;
      const names = other && strings(other);
      if (!names) {
        return undefined;
      }
      if ((op === '!=' || op === '==') && names.length === 1) {
        return op === '!=' ? { test: c => c !== names[0], excl: names } : { test: c => c === names[0] };
      }
      if (op === 'not in' || op === 'in') {
        return op === 'in' ? { test: c => names.includes(c) } : { test: c => !names.includes(c), excl: names };
      }
      return undefined;
    }
    case 'call': {
      const fn = field(n, 'function');
      const obj = fn && fn.type === 'attribute' ? field(fn, 'object') : undefined;
      const attr = fn && fn.type === 'attribute' ? field(fn, 'attribute') : undefined;
      const args = field(n, 'arguments');
      const method = attr && src.slice(attr);
      const arg = args?.children.length === 1 ? strings(args.children[0]) : undefined;
      if (!isVar(obj) || !arg || (method !== 'startswith' && method !== 'endswith')) {
        return undefined;
      }
      return { test: c => arg.some(p => (method === 'startswith' ? c.startsWith(p) : c.endsWith(p))) };
    }
    default:
      return undefined;
  }
}

const not = (b: boolean | undefined) => (b === undefined ? undefined : !b);
const or = (a: boolean | undefined, b: boolean | undefined) =>
  a === true || b === true ? true : a === undefined || b === undefined ? undefined : false;

/** The columns `[c for c in <columns> if <filter>]` keeps: exact, or undefined when that cannot be told. */
export function filterColumns(list: ColInfo, f: NameFilter, node: PyNode): ColInfo | undefined {
  if (list.select) {
    const keep = list.select.map(f.test);
    return keep.includes(undefined) ? undefined : { ...list, select: list.select.filter((_, i) => keep[i]), node };
  }
  return f.excl ? dropColumns(list, f.excl, node) : undefined;
}

/**
 * `frame[column] = v`: the taints `v` brings (and those it carries from columns they were already assigned to) now
 * stand for `column` too; taints of the whole frame stay the whole frame's. Columns the code does not spell out
 * (`df[c + '_freq'] = …`, `X.loc[:, cols] = …`): what `v` brings concerns the whole frame, and the taints of other
 * named columns stay theirs.
 */
export function assignColumnTaints(
  frame: DataV,
  columns: readonly string[] | undefined,
  v: Taint[],
): DataV['colTaints'] {
  const m = new Map(frame.colTaints ?? []);
  if (!columns) {
    v.forEach(t => m.delete(t.id));
    return m.size ? m : undefined;
  }
  for (const t of v) {
    const cols = m.get(t.id);
    if (cols) {
      m.set(t.id, [...new Set([...cols, ...columns])]);
    } else if (!frame.taints.some(x => x.id === t.id)) {
      m.set(t.id, [...columns]);
    }
  }
  return m.size ? m : undefined;
}

/**
 * The columns of a frame that `keep` accepts (a selection, or what a drop keeps): taints of only other columns are
 * left out.
 */
export function selectColumnTaints(d: DataV, keep: (column: string) => boolean): DataV {
  const ct = d.colTaints;
  if (!ct) {
    return d;
  }
  const taints = d.taints.filter(t => {
    const cols = ct.get(t.id);
    return !cols || cols.some(keep);
  });
  return taints.length === d.taints.length ? d : { ...d, taints };
}

/** Whether `name` selects `column` or a column made from it by one-hot encoding (`column_value`). */
export function namesColumn(names: readonly string[], column: string): boolean {
  return names.some(n => n === column || n.startsWith(`${column}_`));
}

/** Column attributions of merged values: a taint any of them holds for the whole frame stays the whole frame's. */
export function mergeColumnTaints(ds: DataV[]): DataV['colTaints'] {
  if (!ds.some(d => d.colTaints)) {
    return undefined;
  }
  const m = new Map<number, string[]>();
  const whole = new Set<number>();
  for (const d of ds) {
    for (const t of d.taints) {
      const cols = d.colTaints?.get(t.id);
      if (!cols) {
        whole.add(t.id);
      } else {
        m.set(t.id, [...new Set([...(m.get(t.id) ?? []), ...cols])]);
      }
    }
  }
  for (const id of whole) {
    m.delete(id);
  }
  return m.size ? m : undefined;
}
