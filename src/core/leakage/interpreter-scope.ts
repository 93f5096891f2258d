/**
 * The scope layer of the abstract interpreter (`interpreter.ts`): frames, the interpreter's state, the hooks its
 * subclasses implement, small utilities, variable lookup and assignment, and binding of assignment targets and
 * call parameters. Statements and control flow are in `interpreter.ts`.
 */
import { assignColumnTaints } from './columns';
import type { PyNode } from './parser';
import { SourceText, field, fields, shortText, stringValue, unparen } from './syntax';
import {
  DataV,
  FrameLike,
  Part,
  SeqV,
  Taint,
  UNKNOWN,
  V,
  derive,
  join,
  mergeData,
  partFromName,
  taintsOf,
  unionTaints,
} from './values';
import type { UnitRecord, UnitRecorder } from './unitcache';

export class Frame implements FrameLike {
  readonly locals = new Map<string, V>();
  readonly globals = new Set<string>();
  readonly returns: V[] = [];
  /** Names changed in place (`df['x'] = …`, `df.fillna(…, inplace=True)`) and names bound anew (`df = …`). */
  readonly mutated = new Set<string>();
  readonly reassigned = new Set<string>();
  /** The parameters bound to positional arguments, in the arguments' order. */
  readonly positional: string[] = [];
  constructor(
    readonly parent: Frame | undefined,
    readonly callSite: PyNode | undefined,
    readonly def: PyNode | undefined,
  ) {}
}

export const MAX_INLINE_DEPTH = 4;
export const MAX_EXPR_DEPTH = 250;

/** Attributes of a pandas frame that are not columns when assigned (`df.columns = […]`). */
const FRAME_ATTRIBUTES =
  /^(columns|index|name|names|values|T|shape|dtypes?|flags|attrs|axes|loc|iloc|at|iat|str|dt|cat)$/;

const CONSTANTS = new Set(['string', 'concatenated_string', 'integer', 'float', 'true', 'false', 'none', 'comment']);

/** An argument that carries no data: a literal constant, possibly signed or passed by keyword. */
function constantArgument(a: PyNode): boolean {
  let v: PyNode | undefined = a.type === 'keyword_argument' ? field(a, 'value') : a;
  if (v?.type === 'unary_operator') {
    v = v.children[v.children.length - 1];
  }
  return !!v && CONSTANTS.has(v.type);
}

export const BUILTINS = new Set([
  'print',
  'len',
  'range',
  'list',
  'tuple',
  'dict',
  'set',
  'zip',
  'enumerate',
  'sorted',
  'reversed',
  'max',
  'min',
  'sum',
  'abs',
  'round',
  'int',
  'float',
  'str',
  'bool',
  'isinstance',
  'type',
  'open',
  'iter',
  'next',
  'map',
  'filter',
  'any',
  'all',
  'super',
  'getattr',
  'setattr',
  'hasattr',
  'format',
  'input',
  'vars',
  'dir',
  'id',
  'hash',
  'repr',
  'display',
  'exec',
  'eval',
  'divmod',
  'pow',
  'frozenset',
  'object',
  'Exception',
  'ValueError',
  'TypeError',
  'KeyError',
  'RuntimeError',
  'NotImplementedError',
  'StopIteration',
  'property',
  'staticmethod',
  'classmethod',
  'callable',
  'globals',
  'locals',
  'slice',
  'bytes',
  'ord',
  'chr',
  'bin',
  'hex',
  'oct',
  'complex',
  'memoryview',
  'issubclass',
  'delattr',
  '__name__',
  '__file__',
  'self',
  'cls',
  'None',
  'True',
  'False',
]);

/** Positional and keyword argument values of a call. */
export interface Args {
  pos: V[];
  /** Read-only (calls without keyword arguments may share one empty map). */
  kw: ReadonlyMap<string, V>;
}

