/**
 * Data-flow analysis of one Python file (or notebook, cells joined) over the `PyNode` tree.
 *
 * An abstract interpreter walks the statements in order and gives every expression an abstract value (see
 * `values.ts`): data (which part of the dataset it holds — full, train, test, validation — the datasets it derives
 * from, and the "taints" it carries: dataset-wide statistics, transformer fits and oversampling that happened on
 * the full data), estimator objects (what they are, what they were fitted on), tuples/lists/dicts, library
 * references and user functions. It follows assignments, positional tuple unpacking, slicing/indexing,
 * pandas/numpy method chains, concatenation, both branches of `if`, loops (twice, so loop-carried values are seen)
 * and calls to functions defined in the same file (inlined with their arguments, up to a depth). It records facts;
 * `rules.ts` turns them into findings.
 */
import {
  ACCURACY_SCORING, CLASSIFICATION_METRICS, CONCAT_FUNCTIONS, CV_FUNCTIONS, ClassInfo, FIT_METHODS, LOADER_FUNCTIONS,
  NON_ACCURACY_CLASSIFICATION_METRICS, PIPELINE_FUNCTIONS, PREDICT_METHODS, REGRESSION_METRICS, ROWWISE_FUNCTIONS, SCORE_METHODS,
  SPLIT_FUNCTIONS, STAT_FUNCTIONS, STAT_METHODS, STAT_MODULES, TRANSFORM_METHODS, Task, classInfo,
} from './knowledge';
import type { PyNode } from './parser';
import { CallArgs, SourceText, callArgs, field, fields, numberValue, shortText, stringValue, unparen } from './syntax';
import {
  DataV, DictV, Facts, FrameLike, FuncV, LitV, ObjV, Part, SeqV, SplitSite, Taint, UNKNOWN, V, derive, join, leaksInto, litValue,
  mayBeSplitLater, mergeData, objsOf, partFromName, taintsOf, unionTaints,
} from './values';

export * from './values';

// ---------------------------------------------------------------------------------------------------------------
// Interpreter

class Frame implements FrameLike {
  readonly locals = new Map<string, V>();
  readonly globals = new Set<string>();
  readonly returns: V[] = [];
  constructor(readonly parent: Frame | undefined, readonly callSite: PyNode | undefined, readonly def: PyNode | undefined) {}
}

const MAX_INLINE_DEPTH = 4;
const MAX_EXPR_DEPTH = 250;
const MAX_STMT_DEPTH = 120;

const KNOWN_MODULES = new Set(['np', 'numpy', 'pd', 'pandas', 'plt', 'sns', 'tf', 'tensorflow', 'torch', 'keras', 'sklearn',
  'imblearn', 'scipy', 'stats', 'xgb', 'xgboost', 'lgb', 'lightgbm', 'catboost', 'cb', 'math', 'os', 'sys', 'random', 'mlsight',
  'metrics', 'preprocessing', 'model_selection', 'datasets', 'nn', 'F', 'optim', 'sm', 'smf', 'json', 'pickle', 'joblib', 're',
  'time', 'datetime', 'collections', 'itertools', 'functools', 'warnings', 'glob', 'pathlib', 'shutil', 'tqdm', 'wandb', 'mlflow']);
const BUILTINS = new Set(['print', 'len', 'range', 'list', 'tuple', 'dict', 'set', 'zip', 'enumerate', 'sorted', 'reversed',
  'max', 'min', 'sum', 'abs', 'round', 'int', 'float', 'str', 'bool', 'isinstance', 'type', 'open', 'iter', 'next', 'map',
  'filter', 'any', 'all', 'super', 'getattr', 'setattr', 'hasattr', 'format', 'input', 'vars', 'dir', 'id', 'hash', 'repr',
  'display', 'exec', 'eval', 'divmod', 'pow', 'frozenset', 'object', 'Exception', 'ValueError', 'TypeError', 'KeyError',
  'RuntimeError', 'NotImplementedError', 'StopIteration', 'property', 'staticmethod', 'classmethod', 'callable', 'globals',
  'locals', 'slice', 'bytes', 'ord', 'chr', 'bin', 'hex', 'oct', 'complex', 'memoryview', 'issubclass', 'delattr', '__name__',
  '__file__', 'self', 'cls', 'None', 'True', 'False']);
const KNOWN_FUNCTIONS = new Set([...SPLIT_FUNCTIONS, ...CV_FUNCTIONS, ...CLASSIFICATION_METRICS, ...REGRESSION_METRICS,
  ...PIPELINE_FUNCTIONS, 'resample', 'clone', 'compute_class_weight', 'compute_sample_weight', 'shuffle', 'zscore', 'qcut', 'cut',
  'scale', 'minmax_scale', 'robust_scale', 'maxabs_scale', 'quantile_transform', 'power_transform', 'normalize', 'get_dummies',
  'read_csv', 'read_excel', 'read_parquet', 'read_json', 'read_table', 'read_sql', 'read_feather', 'read_pickle',
  'make_classification', 'make_regression', 'make_blobs', 'make_moons', 'make_circles', 'to_categorical', 'pad_sequences']);

const EARLY_STOPPING = /EarlyStopping|early_stopping|ModelCheckpoint|ReduceLROnPlateau/;

export class Analyzer {
  readonly facts: Facts = {
    splits: [], splitters: [], preLeaks: [], overLeaks: [], testFits: [], evaluations: [], modelFits: [], accuracy: [],
    otherMetric: false, imbalance: [], evaluated: [], valueCounts: [], testAsValidation: [], truncated: false,
  };
  private readonly global = new Frame(undefined, undefined, undefined);
  private frame: Frame = this.global;
  /** Call sites of the inlined calls being analysed (outermost first). */
  private callStack: PyNode[] = [];
  private activeDefs: PyNode[] = [];
  /** Journals of overwritten variables, one per alternative path being run (see `branches`). */
  private journals: Map<Frame, Map<string, V | undefined>>[] = [];
  private loops: { node: PyNode; targets: Set<string> }[] = [];
  private readonly analyzedDefs = new Set<PyNode>();
  private readonly allDefs: { def: PyNode; closure: Frame }[] = [];
  private readonly taintByKey = new Map<string, Taint>();
  private readonly splitByNode = new Map<PyNode, SplitSite>();
  private readonly rootByKey = new Map<string, number>();
  private readonly seenKeys = new Set<string>();
  private nextId = 1;
  private budget: number;
  private exprDepth = 0;
  /** Set once a dotted name (`self.model`) has been assigned; until then attribute lookups skip the environment. */
  private dottedBound = false;
  private stmtDepth = 0;

  constructor(private readonly src: SourceText, statementBudget = 200_000) {
    this.budget = statementBudget;
  }

