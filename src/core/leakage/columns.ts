/**
 * Column tracking for the target-in-features rule: which named columns a data frame value holds (when that is
 * known exactly), and which columns were computed from which. Only exact knowledge is kept — a frame built by an
 * operation whose columns cannot be read from the code has no column info, and the rule stays quiet on it.
 */
import type { PyNode } from './parser';
import type { CallArgs, SourceText } from './syntax';
import type { ColInfo, DataV, V } from './values';

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

/** `frame[['a', 'b']]`: exactly these columns (their derivations kept). */
export function selectColumns(base: ColInfo | undefined, names: string[], node: PyNode): ColInfo {
  return { select: names, drop: [], derived: base?.derived ?? [], node };
}

/** `frame.drop(columns=…)` / `frame.pop(name)` / `del frame[name]`. */
export function dropColumns(base: ColInfo, names: string[], node: PyNode): ColInfo {
  if (base.select) {
    return { ...base, select: base.select.filter(c => !names.includes(c)), node };
  }
  return { ...base, drop: [...new Set([...base.drop, ...names])], node };
}

/**
 * `frame[name] = value`: the column now exists and was computed from `from`. A column recomputed from itself
 * (`df[c] = df[c].fillna(0)`), or in place with others from the same frame (`keep`: `df[cols] = scaler.fit_transform(
 * df[cols])`), keeps what it was derived from.
 */
export function addColumn(base: ColInfo, name: string, from: string[], node: PyNode, keep = false): ColInfo {
  const old = base.derived.find(([c]) => c === name);
  let entry: [string, string[], PyNode] | undefined = from.length ? [name, from, node] : undefined;
  if (old && (from.includes(name) || (keep && !from.length))) {
    entry = [name, [...new Set([...from.filter(f => f !== name), ...old[1]])], old[2]];
  }
  const derived = [...base.derived.filter(([c]) => c !== name), ...(entry ? [entry] : [])];
  const select = base.select && !base.select.includes(name) ? [...base.select, name] : base.select;
  const drop = base.drop.filter(c => c !== name);
  return { ...base, select, drop, derived };
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
export function droppedNames(a: CallArgs, av: { pos: V[]; kw: Map<string, V> }, src: SourceText): string[] | undefined {
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
  const targets = new Set(sourceColumns(y));
  if (y.column === undefined && !y.srcCols) {
    return undefined;
  }
  // The target's own derivation (`df['passed'] = df['grade'] >= 10`: grade is as good as the label).
  for (const t of [...targets]) {
    for (const [c, from] of info.derived) {
      if (c === t) {
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
      .map(([c, from, n]): [string, string[], PyNode] => [
        c,
        [...new Set([...from, ...b.derived.find(([d]) => d === c)![1]])],
        n,
      ]);
    const numeric = a.numeric || b.numeric || undefined;
    if (a.select || b.select) {
      const sel = a.select && b.select ? a.select.filter(c => b.select!.includes(c)) : (a.select ?? b.select)!;
      const drop = [...(a.select ? [] : a.drop), ...(b.select ? [] : b.drop)];
      return { select: sel.filter(c => !drop.includes(c)), drop: [], derived, node, numeric };
    }
    return { drop: [...new Set([...a.drop, ...b.drop])], derived, node, numeric };
  });
}