export abstract class Scopes {
  protected readonly global = new Frame(undefined, undefined, undefined);
  protected frame: Frame = this.global;
  /** Call sites of the inlined calls being analysed (outermost first). */
  protected callStack: PyNode[] = [];
  protected activeDefs: PyNode[] = [];
  /** Journals of overwritten variables, one per alternative path being run (see `branches`). */
  protected journals: Map<Frame, Map<string, V | undefined>>[] = [];
  protected loops: { node: PyNode; targets: Set<string> }[] = [];
  /** The `if` branches being run (`<if node id>:<branch index>`), to tell mutually exclusive code apart. */
  protected branchPath: string[] = [];
  protected readonly analyzedDefs = new Set<PyNode>();
  protected readonly allDefs: { def: PyNode; closure: Frame }[] = [];
  protected readonly rootByKey = new Map<string, number>();
  protected readonly seenKeys = new Set<string>();
  protected nextId = 1;
  protected budget: number;
  protected exprDepth = 0;
  /** Set once a dotted name (`self.model`) has been assigned; until then attribute lookups skip the environment. */
  protected dottedBound = false;
  protected stmtDepth = 0;
  /** The unit being recorded (see unitcache.ts), if any. */
  protected rec: UnitRecorder | undefined;
  /** Functions whose unit was re-used in this run; a call to one of them makes the run invalid (`reuseBroken`). */
  protected reusedDefs: Set<PyNode> | undefined;
  reuseBroken = false;
  /** The units recorded or re-used in this run (undefined: no document cache). */
  protected newUnits: Map<PyNode, UnitRecord> | undefined;

  constructor(
    protected readonly src: SourceText,
    statementBudget = 200_000,
  ) {
    this.budget = statementBudget;
  }

  // ----- hooks: what expressions evaluate to (evaluator.ts) and what names mean (dataflow.ts)

  abstract evalExpr(n: PyNode): V;
  /** Arithmetic / combination of two values. */
  protected abstract combine(l: V, r: V, n?: PyNode): V;
  /** A `for` loop over `iter` is about to run (a training loop over a data loader…). */
  protected abstract forLoop(n: PyNode, iter: V): void;
  /** The value of a name bound nowhere in the analysed code (a library name, or data from elsewhere). */
  protected abstract unboundName(name: string): V;
  /** A value assigned to a name, refined by what the name says (`X_test` holds test rows). */
  protected abstract refineByName(name: string, v: V, depth?: number): V;
  /** `frame[key] = v`: the frame after the assignment (its taints already joined). */
  protected abstract setItem(frame: DataV, keyNodes: PyNode[], keys: V[], v: V, target: PyNode): DataV;
  /** `del target`. */
  protected abstract deleteTarget(target: PyNode): void;
  /** The items of a tuple assignment, the held-out parts of a split of a part named as their targets say. */
  protected abstract splitTargetParts(targets: PyNode[], items: V[] | undefined): V[] | undefined;
  /** Called after a tuple target is bound, with the items bound to each target. */
  protected abstract noteSplitTargets(targets: PyNode[], items: V[] | undefined): void;

  // ----- small utilities

  protected text(n: PyNode): string {
    return this.src.slice(n);
  }
  protected short(n: PyNode | undefined): string {
    return n ? shortText(n, this.src) : '?';
  }
  /**
   * Where a finding about `n` is shown: the outermost call that led to it, so the line is in the user's own top-level
   * code. Entry points are skipped, since the line inside them says more: calls that pass in no data (`main()`,
   * `run_experiment('hold_out', 'hu')`: no arguments, or only literal constants: the data is made inside them) and
   * calls in the script's `if __name__ == '__main__':` block (`train(load(path), 'out/')`). With `testUse`, a finding
   * about how the test part is used (fitted on, early stopping on it) stays inside a function written to receive the
   * test part (a parameter named so): what it does with it is its own line's doing, whichever call passes it.
   */
  protected site(n: PyNode, testUse = false): PyNode {
    for (const c of this.callStack) {
      const args = field(c, 'arguments');
      if ((!args || !args.children.every(constantArgument)) && !this.inMainBlock(c)) {
        return testUse && this.takesTestPart(c) ? n : c;
      }
    }
    return n;
  }