  /** Runs the analysis of a module tree. */
  run(root: PyNode): Facts {
    // A file that does not parse as a whole has an ERROR root: its pieces are analysed like any ERROR region.
    if (root.type === 'ERROR') { this.execStmt(root); } else { this.execBlock(root.children); }
    // Functions never called from the analysed code are analysed once with unknown arguments.
    for (let i = 0; i < this.allDefs.length; i++) {
      const { def, closure } = this.allDefs[i];
      if (this.analyzedDefs.has(def) || this.budget <= 0) { continue; }
      this.analyzedDefs.add(def);
      const saved = this.frame;
      this.frame = new Frame(closure, undefined, def);
      this.bindParams(def, [], new Map(), true);
      this.activeDefs.push(def);
      const body = field(def, 'body');
      if (body) { this.execBlock(body.children); }
      this.activeDefs.pop();
      this.frame = saved;
    }
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

  // ----- small utilities

  private text(n: PyNode): string { return this.src.slice(n); }
  private short(n: PyNode | undefined): string { return n ? shortText(n, this.src) : '?'; }
  private site(n: PyNode): PyNode { return this.callStack.length ? this.callStack[0] : n; }
  private once(key: string): boolean {
    if (this.seenKeys.has(key)) { return false; }
    this.seenKeys.add(key);
    return true;
  }
  private ctxKey(n: PyNode): string { return this.callStack.length ? `${n.id}@${this.callStack.map(c => c.id).join('.')}` : `${n.id}`; }

  private rootFor(key: string): number {
    let r = this.rootByKey.get(key);
    if (r === undefined) { r = this.nextId++; this.rootByKey.set(key, r); }
    return r;
  }

  private freshData(key: string, part: Part = 'unknown'): DataV {
    return { k: 'data', part, roots: [this.rootFor(key)], taints: [] };
  }

  private scalar(taints: Taint[] = []): DataV { return { k: 'data', part: 'unknown', roots: [], taints, scalar: true }; }

  private taint(kind: Taint['kind'], node: PyNode, what: string, data: string, d: DataV): Taint {
    const key = `${kind}:${node.id}`;
    let t = this.taintByKey.get(key);
    if (!t) {
      t = { id: this.nextId++, kind, node, what, data, part: d.part, frames: [...this.callStack], splits: new Set(), roots: d.roots };
      this.taintByKey.set(key, t);
    }
    return t;
  }

  /** A value used as data: data as is, unions merged, anything else an anonymous unknown dataset. */
  private asData(v: V | undefined): DataV | undefined {
    if (!v) { return undefined; }
    if (v.k === 'data') { return v; }
    if (v.k === 'union') {
      const ds = v.alts.map(a => this.asData(a)).filter((d): d is DataV => !!d);
      return ds.length ? mergeData(ds) : undefined;
    }
    if (v.k === 'list' || v.k === 'tuple') {
      const ds = v.items.slice(0, 64).map(a => this.asData(a)).filter((d): d is DataV => !!d);
      return ds.length ? mergeData(ds) : undefined;
    }
    return undefined;
  }

  private dataOrEmpty(v: V | undefined): DataV {
    return this.asData(v) ?? { k: 'data', part: 'unknown', roots: [], taints: taintsOf(v) };
  }

  // ----- names

  private lookup(name: string): V {
    for (let f: Frame | undefined = this.frame; f; f = f.parent) {
      const v = f.locals.get(name);
      if (v) { return v; }
    }
    // Unbound: a known library name, else a dataset defined elsewhere (another cell, a star import).
    let v: V;
    if (BUILTINS.has(name)) { v = { k: 'ref', qn: `builtins.${name}` }; }
    else if (KNOWN_MODULES.has(name) || classInfo(name) || KNOWN_FUNCTIONS.has(name)) { v = { k: 'ref', qn: name }; }
    else if (/^[A-Z][a-z]+([A-Z0-9][a-z0-9]*)*$/.test(name) && !/^[XY]/.test(name)) { v = { k: 'ref', qn: name }; }
    else { v = this.freshData(`name:${name}`); }
    this.setVar(this.global, name, v);
    return v;
  }

  private assign(name: string, v: V): void {
    let f = this.frame;
    if (f.globals.has(name)) { f = this.global; }
    this.setVar(f, name, v);
  }

  // ----- statements

  private execBlock(stmts: PyNode[]): void {
    for (const s of stmts) { this.execStmt(s); }
  }

  private execStmt(n: PyNode): void {
    if (this.stmtDepth > MAX_STMT_DEPTH) { return; }
    this.budget--;
    this.stmtDepth++;
    try {
      this.execStmtInner(n);
    } finally {
      this.stmtDepth--;
    }
  }

  private execStmtInner(n: PyNode): void {
    switch (n.type) {
      case 'expression_statement':
        for (const c of n.children) { this.evalTop(c); }
        return;
      case 'import_statement': case 'import_from_statement': case 'future_import_statement':
        this.execImport(n);
        return;
      case 'if_statement': return this.execIf(n);
      case 'for_statement': return this.execFor(n);
      case 'while_statement': return this.execWhile(n);
      case 'try_statement': return this.execTry(n);
      case 'with_statement': return this.execWith(n);
      case 'match_statement': return this.execMatch(n);
      case 'function_definition': return this.defineFunction(n, false);
      case 'class_definition': return this.defineClass(n);
      case 'decorated_definition': {
        const def = field(n, 'definition');
        for (const d of n.children) { if (d.type === 'decorator') { for (const c of d.children) { this.evalExpr(c); } } }
        if (def) { this.execStmt(def); }
        return;
      }
      case 'return_statement': {
        const v = n.children.length ? this.evalExpr(n.children[0]) : { k: 'lit', value: null } as LitV;
        this.frame.returns.push(v);
        return;
      }
      case 'global_statement': case 'nonlocal_statement':
        for (const c of n.children) { if (c.type === 'identifier') { this.frame.globals.add(this.text(c)); } }
        return;
      case 'block': case 'module': return this.execBlock(n.children);
      case 'ERROR':
        for (const c of n.children) {
          if (/statement|definition|^block$/.test(c.type)) { this.execStmt(c); } else { this.evalTop(c); }
        }
        return;
      case 'pass_statement': case 'break_statement': case 'continue_statement': case 'comment':
        return;
      default:
        // print/assert/raise/delete/exec statements and anything else: evaluate the expressions inside for effects.
        for (const c of n.children) { if (c.type !== 'block') { this.evalTop(c); } else { this.execStmt(c); } }
    }
  }

  /** An expression statement child: an assignment or an expression. */
  private evalTop(c: PyNode): V {
    if (c.type === 'assignment') { return this.execAssign(c); }
    if (c.type === 'augmented_assignment') {
      const left = field(c, 'left');
      const right = field(c, 'right');
      const r = right ? this.evalExpr(right) : UNKNOWN;
      if (!left) { return r; }
      const l = this.evalExpr(left);
      const v = this.combine(l, r);
      this.bind(left, v);
      return v;
    }
    return this.evalExpr(c);
  }

  private execAssign(n: PyNode): V {
    const left = field(n, 'left');
    const right = field(n, 'right');
    let v: V;
    if (!right) { return UNKNOWN; }
    if (right.type === 'assignment') { v = this.execAssign(right); }
    else if (right.type === 'augmented_assignment') { v = this.evalTop(right); }
    else { v = this.evalExpr(right); }
    if (left) { this.bind(left, v); }
    return v;
  }

  private execImport(n: PyNode): void {
    if (n.type === 'import_statement') {
      for (const c of n.children) {
        if (c.type === 'dotted_name') {
          const full = this.text(c).replace(/\s+/g, '');
          this.assign(full.split('.')[0], { k: 'ref', qn: full.split('.')[0] });
        } else if (c.type === 'aliased_import') {
          const name = field(c, 'name');
          const alias = field(c, 'alias');
          if (name && alias) { this.assign(this.text(alias), { k: 'ref', qn: this.text(name).replace(/\s+/g, '') }); }
        }
      }
      return;
    }
    const mod = field(n, 'module_name');
    const modName = mod ? this.text(mod).replace(/\s+/g, '') : '';
    for (const c of n.children) {
      if (c.field !== 'name') { continue; }
      if (c.type === 'dotted_name') {
        const nm = this.text(c);
        this.assign(nm, { k: 'ref', qn: `${modName}.${nm}` });
      } else if (c.type === 'aliased_import') {
        const name = field(c, 'name');
        const alias = field(c, 'alias');
        if (name && alias) { this.assign(this.text(alias), { k: 'ref', qn: `${modName}.${this.text(name)}` }); }
      }
    }
  }

  // ----- control flow: alternative paths are run from the same environment and their effects joined

  /** Writes a variable, recording the previous value in the innermost journal (for branch joins). */
  private setVar(f: Frame, key: string, v: V): void {
    const j = this.journals[this.journals.length - 1];
    if (j) {
      let m = j.get(f);
      if (!m) { m = new Map(); j.set(f, m); }
      if (!m.has(key)) { m.set(key, f.locals.get(key)); }
    }
    f.locals.set(key, v);
  }

  /**
   * Runs alternative paths (if/elif/else branches, except handlers, loop bodies) each from the current environment,
   * then sets every variable they changed to the join of its values at the end of each path — plus its value
   * before them when `fallthrough` (an `if` without `else`, a loop that may run zero times). Only changed variables
   * are touched, so the cost does not depend on the size of the environment.
   */
  private branches(runs: (() => void)[], fallthrough: boolean): void {
    const touched = new Map<Frame, Map<string, V | undefined>>();
    const results: Map<Frame, Map<string, V | undefined>>[] = [];
    for (const run of runs) {
      this.journals.push(new Map());
      try { run(); } finally {
        const j = this.journals.pop()!;
        const after = new Map<Frame, Map<string, V | undefined>>();
        for (const [f, olds] of j) {
          const a = new Map<string, V | undefined>();
          after.set(f, a);
          let t = touched.get(f);
          if (!t) { t = new Map(); touched.set(f, t); }
          for (const [k, old] of olds) {
            a.set(k, f.locals.get(k));
            if (!t.has(k)) { t.set(k, old); }
            if (old === undefined) { f.locals.delete(k); } else { f.locals.set(k, old); }
          }
        }
        results.push(after);
      }
    }
    for (const [f, olds] of touched) {
      for (const [k, old] of olds) {
        let v: V | undefined = fallthrough ? old : undefined;
        for (const r of results) {
          const m = r.get(f);
          const nv = m && m.has(k) ? m.get(k) : old;
          if (nv !== undefined) { v = v === undefined ? nv : join(v, nv); }
        }
        if (v !== undefined) { this.setVar(f, k, v); }
      }
    }
  }

  /** Runs code whose bindings must not outlive it (comprehension variables). */
  private isolated<T>(run: () => T): T {
    this.journals.push(new Map());
    try { return run(); } finally {
      const j = this.journals.pop()!;
      for (const [f, olds] of j) {
        for (const [k, old] of olds) { if (old === undefined) { f.locals.delete(k); } else { f.locals.set(k, old); } }
      }
    }
  }

  private execIf(n: PyNode): void {
    const cond = field(n, 'condition');
    if (cond) { this.evalExpr(cond); }
    const runs: (() => void)[] = [];
    const cons = field(n, 'consequence');
    runs.push(() => { if (cons) { this.execStmt(cons); } });
    let hasElse = false;
    for (const alt of fields(n, 'alternative')) {
      if (alt.type === 'elif_clause') {
        runs.push(() => {
          const c = field(alt, 'condition');
          if (c) { this.evalExpr(c); }
          const b = field(alt, 'consequence');
          if (b) { this.execStmt(b); }
        });
      } else {
        hasElse = true;
        runs.push(() => { const b = field(alt, 'body'); if (b) { this.execStmt(b); } });
      }
    }
    this.branches(runs, !hasElse);
  }

  private loopTargets(target: PyNode | undefined): Set<string> {
    const out = new Set<string>();
    const visit = (t: PyNode) => {
      if (t.type === 'identifier') { out.add(this.text(t)); }
      for (const c of t.children) { visit(c); }
    };
    if (target) { visit(target); }
    return out;
  }

  /** A loop body, run twice (so values carried from one iteration to the next are seen) unless deeply nested. */
  private loop(n: PyNode, targets: Set<string>, body: () => void): void {
    this.loops.push({ node: n, targets });
    try {
      const passes = this.budget > 0 && this.loops.length <= 3 ? 2 : 1;
      for (let i = 0; i < passes; i++) { this.branches([body], true); }
    } finally {
      this.loops.pop();
    }
  }

  private execFor(n: PyNode): void {
    const left = field(n, 'left');
    const right = field(n, 'right');
    const iter = right ? this.evalExpr(right) : UNKNOWN;
    const elem = this.elementOf(iter);
    const body = field(n, 'body');
    this.loop(n, this.loopTargets(left), () => {
      if (left) { this.bind(left, elem); }
      if (body) { this.execStmt(body); }
    });
    const alt = field(n, 'alternative');
    const altBody = alt && field(alt, 'body');
    if (altBody) { this.execStmt(altBody); }
  }

  private execWhile(n: PyNode): void {
    const cond = field(n, 'condition');
    const body = field(n, 'body');
    this.loop(n, new Set(), () => {
      if (cond) { this.evalExpr(cond); }
      if (body) { this.execStmt(body); }
    });
  }

  private execTry(n: PyNode): void {
    const body = field(n, 'body');
    if (body) { this.execStmt(body); }
    const handlers: (() => void)[] = [];
    for (const c of n.children) {
      if (c.type === 'except_clause' || c.type === 'except_group_clause') {
        handlers.push(() => {
          for (const x of c.children) {
            if (x.type === 'block') { this.execStmt(x); }
            else if (x.field === 'alias') { this.bind(x, UNKNOWN); }
            else { this.evalExpr(x); }
          }
        });
      }
    }
    if (handlers.length) { this.branches(handlers, true); }
    for (const c of n.children) {
      if (c.type === 'else_clause') { const b = field(c, 'body'); if (b) { this.execStmt(b); } }
      if (c.type === 'finally_clause') { for (const b of c.children) { this.execStmt(b); } }
    }
  }

  private execWith(n: PyNode): void {
    for (const c of n.children) {
      if (c.type === 'with_clause') {
        for (const item of c.children) {
          const value = field(item, 'value');
          if (!value) { continue; }
          if (value.type === 'as_pattern') {
            const expr = value.children.find(x => x.field !== 'alias');
            const v = expr ? this.evalExpr(expr) : UNKNOWN;
            const alias = field(value, 'alias');
            const target = alias?.children[0];
            if (target) { this.bind(target, v.k === 'obj' ? v : UNKNOWN); }
          } else {
            this.evalExpr(value);
          }
        }
      } else if (c.type === 'block') {
        this.execStmt(c);
      }
    }
  }

  private execMatch(n: PyNode): void {
    const subject = field(n, 'subject');
    if (subject) { this.evalExpr(subject); }
    const runs: (() => void)[] = [];
    for (const b of fields(n, 'body')) {
      for (const cc of b.children) {
        if (cc.type !== 'case_clause') { continue; }
        runs.push(() => { const cons = field(cc, 'consequence'); if (cons) { this.execStmt(cons); } });
      }
    }
    if (runs.length) { this.branches(runs, true); }
  }

  private defineFunction(n: PyNode, isClass: boolean): void {
    const name = field(n, 'name');
    const fv: FuncV = { k: 'func', def: n, closure: this.frame, isClass };
    if (!isClass) { this.allDefs.push({ def: n, closure: this.frame }); }
    if (name) { this.assign(this.text(name), fv); }
  }

  private defineClass(n: PyNode): void {
    const sup = field(n, 'superclasses');
    if (sup) { for (const c of sup.children) { if (c.type !== 'keyword_argument') { this.evalExpr(c); } } }
    this.defineFunction(n, true);
    // Methods are analysed later as uncalled functions (with unknown arguments).
    const body = field(n, 'body');
    const saved = this.frame;
    this.frame = new Frame(saved, undefined, n);
    if (body) {
      for (const s of body.children) {
        const def = s.type === 'decorated_definition' ? field(s, 'definition') : s;
        if (def?.type === 'function_definition') { this.allDefs.push({ def, closure: saved }); }
        else if (def?.type === 'class_definition') { this.defineClass(def); }
      }
    }
    this.frame = saved;
  }

  // ----- binding

  /** Binds an assignment/loop target to a value (positional unpacking for tuples). */
  private bind(target: PyNode, v: V): void {
    target = unparen(target);
    switch (target.type) {
      case 'identifier': {
        const name = this.text(target);
        this.assign(name, this.refineByName(name, v));
        return;
      }
      case 'pattern_list': case 'tuple_pattern': case 'list_pattern': case 'expression_list': case 'tuple': case 'list': {
        const targets = target.children;
        const items = this.positionalItems(v);
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
          if (inner) { this.bind(inner, item); }
        }
        this.noteSplitTargets(targets, items);
        return;
      }
      case 'subscript': {
        const base = field(target, 'value');
        for (const k of fields(target, 'subscript')) { this.evalExpr(k); }
        if (!base) { return; }
        const cur = this.evalExpr(base);
        if (cur.k === 'data') {
          const updated = derive(cur, { taints: unionTaints(cur.taints, taintsOf(v)), column: cur.column, preds: undefined });
          this.rebind(base, updated);
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
        const key = this.dottedKey(target);
        if (key) { this.dottedBound = true; this.assign(key, v); } else { this.evalExpr(field(target, 'object') ?? target); }
        return;
      }
      default:
        return;
    }
  }

  /** Rebinds the variable behind an expression (`df` in `df['a'] = …`, `df.x` in `df.x.fillna(…, inplace=True)`). */
  private rebind(expr: PyNode, v: DataV): void {
    expr = unparen(expr);
    if (expr.type === 'identifier') { this.assign(this.text(expr), v); return; }
    const key = this.dottedKey(expr);
    if (key && this.lookupDotted(key)) { this.assign(key, v); return; }
    // `df['a'].fillna(…, inplace=True)` / `df.loc[...] = …`: the underlying frame changes.
    if (expr.type === 'subscript' || expr.type === 'attribute') {
      const base = field(expr, expr.type === 'subscript' ? 'value' : 'object');
      if (base) {
        const cur = this.evalExpr(base);
        if (cur.k === 'data') { this.rebind(base, derive(cur, { taints: unionTaints(cur.taints, v.taints), column: cur.column })); }
      }
    }
  }

  private dottedKey(n: PyNode): string | undefined {
    if (n.type !== 'attribute') { return undefined; }
    const raw = this.src.slice(n);
    if (/^[A-Za-z_][\w.]*$/.test(raw)) { return raw; }
    const parts: string[] = [];
    let cur: PyNode | undefined = n;
    while (cur && cur.type === 'attribute') {
      const a = field(cur, 'attribute');
      if (!a) { return undefined; }
      parts.unshift(this.text(a));
      cur = field(cur, 'object');
    }
    if (!cur || cur.type !== 'identifier') { return undefined; }
    parts.unshift(this.text(cur));
    return parts.join('.');
  }

  private lookupDotted(key: string): V | undefined {
    if (!this.dottedBound) { return undefined; }
    for (let f: Frame | undefined = this.frame; f; f = f.parent) {
      const v = f.locals.get(key);
      if (v) { return v; }
    }
    return undefined;
  }

  private refineByName(name: string, v: V): V {
    if (v.k !== 'data' || v.scalar || v.mask || v.index || (v.part !== 'full' && v.part !== 'unknown')) { return v; }
    const p = partFromName(name);
    return p ? derive(v, { part: p, column: v.column, preds: v.preds }) : v;
  }

  /** Remembers the names bound to a split's outputs (for messages and fixes). */
  private noteSplitTargets(targets: PyNode[], items: V[] | undefined): void {
    if (!items) { return; }
    targets.forEach((t, i) => {
      const item = items[i];
      if (t.type === 'identifier' && item?.k === 'data' && item.origin) {
        const o = item.origin;
        o.split.targetNames[o.index * 2 + (o.side === 'test' ? 1 : 0)] = this.text(t);
      }
    });
  }

  /** Items by position of a tuple/list, or of a union of them (joined position by position). */
  private positionalItems(v: V): V[] | undefined {
    if (v.k === 'tuple' || v.k === 'list') { return v.items; }
    if (v.k !== 'union' || !v.alts.every(a => a.k === 'tuple' || a.k === 'list')) { return undefined; }
    const seqs = v.alts as SeqV[];
    const len = Math.max(...seqs.map(x => x.items.length));
    const out: V[] = [];
    for (let i = 0; i < len; i++) {
      let j: V | undefined;
      for (const x of seqs) { j = join(j, x.items[i]); }
      out.push(j ?? UNKNOWN);
    }
    return out;
  }

  /** The value of one element when iterating over / unpacking `v`. */
  private elementOf(v: V): V {
    switch (v.k) {
      case 'list': case 'tuple': {
        let out: V | undefined;
        for (const it of v.items.slice(0, 32)) { out = join(out, it); }
        return out ?? UNKNOWN;
      }
      case 'dict': return { k: 'lit', value: undefined };
      case 'data': return derive(v, { column: undefined, preds: v.preds });
      case 'union': {
        let out: V | undefined;
        for (const a of v.alts) { out = join(out, this.elementOf(a)); }
        return out ?? UNKNOWN;
      }
      default: return UNKNOWN;
    }
  }

  // ----- expressions

  evalExpr(n: PyNode): V {
    if (this.exprDepth > MAX_EXPR_DEPTH) { return UNKNOWN; }
    this.exprDepth++;
    try {
      return this.evalInner(n);
    } finally {
      this.exprDepth--;
    }
  }

  private evalInner(n: PyNode): V {
    switch (n.type) {
      case 'identifier': return this.lookup(this.text(n));
      case 'attribute': return this.evalAttribute(n);
      case 'subscript': return this.evalSubscript(n);
      case 'call': return this.evalCall(n);
      case 'string': case 'concatenated_string': {
        this.evalInterpolations(n);
        const s = stringValue(n, this.src);
        return { k: 'lit', value: s };
      }
      case 'integer': case 'float': return { k: 'lit', value: numberValue(n, this.src) };
      case 'true': return { k: 'lit', value: true };
      case 'false': return { k: 'lit', value: false };
      case 'none': return { k: 'lit', value: null };
      case 'parenthesized_expression': return n.children.length ? this.evalExpr(n.children[n.children.length - 1]) : UNKNOWN;
      case 'list': case 'tuple': case 'set': case 'expression_list': case 'pattern_list': {
        const items: V[] = [];
        for (const c of n.children) {
          if (c.type === 'list_splat' || c.type === 'list_splat_pattern') {
            const inner = c.children[0] ? this.evalExpr(c.children[0]) : UNKNOWN;
            if (inner.k === 'list' || inner.k === 'tuple') { items.push(...inner.items); } else { items.push(this.elementOf(inner)); }
          } else {
            items.push(this.evalExpr(c));
          }
        }
        return { k: n.type === 'list' ? 'list' : 'tuple', items };
      }
      case 'dictionary': {
        const d: DictV = { k: 'dict', keys: [], items: [] };
        for (const c of n.children) {
          if (c.type === 'pair') {
            const key = field(c, 'key');
            const value = field(c, 'value');
            d.keys.push(key ? stringValue(key, this.src) : undefined);
            if (key && key.type !== 'string') { this.evalExpr(key); }
            d.items.push(value ? this.evalExpr(value) : UNKNOWN);
          } else if (c.children[0]) {
            this.evalExpr(c.children[0]);
          }
        }
        return d;
      }
      case 'binary_operator': {
        const l = field(n, 'left');
        const r = field(n, 'right');
        return this.combine(l ? this.evalExpr(l) : UNKNOWN, r ? this.evalExpr(r) : UNKNOWN);
      }
      case 'boolean_operator': {
        const l = field(n, 'left');
        const r = field(n, 'right');
        const lv = l ? this.evalExpr(l) : UNKNOWN;
        const rv = r ? this.evalExpr(r) : UNKNOWN;
        return join(lv, rv);
      }
      case 'unary_operator': case 'not_operator': case 'await': {
        const arg = n.children[n.children.length - 1];
        const v = arg ? this.evalExpr(arg) : UNKNOWN;
        return n.type === 'not_operator' && v.k === 'data' ? derive(v, { mask: true }) : v;
      }
      case 'comparison_operator': {
        const vs = n.children.map(c => this.evalExpr(c));
        const ds = vs.map(v => this.asData(v)).filter((d): d is DataV => !!d);
        if (!ds.length) { return { k: 'lit', value: undefined }; }
        // `pred != y_test` (an error rate by hand) evaluates the models behind the predictions on the test part.
        const preds = ds.filter(d => d.preds?.length);
        const ti = vs.findIndex(v => v.k === 'data' && !v.preds?.length && v.part === 'test' && !v.scalar);
        if (preds.length && ti >= 0) {
          const models = [...new Set(preds.flatMap(d => d.preds!))];
          this.facts.evaluated.push(n);
          this.facts.evaluations.push({ site: this.site(n), models, data: vs[ti] as DataV, dataText: this.short(n.children[ti]), loops: this.loops.map(l => l.node) });
        }
        return derive(mergeData(ds), { mask: true });
      }
      case 'conditional_expression': {
        const vs = n.children.map(c => this.evalExpr(c));
        return join(vs[0], vs[2]);
      }
      case 'named_expression': {
        const name = field(n, 'name');
        const value = field(n, 'value');
        const v = value ? this.evalExpr(value) : UNKNOWN;
        if (name) { this.bind(name, v); }
        return v;
      }
      case 'list_comprehension': case 'set_comprehension': case 'generator_expression': case 'dictionary_comprehension':
        return this.evalComprehension(n);
      case 'lambda': return UNKNOWN;
      case 'keyword_argument': { const v = field(n, 'value'); return v ? this.evalExpr(v) : UNKNOWN; }
      case 'list_splat': case 'dictionary_splat': return n.children[0] ? this.evalExpr(n.children[0]) : UNKNOWN;
      case 'assignment': return this.execAssign(n);
      case 'augmented_assignment': return this.evalTop(n);
      default:
        for (const c of n.children) { this.evalExpr(c); }
        return UNKNOWN;
    }
  }

  private evalInterpolations(n: PyNode): void {
    for (const c of n.children) {
      if (c.type === 'interpolation') { const e = field(c, 'expression'); if (e) { this.evalExpr(e); } }
      else if (c.type === 'string') { this.evalInterpolations(c); }
    }
  }

  /** Arithmetic / combination of two values. */
  private combine(l: V, r: V): V {
    const ld = this.asData(l);
    const rd = this.asData(r);
    if (!ld && !rd) {
      if (l.k === 'list' && r.k === 'list') { return { k: 'list', items: [...l.items, ...r.items] }; }
      return l.k === 'lit' ? l : r.k === 'lit' ? r : UNKNOWN;
    }
    if (ld && rd) {
      const m = mergeData([ld, rd]);
      return derive(m, { preds: m.preds, column: ld.column });
    }
    const d = (ld ?? rd)!;
    return derive(d, { column: d.column, preds: d.preds });
  }

  private evalComprehension(n: PyNode): V {
    return this.isolated(() => {
      for (const c of n.children) {
        if (c.type === 'for_in_clause') {
          const right = field(c, 'right');
          const left = field(c, 'left');
          const iter = right ? this.evalExpr(right) : UNKNOWN;
          if (left) { this.bind(left, this.elementOf(iter)); }
        } else if (c.type === 'if_clause') {
          for (const x of c.children) { this.evalExpr(x); }
        }
      }
      const body = field(n, 'body');
      let elem: V = UNKNOWN;
      if (body) {
        if (body.type === 'pair') {
          const k = field(body, 'key');
          const v = field(body, 'value');
          if (k) { this.evalExpr(k); }
          elem = v ? this.evalExpr(v) : UNKNOWN;
        } else {
          elem = this.evalExpr(body);
        }
      }
      if (n.type === 'dictionary_comprehension') { return { k: 'dict', keys: [undefined], items: [elem] } as V; }
      return { k: 'list', items: [elem] } as V;
    });
  }

  private evalAttribute(n: PyNode): V {
    const key = this.dottedBound ? this.dottedKey(n) : undefined;
    if (key) {
      const bound = this.lookupDotted(key);
      if (bound) { return bound; }
    }
    const objNode = field(n, 'object');
    const attrNode = field(n, 'attribute');
    if (!objNode || !attrNode) { return UNKNOWN; }
    const base = this.evalExpr(objNode);
    return this.attributeOf(base, this.text(attrNode));
  }

  private attributeOf(base: V, attr: string): V {
    switch (base.k) {
      case 'ref': return { k: 'ref', qn: `${base.qn}.${attr}` };
      case 'data':
        if (/^(shape|size|ndim|dtypes?|name|nbytes)$/.test(attr)) { return { k: 'lit', value: undefined }; }
        if (attr === 'columns' || attr === 'index' || attr === 'classes_') { return derive(base, { scalar: true }); }
        if (attr === 'target' || attr === 'target_names') { return derive(base, { column: 'target' }); }
        return derive(base, { column: /^(iloc|loc|at|iat|str|dt|cat|values|array)$/.test(attr) ? base.column : undefined, preds: base.preds, mask: base.mask, index: base.index, groupby: base.groupby });
      case 'obj': {
        if (/^(best_estimator_|named_steps|steps|estimator|estimators_|best_estimator|model|module)$/.test(attr)) { return base; }
        const last = base.fits[base.fits.length - 1];
        if (/^(labels_|embedding_)$/.test(attr) && last) {
          return { k: 'data', part: last.part, roots: last.roots, taints: base.taints };
        }
        return this.scalar(base.taints);
      }
      case 'union': {
        let out: V | undefined;
        for (const a of base.alts) { out = join(out, this.attributeOf(a, attr)); }
        return out ?? UNKNOWN;
      }
      default: return UNKNOWN;
    }
  }

  private evalSubscript(n: PyNode): V {
    const baseNode = field(n, 'value');
    const keyNodes = fields(n, 'subscript');
    const base = baseNode ? this.evalExpr(baseNode) : UNKNOWN;
    const keys = keyNodes.map(k => this.evalExpr(k));
    return this.subscriptOf(base, keyNodes, keys);
  }

  private subscriptOf(base: V, keyNodes: PyNode[], keys: V[]): V {
    const k0 = keyNodes[0];
    switch (base.k) {
      case 'list': case 'tuple': {
        if (keyNodes.length === 1 && k0) {
          const i = numberValue(k0, this.src);
          if (i !== undefined && Number.isInteger(i)) { return base.items[i < 0 ? base.items.length + i : i] ?? UNKNOWN; }
          if (k0.type === 'slice') { return base; }
        }
        return this.elementOf(base);
      }
      case 'dict': {
        const key = k0 ? stringValue(k0, this.src) : undefined;
        if (key !== undefined) {
          for (let i = base.keys.length - 1; i >= 0; i--) { if (base.keys[i] === key) { return base.items[i]; } }
        }
        let out: V | undefined;
        for (const it of base.items) { out = join(out, it); }
        return out ?? UNKNOWN;
      }
      case 'data': {
        let out = derive(base, { preds: base.preds, mask: base.mask, groupby: base.groupby });
        keyNodes.forEach((kn, i) => {
          const kv = keys[i];
          const s = stringValue(kn, this.src);
          if (s !== undefined) { out = derive(out, { column: s, preds: out.preds, groupby: out.groupby }); return; }
          if (kn.type === 'slice') { return; }
          const kd = this.asData(kv);
          if (!kd || kd.mask) { return; }
          if (kd.index || ((kd.part === 'train' || kd.part === 'test' || kd.part === 'val') && !kd.scalar)) {
            out = derive(out, { part: kd.part, origin: kd.origin ?? out.origin, column: out.column, preds: out.preds });
            return;
          }
          if (kd.taints.length) { out = derive(out, { taints: unionTaints(out.taints, kd.taints), column: out.column, preds: out.preds }); }
        });
        return out;
      }
      case 'ref': {
        // np.c_[a, b] / np.r_[a, b]
        const ds = keys.map(k => this.asData(k)).filter((d): d is DataV => !!d);
        return ds.length ? mergeData(ds) : UNKNOWN;
      }
      case 'obj': return base.cat === 'pipeline' ? base : this.scalar(base.taints);
      case 'union': {
        let out: V | undefined;
        for (const a of base.alts) { out = join(out, this.subscriptOf(a, keyNodes, keys)); }
        return out ?? UNKNOWN;
      }
      default: return UNKNOWN;
    }
  }

  // ----- calls

  private evalCall(n: PyNode): V {
    const fnNode = field(n, 'function');
    const args = callArgs(n, this.src);
    if (!fnNode) { return UNKNOWN; }
    if (fnNode.type === 'attribute') {
      const objNode = field(fnNode, 'object');
      const attrNode = field(fnNode, 'attribute');
      if (!objNode || !attrNode) { return UNKNOWN; }
      const key = this.dottedBound ? this.dottedKey(fnNode) : undefined;
      const bound = key ? this.lookupDotted(key) : undefined;
      if (bound) { return this.callValue(bound, n, args, this.evalArgs(args)); }
      let recv = this.evalExpr(objNode);
      const method = this.text(attrNode);
      const av = this.evalArgs(args);
      if (recv.k !== 'obj' && recv.k !== 'union' && recv.k !== 'ref' && (FIT_METHODS.has(method) || PREDICT_METHODS.has(method) ||
        (SCORE_METHODS.has(method) && recv.k !== 'data') || (method === 'transform' && recv.k !== 'data' && !(recv.k === 'lit')))) {
        recv = this.materialize(objNode, recv);
      }
      return this.callMethod(recv, method, n, args, av, objNode);
    }
    const fv = this.evalExpr(fnNode);
    return this.callValue(fv, n, args, this.evalArgs(args));
  }

  /** Argument values: positional and keyword. */
  private evalArgs(a: CallArgs): { pos: V[]; kw: Map<string, V> } {
    const pos = a.positional.map(p => this.evalExpr(p));
    const kw = new Map<string, V>();
    for (const [k, v] of a.keywords) { kw.set(k, this.evalExpr(v)); }
    if (a.splat && a.list) {
      for (const c of a.list.children) { if ((c.type === 'list_splat' || c.type === 'dictionary_splat') && c.children[0]) { this.evalExpr(c.children[0]); } }
    }
    return { pos, kw };
  }

  /** Gives an unknown receiver of `fit`/`predict` an object identity (a model defined where we cannot see it). */
  private materialize(objNode: PyNode, cur: V): ObjV {
    const key = objNode.type === 'identifier' ? this.text(objNode) : this.dottedKey(objNode);
    const obj = this.newObj('?', undefined, objNode, undefined);
    obj.taints = taintsOf(cur);
    if (key) {
      if (key.includes('.')) { this.dottedBound = true; }
      this.assign(key, obj);
    }
    return obj;
  }

  private newObj(cls: string, info: ClassInfo | undefined, node: PyNode, args: CallArgs | undefined): ObjV {
    const loops = this.loops.map(l => l.node);
    let varies = false;
    if (args && this.loops.length) {
      const names = new Set(this.loops.flatMap(l => [...l.targets]));
      const texts = [...args.positional, ...[...args.keywords].filter(([k]) => !/random_state|seed/.test(k)).map(([, v]) => v)].map(x => this.text(x));
      varies = texts.some(t => [...names].some(nm => new RegExp(`\\b${nm.replace(/[^\w]/g, '')}\\b`).test(t)));
    }
    return {
      k: 'obj', cls, cat: info?.cat ?? 'unknown', task: info?.task ?? 'unknown', info, alloc: this.ctxKey(node), node,
      taints: [], fits: [], steps: [], source: !!info?.source, oversampler: !!info?.oversampler, hasSampler: false,
      hasModel: info?.cat === 'model', loops, varies, dummy: !!info?.dummy, args,
    };
  }

  private callValue(fv: V, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    switch (fv.k) {
      case 'func': return fv.isClass ? this.newObj(this.text(field(fv.def, 'name') ?? fv.def), undefined, n, a) : this.callUser(fv, n, av);
      case 'ref': return this.callLibrary(fv.qn, n, a, av);
      case 'obj': {
        // Calling a model object (torch/keras forward pass): predictions on the input.
        const x = this.asData(av.pos[0]);
        return x ? derive(x, { preds: [fv], taints: unionTaints(x.taints, fv.taints) }) : UNKNOWN;
      }
      case 'union': {
        let out: V | undefined;
        for (const alt of fv.alts) { out = join(out, this.callValue(alt, n, a, av)); }
        return out ?? UNKNOWN;
      }
      default: {
        const ds = [...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((d): d is DataV => !!d);
        return ds.length ? mergeData(ds) : UNKNOWN;
      }
    }
  }

  /** Inlines a call to a function defined in the analysed code. */
  private callUser(fv: FuncV, n: PyNode, av: { pos: V[]; kw: Map<string, V> }): V {
    const def = fv.def;
    if (this.callStack.length >= MAX_INLINE_DEPTH || this.activeDefs.includes(def) || this.budget <= 0) {
      const ds = [...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((d): d is DataV => !!d);
      return ds.length ? mergeData(ds) : UNKNOWN;
    }
    this.analyzedDefs.add(def);
    const saved = this.frame;
    const savedLoops = this.loops;
    this.frame = new Frame(fv.closure as Frame, n, def);
    this.callStack.push(n);
    this.activeDefs.push(def);
    try {
      this.bindParams(def, av.pos, av.kw, false);
      const body = field(def, 'body');
      if (body) { this.execBlock(body.children); }
      let out: V | undefined;
      for (const r of this.frame.returns) { out = join(out, r); }
      return out ?? { k: 'lit', value: null };
    } finally {
      this.frame = saved;
      this.loops = savedLoops;
      this.callStack.pop();
      this.activeDefs.pop();
    }
  }

  private bindParams(def: PyNode, pos: V[], kw: Map<string, V>, unknownArgs: boolean): void {
    const params = field(def, 'parameters');
    if (!params) { return; }
    let i = 0;
    const fresh = (name: string): V => unknownArgs ? this.freshData(`param:${def.id}:${name}`) : UNKNOWN;
    for (const p of params.children) {
      let nameNode: PyNode | undefined;
      let dflt: PyNode | undefined;
      let kind: 'normal' | 'star' | 'dstar' = 'normal';
      switch (p.type) {
        case 'identifier': nameNode = p; break;
        case 'default_parameter': case 'typed_default_parameter': nameNode = field(p, 'name'); dflt = field(p, 'value'); break;
        case 'typed_parameter': {
          const inner = p.children.find(c => c.field !== 'type');
          if (inner?.type === 'identifier') { nameNode = inner; }
          else if (inner?.type === 'list_splat_pattern') { nameNode = inner.children[0]; kind = 'star'; }
          else if (inner?.type === 'dictionary_splat_pattern') { nameNode = inner.children[0]; kind = 'dstar'; }
          break;
        }
        case 'list_splat_pattern': nameNode = p.children[0]; kind = 'star'; break;
        case 'dictionary_splat_pattern': nameNode = p.children[0]; kind = 'dstar'; break;
        default: continue;
      }
      if (!nameNode || nameNode.type !== 'identifier') { continue; }
      const name = this.text(nameNode);
      let v: V;
      if (kind === 'star') { v = { k: 'tuple', items: pos.slice(i) }; i = pos.length; }
      else if (kind === 'dstar') { v = { k: 'dict', keys: [...kw.keys()], items: [...kw.values()] }; }
      else if (i < pos.length) { v = pos[i++]; }
      else if (kw.has(name)) { v = kw.get(name)!; }
      else if (dflt && !unknownArgs) { v = this.evalExpr(dflt); }
      else if (name === 'self' || name === 'cls') { v = UNKNOWN; }
      else { v = fresh(name); }
      this.frame.locals.set(name, v);
    }
  }

  private callMethod(recv: V, method: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }, recvNode: PyNode): V {
    switch (recv.k) {
      case 'union': {
        let out: V | undefined;
        for (const alt of recv.alts) { out = join(out, this.callMethod(alt, method, n, a, av, recvNode)); }
        return out ?? UNKNOWN;
      }
      case 'ref': return this.callLibrary(`${recv.qn}.${method}`, n, a, av);
      case 'obj': return this.objMethod(recv, method, n, a, av);
      case 'data': return this.dataMethod(recv, method, n, a, av, recvNode);
      case 'list': case 'tuple': {
        if (method === 'append' || method === 'add') { if (recv.k === 'list') { recv.items.push(av.pos[0] ?? UNKNOWN); } return { k: 'lit', value: null }; }
        if (method === 'extend' && recv.k === 'list') { const o = av.pos[0]; if (o && (o.k === 'list' || o.k === 'tuple')) { recv.items.push(...o.items); } return { k: 'lit', value: null }; }
        if (method === 'pop') { return this.elementOf(recv); }
        if (method === 'copy') { return { k: recv.k, items: [...recv.items] }; }
        return UNKNOWN;
      }
      case 'dict': {
        if (method === 'items') { return { k: 'list', items: [{ k: 'tuple', items: [{ k: 'lit', value: undefined }, this.elementOf({ k: 'list', items: recv.items })] }] }; }
        if (method === 'values') { return { k: 'list', items: [...recv.items] }; }
        if (method === 'keys') { return { k: 'list', items: recv.keys.map(k => ({ k: 'lit', value: k } as LitV)) }; }
        if (method === 'get' || method === 'pop' || method === 'setdefault') {
          const key = a.positional[0] ? stringValue(a.positional[0], this.src) : undefined;
          const i = key !== undefined ? recv.keys.lastIndexOf(key) : -1;
          return i >= 0 ? recv.items[i] : join(this.elementOf({ k: 'list', items: recv.items }), av.pos[1]);
        }
        if (method === 'update') {
          const o = av.pos[0];
          if (o?.k === 'dict') { recv.keys.push(...o.keys); recv.items.push(...o.items); }
          for (const [k, v] of av.kw) { recv.keys.push(k); recv.items.push(v); }
          return { k: 'lit', value: null };
        }
        return UNKNOWN;
      }
      default: return UNKNOWN;
    }
  }

  // ----- library functions

  private callLibrary(qn: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const dot = qn.lastIndexOf('.');
    const name = qn.slice(dot + 1);
    const module = dot >= 0 ? qn.slice(0, dot) : '';
    const builtin = module === 'builtins';
    const kwNode = (k: string) => a.keywords.get(k);
    if (!builtin) {
      const info = classInfo(name);
      if (info && /^[A-Z]/.test(name)) { return this.construct(name, info, n, a, av); }
      if (name === 'Pipeline' || PIPELINE_FUNCTIONS.has(name)) { return this.construct(name, { cat: 'pipeline' }, n, a, av); }
      if (SPLIT_FUNCTIONS.has(name)) { return this.doSplit(n, a, av); }
      if (CV_FUNCTIONS.has(name)) { return this.doCV(name, n, a, av); }
      if (CLASSIFICATION_METRICS.has(name) || REGRESSION_METRICS.has(name)) { return this.doMetric(name, n, a, av); }
      if (name === 'resample' && /utils|^$/.test(module)) { return this.doUpsample(n, a, av, 'resample'); }
      if (name === 'clone') {
        const o = objsOf(av.pos[0])[0];
        if (o) { const c = this.newObj(o.cls, o.info, n, o.args); Object.assign(c, { steps: o.steps, source: o.source, hasModel: o.hasModel, hasSampler: o.hasSampler, task: o.task, cat: o.cat, dummy: o.dummy }); return c; }
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
        return { k: 'tuple', items: [{ k: 'tuple', items: [d('train'), d('train')] }, { k: 'tuple', items: [d('test'), d('test')] }] };
      }
      const isStatModule = STAT_MODULES.test(module) || (module === '' && /^(qcut|zscore)$/.test(name));
      if (STAT_FUNCTIONS.has(name) && (isStatModule || /^(scale|minmax_scale|robust_scale|maxabs_scale|quantile_transform|power_transform)$/.test(name))) {
        const x = this.asData(av.pos[0] ?? av.kw.get('a') ?? av.kw.get('x') ?? av.kw.get('X'));
        if (x) { return this.statistic(x, n, `${name}()`, a.positional[0] ?? n, !/scale|transform|zscore|qcut/.test(name)); }
      }
      if (CONCAT_FUNCTIONS.has(name) && /^(np|numpy|pd|pandas|torch|tf)$/.test(module)) {
        const ds = [...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((d): d is DataV => !!d);
        if (ds.length) { const m = mergeData(ds); return derive(m, { preds: m.preds }); }
        return UNKNOWN;
      }
      if (name === 'make_classification' || name === 'make_imbalance') {
        const w = kwNode('weights');
        if (w && /\b0?\.[0-2]\d*|0?\.9\d*/.test(this.text(w))) { this.facts.imbalance.push({ node: w, what: `${name}(weights=${this.text(w)})` }); }
        if (name === 'make_imbalance') { this.facts.imbalance.push({ node: n, what: name }); }
      }
    }
    if (builtin) { return this.callBuiltin(name, a, av); }
    // Generic library call: a transformation of its data arguments, or a new dataset from a loader.
    const ds = [...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((d): d is DataV => !!d && !d.scalar);
    if (ds.length && (ROWWISE_FUNCTIONS.test(name) || !LOADER_FUNCTIONS.test(name) || /DMatrix|Dataset|Pool|DataFrame|Series|array|tensor/.test(name))) {
      const m = mergeData(ds);
      return derive(m, { preds: m.preds });
    }
    if (LOADER_FUNCTIONS.test(name)) {
      const file = a.positional[0] ? stringValue(a.positional[0], this.src) : undefined;
      const part = file !== undefined ? partFromName(file.replace(/^.*[\\/]/, '').replace(/\.\w+$/, '')) ?? 'full' : 'full';
      return this.freshData(`load:${this.ctxKey(n)}`, part);
    }
    if (/^[A-Z]/.test(name)) { return this.newObj(name, undefined, n, a); }
    return ds.length ? mergeData(ds) : UNKNOWN;
  }

  private callBuiltin(name: string, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const first = av.pos[0];
    switch (name) {
      case 'len': case 'int': case 'float': case 'str': case 'bool': case 'isinstance': case 'hash': case 'id': case 'print': case 'repr':
        return { k: 'lit', value: undefined };
      case 'range': return { k: 'list', items: [{ k: 'lit', value: undefined }] };
      case 'list': case 'tuple': case 'sorted': case 'reversed': case 'set': case 'iter': case 'frozenset':
        if (!first) { return { k: 'list', items: [] }; }
        if (first.k === 'list' || first.k === 'tuple') { return { k: 'list', items: first.items }; }
        if (first.k === 'dict') { return { k: 'list', items: first.keys.map(k => ({ k: 'lit', value: k } as LitV)) }; }
        return first;
      case 'next': return first ? this.elementOf(first) : UNKNOWN;
      case 'zip': {
        const cols = av.pos.map(p => this.elementOf(p));
        return { k: 'list', items: [{ k: 'tuple', items: cols }] };
      }
      case 'enumerate': return { k: 'list', items: [{ k: 'tuple', items: [{ k: 'lit', value: undefined }, first ? this.elementOf(first) : UNKNOWN] }] };
      case 'dict': {
        const d: DictV = { k: 'dict', keys: [], items: [] };
        for (const [k, v] of av.kw) { d.keys.push(k); d.items.push(v); }
        return d;
      }
      case 'max': case 'min': case 'sum': case 'abs': case 'round': case 'pow':
        if (first && (first.k === 'list' || first.k === 'tuple')) { return this.elementOf(first); }
        return first ?? UNKNOWN;
      case 'getattr': return first && a.positional[1] ? this.attributeOf(first, stringValue(a.positional[1], this.src) ?? '') : UNKNOWN;
      case 'map': case 'filter': return { k: 'list', items: [UNKNOWN] };
      default: return UNKNOWN;
    }
  }

  // ----- constructors

  private construct(cls: string, info: ClassInfo, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const obj = this.newObj(cls, info, n, a);
    if (info.cat === 'splitter') {
      if (this.once(`splitter:${n.id}`)) { this.facts.splitters.push({ node: n, cls, info, args: a }); }
      return obj;
    }
    // Components of pipelines and searches.
    const comps: ObjV[] = [];
    const collect = (v: V | undefined, depth = 0) => {
      if (!v || depth > 4) { return; }
      if (v.k === 'obj') { comps.push(v); return; }
      if (v.k === 'list' || v.k === 'tuple' || v.k === 'union') { for (const x of (v.k === 'union' ? v.alts : v.items)) { collect(x, depth + 1); } }
    };
    if (info.cat === 'pipeline' || info.cat === 'search' || /Voting|Stacking|Bagging|OneVs|Calibrated|AdaBoost|SelectFromModel|RFE/.test(cls)) {
      for (const v of av.pos) { collect(v); }
      for (const [k, v] of av.kw) { if (/estimator|steps|transformers|base_estimator|estimators/.test(k)) { collect(v); } }
    }
    obj.steps = comps;
    if (info.cat === 'pipeline' || info.cat === 'search') {
      obj.hasModel = comps.some(c => c.hasModel || c.cat === 'model' || c.cat === 'search');
      obj.source = comps.some(c => c.source);
      obj.hasSampler = comps.some(c => c.cat === 'sampler' || c.hasSampler);
      const model = [...comps].reverse().find(c => c.hasModel || c.cat === 'model' || c.cat === 'search');
      obj.task = model?.task ?? 'unknown';
      obj.dummy = !!model?.dummy;
      if (info.cat === 'search') { obj.hasModel = true; }
    }
    if (info.cat === 'model' && /Classifier$|SVC$|LogisticRegression/.test(cls)) { obj.task = 'classification'; }
    // Class weights are evidence of imbalance.
    const cw = a.keywords.get('class_weight') ?? a.keywords.get('scale_pos_weight') ?? a.keywords.get('is_unbalance') ?? a.keywords.get('auto_class_weights');
    if (cw && !/^None$|^False$/.test(this.text(cw))) { this.facts.imbalance.push({ node: cw, what: `${this.text(cw.parent?.children[0] ?? cw)}=${shortText(cw, this.src, 30)}` }); }
    if (info.cat === 'sampler') { this.facts.imbalance.push({ node: n, what: cls }); }
    if (info.cat === 'search') {
      const scoring = a.keywords.get('scoring');
      if (scoring) { this.noteScoring(scoring, av.kw.get('scoring')); }
    }
    return obj;
  }

  private noteScoring(node: PyNode, v: V | undefined): void {
    const lit = litValue(v);
    const s = stringValue(node, this.src) ?? (typeof lit === 'string' ? lit : undefined);
    if (s !== undefined) {
      if (ACCURACY_SCORING.has(s)) { this.facts.accuracy.push({ node, kind: 'scoring', nameNode: node }); }
      else { this.facts.otherMetric = true; }
      return;
    }
    // A list/dict of scorers or a make_scorer(...) call: other metrics are used.
    const texts = this.text(node);
    if (/accuracy/.test(texts) && !/balanced_accuracy/.test(texts) && !/(f1|precision|recall|roc_auc|average_precision|matthews|balanced|kappa|log_loss)/.test(texts)) {
      this.facts.accuracy.push({ node, kind: 'scoring', nameNode: node });
    } else if (v) {
      this.facts.otherMetric = true;
    }
  }

  // ----- splitting

  private doSplit(n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    let site = this.splitByNode.get(n);
    const arrays = av.pos.map((v, i) => this.asData(v) ?? this.freshData(`arg:${a.positional[i]?.id ?? i}`));
    if (!site) {
      const shuffle = a.keywords.get('shuffle');
      site = {
        id: this.nextId++, node: n, args: a, arrayNodes: a.positional, arrays,
        shuffle: !(shuffle && /^(False|0)$/.test(this.text(shuffle))),
        stratify: a.keywords.get('stratify'), randomState: a.keywords.get('random_state'),
        classTargets: new Map(), regressionTargets: new Map(), targetNames: [], frames: [...this.callStack],
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
            this.facts.overLeaks.push({ taint: t, use: n, useKind: 'split', split: s, dataText: this.short(a.positional[i]) });
          }
        } else {
          t.split ??= s;
          t.splits.add(s);
        }
      }
      const trainPart: Part = d.part === 'train' ? 'train' : d.part === 'test' ? 'test' : d.part === 'val' ? 'val' : 'train';
      const testPart: Part = d.part === 'train' ? 'val' : d.part === 'test' ? 'test' : d.part === 'val' ? 'val' : 'test';
      items.push(derive(d, { part: trainPart, origin: { split: s, index: i, side: 'train' }, column: d.column }));
      items.push(derive(d, { part: testPart, origin: { split: s, index: i, side: 'test' }, column: d.column }));
    });
    return { k: 'list', items };
  }

  /** Notes that a value (a target) is used as a classification or regression target. */
  private noteTarget(v: V | undefined, task: Task, evidence: PyNode): void {
    if (task !== 'classification' && task !== 'regression') { return; }
    const d = this.asData(v);
    if (!d?.origin) { return; }
    const map = task === 'classification' ? d.origin.split.classTargets : d.origin.split.regressionTargets;
    let cols = map.get(d.origin.index);
    if (!cols) { cols = new Map(); map.set(d.origin.index, cols); }
    const col = d.column ?? '';
    if (!cols.has(col)) { cols.set(col, this.site(evidence)); }
  }

  // ----- estimator methods

  private objMethod(obj: ObjV, method: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    if (FIT_METHODS.has(method)) { return this.doFit(obj, method, n, a, av); }
    if (PREDICT_METHODS.has(method)) {
      const x = this.dataOrEmpty(av.pos[0] ?? av.kw.get('X') ?? av.kw.get('x'));
      this.checkFullThenTest(obj, x, n);
      return derive(x, { preds: [obj], column: undefined });
    }
    if (SCORE_METHODS.has(method)) {
      const xv = av.pos[0] ?? av.kw.get('X') ?? av.kw.get('x');
      const x = this.dataOrEmpty(xv);
      const y = av.pos[1] ?? av.kw.get('y');
      this.checkFullThenTest(obj, x, n);
      this.noteTarget(y, obj.task, n);
      this.facts.evaluated.push(n);
      if (x.part === 'test') { this.facts.evaluations.push({ site: this.site(n), models: [obj], data: x, dataText: this.short(a.positional[0]), loops: this.loops.map(l => l.node) }); }
      return this.scalar();
    }
    if (TRANSFORM_METHODS.has(method)) {
      const x = this.dataOrEmpty(av.pos[0] ?? av.kw.get('X'));
      return derive(x, { taints: unionTaints(x.taints, obj.taints), column: undefined });
    }
    if (method === 'split' && obj.cat === 'splitter') {
      const x = this.dataOrEmpty(av.pos[0] ?? av.kw.get('X'));
      const idx = (part: Part): DataV => ({ k: 'data', part, roots: x.roots, taints: [], index: true });
      return { k: 'list', items: [{ k: 'tuple', items: [idx('train'), idx('val')] }] };
    }
    if (method === 'compile') {
      const loss = a.keywords.get('loss');
      const lossText = loss ? this.text(loss) : '';
      if (/crossentropy|hinge|CrossEntropy|BCE/.test(lossText)) { obj.task = 'classification'; }
      else if (/mse|mae|mean_squared|mean_absolute|huber|MSE|MAE/.test(lossText)) { obj.task = 'regression'; }
      const metrics = a.keywords.get('metrics');
      if (metrics) {
        const t = this.text(metrics);
        if (/['"](accuracy|acc)['"]|Accuracy\(/.test(t)) {
          if (/AUC|Precision|Recall|F1|auc|precision|recall|f1/.test(t)) { this.facts.otherMetric = true; }
          else { this.facts.accuracy.push({ node: metrics, kind: 'keras', nameNode: metrics }); }
        } else if (t.trim() !== '[]') { this.facts.otherMetric = true; }
      }
      return { k: 'lit', value: null };
    }
    if (method === 'set_params' && this.loops.length) {
      const names = new Set(this.loops.flatMap(l => [...l.targets]));
      if ([...names].some(nm => new RegExp(`\\b${nm}\\b`).test(this.text(n)))) { obj.varies = true; obj.loops = this.loops.map(l => l.node); }
      return obj;
    }
    if (method === 'add' || method === 'to' || method === 'cuda' || method === 'train' || method === 'eval' || method === 'set_output') { return obj; }
    return this.scalar(obj.taints);
  }

  private isModelLike(obj: ObjV, hasY: boolean, method: string): boolean {
    if (obj.cat === 'model' || obj.cat === 'search') { return true; }
    if (obj.cat === 'pipeline') { return obj.hasModel; }
    if (obj.cat === 'unknown') { return hasY && method !== 'fit_transform' && method !== 'fit_resample'; }
    return false;
  }

  private doFit(obj: ObjV, method: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const xNode = a.positional[0] ?? a.keywords.get('X') ?? a.keywords.get('x');
    const yNode = a.positional[1] ?? a.keywords.get('y');
    const xv = av.pos[0] ?? av.kw.get('X') ?? av.kw.get('x');
    const yv = av.pos[1] ?? av.kw.get('y');
    const x = this.dataOrEmpty(xv);
    const y = yv ? this.asData(yv) : undefined;
    const site = this.site(n);
    const dataText = this.short(xNode);
    const fittedOnTrainBefore = obj.fits.some(f => f.part === 'train');

    if (x.part === 'test' && xNode && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({ kind: 'fit', site, call: n, obj, method, dataText, data: x, fittedOnTrainBefore, argNodes: a.positional });
    } else if (y && y.part === 'test' && y.origin && x.part !== 'test' && yNode && this.once(`testfit:${this.ctxKey(n)}`)) {
      // Targets from the test part (typically a mis-ordered unpacking of train_test_split).
      this.facts.testFits.push({ kind: 'fit', site, call: n, obj, method, dataText: this.short(yNode), data: y, fittedOnTrainBefore, argNodes: a.positional });
    }
    obj.fits.push({ node: n, site, part: x.part, roots: x.roots, method, dataText });

    const isResample = method === 'fit_resample' || method === 'fit_sample';
    const modelLike = !isResample && this.isModelLike(obj, !!yNode, method);
    if (modelLike) {
      if (!obj.dummy) { this.facts.modelFits.push({ site, call: n, obj, xNode, yNode, x, y }); }
      this.noteTarget(yv, obj.task, n);
      const viaCV = obj.cat === 'search';
      for (const t of x.taints) {
        if (t.kind === 'oversample') {
          if (viaCV && !obj.hasSampler && this.once(`overcv:${t.id}`)) {
            this.facts.overLeaks.push({ taint: t, use: n, useKind: 'cv', split: x.origin?.split, dataText });
          }
          continue;
        }
        if (viaCV ? x.part !== 'test' : leaksInto(t, x)) {
          if (this.once(`pre:${t.id}`)) {
            this.facts.preLeaks.push({ taint: t, use: n, useKind: x.part === 'train' ? 'fit' : 'cv', split: x.origin?.split ?? t.split, dataText });
          }
        }
      }
      if (viaCV) { this.facts.evaluated.push(n); }
      this.checkEvalSet(a, n);
      obj.taints = x.taints;
      if (method === 'fit_predict') { return derive(x, { preds: [obj] }); }
      return obj;
    }
    if (isResample) {
      if (obj.cat === 'sampler' && !obj.oversampler) { this.facts.imbalance.push({ node: n, what: obj.cls }); }
      let taints = x.taints;
      if (obj.oversampler || obj.cat === 'unknown') {
        const t = this.taint('oversample', n, `${obj.cls === '?' ? 'resampler' : obj.cls}.${method}`, dataText, x);
        taints = unionTaints(x.taints, [t]);
      }
      const yd = y ?? this.dataOrEmpty(yv);
      return { k: 'tuple', items: [derive(x, { taints, column: undefined }), derive(yd, { taints: unionTaints(yd.taints, taints.filter(t => t.kind === 'oversample')), column: yd.column })] };
    }
    // A transformer (or an unknown object fitted on X only).
    let taints = x.taints;
    if ((obj.source || method === 'fit_on_texts' || method === 'fit_on_sequences') && mayBeSplitLater(x)) {
      const t = this.taint('fit', n, `${obj.cls === '?' ? 'transformer' : obj.cls}.${method}`, dataText, x);
      taints = unionTaints(x.taints, [t]);
    }
    obj.taints = taints;
    if (method === 'fit_transform') { return derive(x, { taints, column: undefined }); }
    if (method === 'fit_predict') { return derive(x, { taints, preds: [obj] }); }
    return obj;
  }

  /** `validation_data=(X_test, y_test)` / `eval_set=[(X_test, y_test)]` with early stopping: the test part steers training. */
  private checkEvalSet(a: CallArgs, n: PyNode): void {
    const vd = a.keywords.get('validation_data') ?? a.keywords.get('eval_set');
    if (!vd) { return; }
    const callbacks = a.keywords.get('callbacks');
    let hasEarlyStop = !!a.keywords.get('early_stopping_rounds');
    if (!hasEarlyStop && callbacks) {
      const cb = this.evalExpr(callbacks);
      const objs = [...objsOf(cb), ...objsOf(this.elementOf(cb))];
      hasEarlyStop = EARLY_STOPPING.test(this.text(callbacks)) || objs.some(o => EARLY_STOPPING.test(o.cls));
    }
    if (!hasEarlyStop) { return; }
    const flat = (v: V, depth = 0): DataV[] => v.k === 'data' ? [v] : (v.k === 'list' || v.k === 'tuple') && depth < 3 ? v.items.flatMap(x => flat(x, depth + 1)) : [];
    const parts = flat(this.evalExpr(vd));
    const d = parts.find(x => x.part === 'test' && x.origin) ?? parts.find(x => x.part === 'test');
    if (d && this.once(`evalset:${this.ctxKey(n)}`)) {
      this.facts.testAsValidation.push({ site: this.site(n), dataText: this.short(vd), data: d });
    }
  }

  private checkFullThenTest(obj: ObjV, x: DataV, n: PyNode): void {
    if (x.part !== 'test') { return; }
    const last = obj.fits[obj.fits.length - 1];
    if (!last || last.part !== 'full' || !last.roots.some(r => x.roots.includes(r))) { return; }
    if (!this.isModelLike(obj, true, last.method)) { return; }
    if (this.once(`fullthentest:${last.node.id}`)) {
      this.facts.testFits.push({
        kind: 'full-then-test', site: last.site, call: last.node, obj, method: last.method, dataText: last.dataText, data: x,
        evalNode: this.site(n), fittedOnTrainBefore: false, argNodes: [],
      });
    }
  }

  private doCV(name: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const est = objsOf(av.pos[0] ?? av.kw.get('estimator'))[0];
    const xNode = a.positional[1] ?? a.keywords.get('X');
    const xv = av.pos[1] ?? av.kw.get('X');
    const yv = av.pos[2] ?? av.kw.get('y');
    const x = this.dataOrEmpty(xv);
    const dataText = this.short(xNode);
    const site = this.site(n);
    if (x.part === 'test' && xNode && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({ kind: 'cv', site, call: n, obj: est, method: name, dataText, data: x, fittedOnTrainBefore: false, argNodes: a.positional });
    }
    for (const t of x.taints) {
      if (t.kind === 'oversample') {
        if (!est?.hasSampler && this.once(`overcv:${t.id}`)) {
          this.facts.overLeaks.push({ taint: t, use: n, useKind: 'cv', split: x.origin?.split, dataText });
        }
      } else if (x.part !== 'test' && this.once(`pre:${t.id}`)) {
        this.facts.preLeaks.push({ taint: t, use: n, useKind: x.part === 'train' ? 'fit' : 'cv', split: x.origin?.split ?? t.split, dataText });
      }
    }
    const scoring = a.keywords.get('scoring');
    if (scoring) { this.noteScoring(scoring, av.kw.get('scoring')); }
    if (est) {
      this.noteTarget(yv, est.task, n);
      if (!est.dummy) { this.facts.modelFits.push({ site, call: n, obj: est, xNode, yNode: a.positional[2], x, y: this.asData(yv) }); }
    }
    this.facts.evaluated.push(n);
    if (name === 'cross_val_predict') { return derive(x, { preds: est ? [est] : [] }); }
    return this.scalar();
  }

  private nativeBoostingTrain(name: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const fn = field(n, 'function');
    const obj = this.newObj(fn ? shortText(fn, this.src) : name, { cat: 'model', task: 'unknown' }, n, a);
    const dv = av.pos[1] ?? av.kw.get('dtrain') ?? av.kw.get('train_set');
    const x = this.dataOrEmpty(dv);
    const site = this.site(n);
    obj.fits.push({ node: n, site, part: x.part, roots: x.roots, method: name, dataText: this.short(a.positional[1]) });
    if (x.part === 'test' && this.once(`testfit:${this.ctxKey(n)}`)) {
      this.facts.testFits.push({ kind: 'fit', site, call: n, obj, method: name, dataText: this.short(a.positional[1]), data: x, fittedOnTrainBefore: false, argNodes: a.positional });
    }
    for (const t of x.taints) {
      if (t.kind !== 'oversample' && leaksInto(t, x) && this.once(`pre:${t.id}`)) {
        this.facts.preLeaks.push({ taint: t, use: n, useKind: 'fit', split: x.origin?.split ?? t.split, dataText: this.short(a.positional[1]) });
      }
    }
    this.facts.modelFits.push({ site, call: n, obj, xNode: a.positional[1], x });
    if (name === 'cv') { this.facts.evaluated.push(n); return this.scalar(); }
    return obj;
  }

  // ----- metrics

  private doMetric(name: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }): V {
    const classification = CLASSIFICATION_METRICS.has(name);
    const fnNode = field(n, 'function');
    const nameNode = fnNode?.type === 'attribute' ? field(fnNode, 'attribute') ?? fnNode : fnNode ?? n;
    if (name === 'accuracy_score') { this.facts.accuracy.push({ node: n, kind: 'function', nameNode }); }
    else if (NON_ACCURACY_CLASSIFICATION_METRICS.has(name)) { this.facts.otherMetric = true; }
    let vals = [...av.pos, ...av.kw.values()];
    let models: ObjV[] = [];
    if (name === 'from_estimator' || name === 'plot_confusion_matrix' || name === 'plot_roc_curve') {
      models = objsOf(av.pos[0]);
      vals = vals.slice(1);
    }
    let testData: DataV | undefined;
    for (const v of vals) {
      const d = this.asData(v);
      if (!d) { continue; }
      if (!d.preds) { this.noteTarget(d, classification ? 'classification' : 'regression', n); }
      if (d.preds) { models.push(...d.preds); }
      if (d.part === 'test') { testData = testData ?? d; }
      if (d.preds && d.part === 'test') { testData = d; }
    }
    this.facts.evaluated.push(n);
    const uniq = [...new Set(models)];
    if (testData && uniq.length) {
      this.facts.evaluations.push({ site: this.site(n), models: uniq, data: testData, dataText: this.short(a.positional[0]), loops: this.loops.map(l => l.node) });
      for (const m of uniq) { this.checkFullThenTest(m, testData, n); }
    }
    return this.scalar();
  }

  // ----- data methods

  private statistic(d: DataV, n: PyNode, what: string, dataNode: PyNode, isScalar: boolean): DataV {
    let taints = d.taints;
    if (mayBeSplitLater(d)) {
      taints = unionTaints(d.taints, [this.taint('stat', n, what, this.short(dataNode), d)]);
    }
    return isScalar ? { k: 'data', part: d.part, roots: d.roots, taints, scalar: true } : derive(d, { taints });
  }

  private dataMethod(d: DataV, method: string, n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }, recvNode: PyNode): V {
    const argTaints = unionTaints(...[...av.pos, ...av.kw.values()].map(v => {
      const x = this.asData(v);
      return x && !x.mask ? x.taints : [];
    }));
    const inplace = a.keywords.get('inplace');
    const isInplace = !!inplace && this.text(inplace) === 'True';
    if (method === 'value_counts') { this.facts.valueCounts.push(n); }
    if (d.window) { return derive(d, { taints: argTaints.length ? unionTaints(d.taints, argTaints) : d.taints }); }
    if (d.groupby && (STAT_METHODS.has(method) || method === 'transform' || method === 'apply')) {
      return this.statistic(d, n, `groupby(…).${method}()`, recvNode, method !== 'transform');
    }
    if (STAT_METHODS.has(method)) {
      const out = this.statistic(d, n, `${method}()`, recvNode, true);
      return argTaints.length ? derive(out, { taints: unionTaints(out.taints, argTaints) }) : out;
    }
    if (method === 'groupby') { return derive(d, { groupby: true }); }
    if (/^(rolling|expanding|ewm)$/.test(method)) { return derive(d, { window: true }); }
    if (method === 'sample' && a.keywords.get('replace') && this.text(a.keywords.get('replace')!) === 'True') {
      return this.doUpsample(n, a, { pos: [d, ...av.pos], kw: av.kw }, 'sample', recvNode);
    }
    if (/^(append|merge|join|combine_first|concat)$/.test(method)) {
      const ds = [d, ...[...av.pos, ...av.kw.values()].map(v => this.asData(v)).filter((x): x is DataV => !!x && !x.scalar)];
      return mergeData(ds);
    }
    if (method === 'items' || method === 'iterrows' || method === 'iteritems') {
      return { k: 'list', items: [{ k: 'tuple', items: [{ k: 'lit', value: undefined }, derive(d)] }] };
    }
    if (/^(split|strip|lower|upper|replace|format|join|startswith|endswith)$/.test(method) && d.roots.length === 0 && d.scalar) {
      return this.scalar(d.taints);
    }
    const out = derive(d, {
      taints: argTaints.length ? unionTaints(d.taints, argTaints) : d.taints,
      column: /^(fillna|replace|clip|astype|map|apply|copy|to_numpy|reshape|ravel|flatten|squeeze|round|abs|interpolate|where|mask|tolist|to_list|values)$/.test(method) ? d.column : undefined,
      preds: d.preds,
    });
    if (isInplace) { this.rebind(recvNode, out); return { k: 'lit', value: null }; }
    return out;
  }

  /** Upsampling by `resample(…, replace=True)` or `df.sample(…, replace=True)`. */
  private doUpsample(n: PyNode, a: CallArgs, av: { pos: V[]; kw: Map<string, V> }, what: string, recvNode?: PyNode): V {
    const first = av.pos[0];
    const d = this.asData(first);
    const replace = a.keywords.get('replace');
    const replaces = what === 'sample' || (!!replace && this.text(replace) === 'True');
    if (!d) { return UNKNOWN; }
    if (!replaces) {
      return av.pos.length > 1 ? { k: 'tuple', items: av.pos.map(p => this.asData(p) ?? UNKNOWN) } : derive(d);
    }
    this.facts.imbalance.push({ node: n, what: what === 'sample' ? 'sample(replace=True)' : 'resample(replace=True)' });
    const t = this.taint('oversample', n, what === 'sample' ? 'sample(replace=True)' : 'resample(replace=True)', this.short(recvNode ?? a.positional[0] ?? n), d);
    if (av.pos.length > 1) {
      return { k: 'tuple', items: av.pos.map(p => { const x = this.asData(p); return x ? derive(x, { taints: unionTaints(x.taints, [t]) }) : UNKNOWN; }) };
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
    if (v.column !== undefined) { out.column = v.column; }
    if (v.origin) { out.split = { line: -1, index: v.origin.index, side: v.origin.side }; }
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