  /** Whether a call is in the script's module-level `if __name__ == '__main__':` block. */
  private inMainBlock(c: PyNode): boolean {
    for (let p = c.parent; p; p = p.parent) {
      if (p.type === 'function_definition' || p.type === 'class_definition') {
        return false;
      }
      if (p.type === 'if_statement' && p.parent?.type === 'module') {
        const cond = field(p, 'condition');
        return !!cond && /^__name__\s*==\s*['"]__main__['"]$/.test(this.text(cond));
      }
    }
    return false;
  }

  /**
   * Whether the function called at `c` has a parameter named as the test part (`def train_eval(X_tr, X_te, …)`) or
   * splits off its own test part: what it does with the test part is then its own doing, whatever it is called with.
   */
  private takesTestPart(c: PyNode): boolean {
    let f: Frame | undefined = this.frame;
    while (f && f.callSite !== c) {
      f = f.parent;
    }
    if (f?.def && /\b(train_test_split|random_split)\s*\(/.test(this.text(f.def))) {
      return true;
    }
    const params = f?.def ? field(f.def, 'parameters') : undefined;
    return !!params?.children.some(p => {
      const name = p.type === 'identifier' ? p : field(p, 'name');
      return name?.type === 'identifier' && partFromName(this.text(name)) === 'test';
    });
  }

  protected once(key: string): boolean {
    if (this.seenKeys.has(key)) {
      if (this.rec && !this.rec.seen.has(key)) {
        this.rec.external = true;
      }
      return false;
    }
    this.seenKeys.add(key);
    this.rec?.seen.add(key);
    return true;
  }
  /** Keras `datasets.….load_data()`: `(x_train, y_train), (x_test, y_test)` of one dataset. */
  protected kerasLoadData(n: PyNode): V {
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

  protected ctxKey(n: PyNode): string {
    return this.callStack.length ? `${n.id}@${this.callStack.map(c => c.id).join('.')}` : `${n.id}`;
  }

  protected markDotted(): void {
    this.dottedBound = true;
    if (this.rec) {
      this.rec.dottedSet = true;
    }
  }

  protected rootFor(key: string): number {
    let r = this.rootByKey.get(key);
    if (r === undefined) {
      r = this.nextId++;
      this.rootByKey.set(key, r);
      this.rec?.roots.add(key);
    } else if (this.rec && !this.rec.roots.has(key)) {
      this.rec.external = true;
    }
    return r;
  }

  /** The dataset a name never bound in the code stands for (another cell, a star import): see `unboundName`. */
  protected unboundData(name: string): DataV {
    return this.freshData(`name:${name}`);
  }

  /** Whether `d`'s first root is that of `unboundData(name)` (read without creating it). */
  protected isUnboundData(d: DataV | undefined, name: string): boolean {
    return d?.roots[0] === this.rootByKey.get(`name:${name}`);
  }

  /** Targets that are all plain names, among them a training part and a test or validation part by name. */
  private namedSplit(targets: readonly PyNode[]): boolean {
    if (targets.length < 2 || targets.some(t => t.type !== 'identifier')) {
      return false;
    }
    const parts = targets.map(t => partFromName(this.text(t)));
    return parts.includes('train') && (parts.includes('test') || parts.includes('val'));
  }

  protected freshData(key: string, part: Part = 'unknown'): DataV {
    return { k: 'data', part, roots: [this.rootFor(key)], taints: [] };
  }

  protected scalar(taints: Taint[] = []): DataV {
    return { k: 'data', part: 'unknown', roots: [], taints, scalar: true };
  }

  /** A value used as data: data as is, unions merged, anything else an anonymous unknown dataset. */
  protected asData(v: V | undefined): DataV | undefined {
    if (!v) {
      return undefined;
    }
    if (v.k === 'data') {
      return v;
    }
    if (v.k === 'union' || v.k === 'list' || v.k === 'tuple' || v.k === 'dict') {
      // (the first 64 items of a list, tuple or dict: `df.fillna({'age': df.age.median()})`, `s.map(rank_of)`)
      const items = v.k === 'union' ? v.alts : v.items;
      const n = v.k === 'union' ? items.length : Math.min(items.length, 64);
      let ds: DataV[] | undefined;
      for (let i = 0; i < n; i++) {
        const d = this.asData(items[i]);
        if (d) {
          (ds ??= []).push(d);
        }
      }
      return ds ? mergeData(ds) : undefined;
    }
    return undefined;
  }

  /** The arguments used as data (positional, then keyword), optionally only the row-wise ones (not scalars). */
  protected argData(av: Args, rowwise = false): DataV[] {
    const out: DataV[] = [];
    for (const v of av.pos) {
      const d = this.asData(v);
      if (d && !(rowwise && d.scalar)) {
        out.push(d);
      }
    }
    if (av.kw.size) {
      for (const v of av.kw.values()) {
        const d = this.asData(v);
        if (d && !(rowwise && d.scalar)) {
          out.push(d);
        }
      }
    }
    return out;
  }

  protected dataOrEmpty(v: V | undefined): DataV {
    return this.asData(v) ?? { k: 'data', part: 'unknown', roots: [], taints: taintsOf(v) };
  }

  // ----- names

  protected lookup(name: string): V {
    for (let f: Frame | undefined = this.frame; f; f = f.parent) {
      const v = f.locals.get(name);
      if (v) {
        if (this.rec && f === this.global) {
          this.rec.readGlobal(name, v);
        }
        return v;
      }
    }
    this.rec?.readGlobal(name, undefined);
    // Unbound: a Python builtin, else whatever the analysis says the name is.
    let v: V;
    if (BUILTINS.has(name)) {
      v = { k: 'ref', qn: `builtins.${name}` };
    } else {
      v = this.unboundName(name);
    }
    this.setVar(this.global, name, v);
    return v;
  }

  protected assign(name: string, v: V): void {
    let f = this.frame;
    if (f.globals.has(name)) {
      f = this.global;
    }
    this.setVar(f, name, v);
  }
  /** Writes a variable, recording the previous value in the innermost journal (for branch joins). */
  protected setVar(f: Frame, key: string, v: V): void {
    const j = this.journals[this.journals.length - 1];
    if (j) {
      let m = j.get(f);
      if (!m) {
        m = new Map();
        j.set(f, m);
      }
      if (!m.has(key)) {
        m.set(key, f.locals.get(key));
      }
    }
    f.locals.set(key, v);
  }
  // ----- binding

  /** Binds an assignment/loop target to a value (positional unpacking for tuples). */
  protected bind(target: PyNode, v: V): void {
    target = unparen(target);
    switch (target.type) {
      case 'identifier': {
        const name = this.text(target);
        // only read for the parameters bound to positional arguments (changedArguments): a frame without any, the
        // module's, need not record it
        if (this.frame.positional.length) {
          this.frame.reassigned.add(name);
        }
        this.assign(name, this.refineByName(name, v));
        return;
      }
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'expression_list':
      case 'tuple':
      case 'list': {
        const targets = target.children;
        if (v.k === 'unknown' && this.namedSplit(targets)) {
          // `X_train, X_test, y_train, y_test = self._prepare_data(df)` (a method of an object the analysis cannot
          // follow): the parts hold what their names say, as for a helper's parameters.
          targets.forEach(t => this.bind(t, this.refineByName(this.text(t), this.freshData(`unpack:${target.id}`))));
          return;
        }
        const items = this.splitTargetParts(targets, this.positionalItems(v));
        const starIdx = targets.findIndex(t => t.type === 'list_splat_pattern' || t.type === 'list_splat');
        for (let i = 0; i < targets.length; i++) {
          const t = targets[i];
          let item: V;
          if (items) {
            if (starIdx >= 0 && i === starIdx) {
              item = { k: 'list', items: items.slice(i, items.length - (targets.length - 1 - i)) };
            } else if (starIdx >= 0 && i > starIdx) {
              item = items[items.length - (targets.length - i)] ?? UNKNOWN;
            } else {
              item = items[i] ?? UNKNOWN;
            }
          } else {
            item = this.elementOf(v);
          }
          const inner = t.type === 'list_splat_pattern' || t.type === 'list_splat' ? t.children[0] : t;
          if (inner) {
            this.bind(inner, item);
          }
        }
        this.noteSplitTargets(targets, items);
        return;
      }
      case 'subscript': {
        const base = field(target, 'value');
        const keyNodes = fields(target, 'subscript');
        const keys = keyNodes.map(k => this.evalExpr(k));
        if (!base) {
          return;
        }
        const cur = this.evalExpr(base);
        const rows = cur.k === 'unknown' && base.type === 'identifier' ? this.asData(v) : undefined;
        if (cur.k === 'data') {
          this.setColumn(base, cur, keyNodes, keys, this.columnKeys(keyNodes), v, target);
        } else if (rows && !rows.scalar && rows.roots.length) {
          // An array made empty and filled with rows (`data = np.zeros((n, 100))`; `data[i, :] = raw[i]`): those rows.
          this.rebind(base, derive(rows, { column: undefined, preds: rows.preds, cols: undefined }));
        } else if (cur.k === 'dict') {
          const keyNode = fields(target, 'subscript')[0];
          const key = keyNode ? stringValue(keyNode, this.src) : undefined;
          cur.keys.push(key);
          cur.items.push(v);
        } else if (cur.k === 'list') {
          cur.items.push(v);
        }
        return;
      }
      case 'attribute': {
        const obj = field(target, 'object');
        const attr = field(target, 'attribute');
        const frame = obj && attr && !FRAME_ATTRIBUTES.test(this.text(attr)) ? this.evalExpr(obj) : undefined;
        if (obj && attr && frame?.k === 'data' && !frame.scalar && frame.column === undefined) {
          // `df.fare = df.fare.fillna(…)`: pandas sets the column, as `df['fare'] = …`.
          const name = this.text(attr);
          this.setColumn(obj, frame, [attr], [{ k: 'lit', value: name }], [name], v, target);
          return;
        }
        const key = this.dottedKey(target);
        if (key) {
          this.markDotted();
          this.assign(key, v);
        } else {
          this.evalExpr(field(target, 'object') ?? target);
        }
        return;
      }
      default:
        return;
    }
  }

  /** `frame[key] = v`: the frame rebound with the column set (and what it was computed from). */
  private setColumn(
    base: PyNode,
    cur: DataV,
    keyNodes: PyNode[],
    keys: V[],
    named: string[] | undefined,
    v: V,
    target: PyNode,
  ): void {
    const updated = derive(cur, {
      taints: unionTaints(cur.taints, taintsOf(v)),
      column: cur.column,
      preds: undefined,
      cols: cur.cols,
      colTaints: assignColumnTaints(cur, named, taintsOf(v)),
    });
    this.rebind(base, this.setItem(updated, keyNodes, keys, v, target));
  }

  /**
   * The columns a subscript key names: a string (`df['age']`), or the strings a loop variable runs over
   * (`for col in ['age', 'fare']: df[col] = …`, also through a name bound to such a list).
   */
  protected columnKeys(keyNodes: PyNode[]): string[] | undefined {
    const k = keyNodes.length === 1 ? keyNodes[0] : undefined;
    if (!k) {
      return undefined;
    }
    const s = stringValue(k, this.src);
    if (s !== undefined) {
      return [s];
    }
    if (k.type !== 'identifier') {
      return undefined;
    }
    const name = this.text(k);
    for (let p = k.parent; p; p = p.parent) {
      const left = p.type === 'for_statement' ? field(p, 'left') : undefined;
      const right = left?.type === 'identifier' && this.text(left) === name ? field(p, 'right') : undefined;
      if (right) {
        const list = /^(identifier|list|tuple)$/.test(right.type) ? this.evalExpr(right) : undefined;
        const names = list && (list.k === 'list' || list.k === 'tuple') ? list.items : [];
        const strings = names.map(x => (x.k === 'lit' && typeof x.value === 'string' ? x.value : undefined));
        return strings.length && strings.every(x => x !== undefined) ? strings : undefined;
      }
    }
    return undefined;
  }

  /** Rebinds the variable behind an expression (`df` in `df['a'] = …`, `df.x` in `df.x.fillna(…, inplace=True)`). */
  protected rebind(expr: PyNode, v: DataV): void {
    expr = unparen(expr);
    if (expr.type === 'identifier') {
      this.frame.mutated.add(this.text(expr));
      this.assign(this.text(expr), v);
      return;
    }
    const key = this.dottedKey(expr);
    if (key && this.lookupDotted(key)) {
      this.assign(key, v);
      return;
    }
    // `df['a'].fillna(…, inplace=True)` / `df.loc[...] = …`: the underlying frame changes.
    if (expr.type === 'subscript' || expr.type === 'attribute') {
      const base = field(expr, expr.type === 'subscript' ? 'value' : 'object');
      if (base) {
        const cur = this.evalExpr(base);
        if (cur.k === 'data') {
          const named = expr.type === 'subscript' ? this.columnKeys(fields(expr, 'subscript')) : undefined;
          this.rebind(
            base,
            derive(cur, {
              taints: unionTaints(cur.taints, v.taints),
              column: cur.column,
              cols: cur.cols,
              colTaints: assignColumnTaints(cur, named, v.taints),
            }),
          );
        }
      }
    }
  }

  protected dottedKey(n: PyNode): string | undefined {
    if (n.type !== 'attribute') {
      return undefined;
    }
    const raw = this.src.slice(n);
    if (/^[A-Za-z_][\w.]*$/.test(raw)) {
      return raw;
    }
    const parts: string[] = [];
    let cur: PyNode | undefined = n;
    while (cur && cur.type === 'attribute') {
      const a = field(cur, 'attribute');
      if (!a) {
        return undefined;
      }
      parts.unshift(this.text(a));
      cur = field(cur, 'object');
    }
    if (!cur || cur.type !== 'identifier') {
      return undefined;
    }
    parts.unshift(this.text(cur));
    return parts.join('.');
  }

  protected lookupDotted(key: string): V | undefined {
    if (!this.dottedBound) {
      return undefined;
    }
    for (let f: Frame | undefined = this.frame; f; f = f.parent) {
      const v = f.locals.get(key);
      if (v) {
        if (this.rec && f === this.global) {
          this.rec.readGlobal(key, v);
        }
        return v;
      }
    }
    this.rec?.readGlobal(key, undefined);
    return undefined;
  }

  /** Items by position of a tuple/list, or of a union of them (joined position by position). */
  protected positionalItems(v: V): V[] | undefined {
    if (v.k === 'tuple' || v.k === 'list') {
      return v.items;
    }
    if (v.k !== 'union' || !v.alts.every(a => a.k === 'tuple' || a.k === 'list')) {
      return undefined;
    }
    const seqs = v.alts as SeqV[];
    const len = Math.max(...seqs.map(x => x.items.length));
    const out: V[] = [];
    for (let i = 0; i < len; i++) {
      let j: V | undefined;
      for (const x of seqs) {
        j = join(j, x.items[i]);
      }
      out.push(j ?? UNKNOWN);
    }
    return out;
  }

  /** The value of one element when iterating over / unpacking `v`. */
  protected elementOf(v: V): V {
    switch (v.k) {
      case 'list':
      case 'tuple': {
        let out: V | undefined;
        for (const it of v.items.slice(0, 32)) {
          out = join(out, it);
        }
        return out ?? UNKNOWN;
      }
      case 'dict':
        return { k: 'lit', value: undefined };
      case 'data':
        // One name of a filtered list of column names is one the filter kept.
        return derive(v, { column: undefined, preds: v.preds, colFilter: v.colFilter });
      case 'union': {
        let out: V | undefined;
        for (const a of v.alts) {
          out = join(out, this.elementOf(a));
        }
        return out ?? UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  protected bindParams(def: PyNode, pos: V[], kw: ReadonlyMap<string, V>, unknownArgs: boolean): void {
    const params = field(def, 'parameters');
    if (!params) {
      return;
    }
    let i = 0;
    // Unknown arguments hold what the parameter's name says (`X_train` the training part, `X_test` the test part).
    const fresh = (name: string): V =>
      unknownArgs ? this.refineByName(name, this.freshData(`param:${def.id}:${name}`)) : UNKNOWN;
    for (const p of params.children) {
      let nameNode: PyNode | undefined;
      let dflt: PyNode | undefined;
      let kind: 'normal' | 'star' | 'dstar' = 'normal';
      switch (p.type) {
        case 'identifier':
          nameNode = p;
          break;
        case 'default_parameter':
        case 'typed_default_parameter':
          nameNode = field(p, 'name');
          dflt = field(p, 'value');
          break;
        case 'typed_parameter': {
          const inner = p.children.find(c => c.field !== 'type');
          if (inner?.type === 'identifier') {
            nameNode = inner;
          } else if (inner?.type === 'list_splat_pattern') {
            nameNode = inner.children[0];
            kind = 'star';
          } else if (inner?.type === 'dictionary_splat_pattern') {
            nameNode = inner.children[0];
            kind = 'dstar';
          }
          break;
        }
        case 'list_splat_pattern':
          nameNode = p.children[0];
          kind = 'star';
          break;
        case 'dictionary_splat_pattern':
          nameNode = p.children[0];
          kind = 'dstar';
          break;
        default:
          continue;
      }
      if (!nameNode || nameNode.type !== 'identifier') {
        continue;
      }
      const name = this.text(nameNode);
      let v: V;
      if (kind === 'star') {
        v = { k: 'tuple', items: pos.slice(i) };
        i = pos.length;
      } else if (kind === 'dstar') {
        v = { k: 'dict', keys: [...kw.keys()], items: [...kw.values()] };
      } else if (i < pos.length) {
        v = pos[i++];
        this.frame.positional.push(name);
      } else if (kw.has(name)) {
        v = kw.get(name)!;
      } else if (dflt && !unknownArgs) {
        v = this.evalExpr(dflt);
      } else if (name === 'self' || name === 'cls') {
        v = UNKNOWN;
      } else {
        v = fresh(name);
      }
      this.frame.locals.set(name, v);
    }
  }
}
