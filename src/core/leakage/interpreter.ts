/**
 * The generic part of the data-flow analysis: an abstract interpreter of Python over the `PyNode` tree. It knows
 * frames and scopes, statements, control flow (both branches of `if`, loops run twice, `try`, `with`, `match`),
 * assignment targets (tuple unpacking, starred targets, subscripts, dotted names) and user function/class
 * definitions. It knows nothing about ML libraries: what a library call, a data value's attribute or an estimator
 * method does is decided by the subclasses (`evaluator.ts` for expressions and calls, `dataflow.ts` for the ML
 * semantics).
 */
import type { PyNode } from './parser';
import { SourceText, field, fields, shortText, stringValue, unparen } from './syntax';
import {
  DataV,
  FrameLike,
  FuncV,
  LitV,
  Part,
  SeqV,
  Taint,
  UNKNOWN,
  V,
  derive,
  join,
  mergeData,
  taintsOf,
  unionTaints,
} from './values';

export class Frame implements FrameLike {
  readonly locals = new Map<string, V>();
  readonly globals = new Set<string>();
  readonly returns: V[] = [];
  constructor(
    readonly parent: Frame | undefined,
    readonly callSite: PyNode | undefined,
    readonly def: PyNode | undefined,
  ) {}
}

export const MAX_INLINE_DEPTH = 4;
export const MAX_EXPR_DEPTH = 250;
const MAX_STMT_DEPTH = 120;

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
  kw: Map<string, V>;
}

export abstract class Interpreter {
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

  constructor(
    protected readonly src: SourceText,
    statementBudget = 200_000,
  ) {
    this.budget = statementBudget;
  }

  /** Runs a module tree, then every function never called from it, once, with unknown arguments. */
  protected runModule(root: PyNode): void {
    // A file that does not parse as a whole has an ERROR root: its pieces are analysed like any ERROR region.
    if (root.type === 'ERROR') {
      this.execStmt(root);
    } else {
      this.execBlock(root.children);
    }
    // Functions never called from the analysed code are analysed once with unknown arguments.
    for (let i = 0; i < this.allDefs.length; i++) {
      const { def, closure } = this.allDefs[i];
      if (this.analyzedDefs.has(def) || this.budget <= 0) {
        continue;
      }
      this.analyzedDefs.add(def);
      const saved = this.frame;
      this.frame = new Frame(closure, undefined, def);
      this.bindParams(def, [], new Map(), true);
      this.activeDefs.push(def);
      const body = field(def, 'body');
      if (body) {
        this.execBlock(body.children);
      }
      this.activeDefs.pop();
      this.frame = saved;
    }
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
  protected abstract refineByName(name: string, v: V): V;
  /** `frame[key] = v`: the frame after the assignment (its taints already joined). */
  protected abstract setItem(frame: DataV, keyNodes: PyNode[], keys: V[], v: V, target: PyNode): DataV;
  /** `del target`. */
  protected abstract deleteTarget(target: PyNode): void;
  /** Called after a tuple target is bound, with the items bound to each target. */
  protected abstract noteSplitTargets(targets: PyNode[], items: V[] | undefined): void;

  // ----- small utilities

  protected text(n: PyNode): string {
    return this.src.slice(n);
  }
  protected short(n: PyNode | undefined): string {
    return n ? shortText(n, this.src) : '?';
  }
  protected site(n: PyNode): PyNode {
    return this.callStack.length ? this.callStack[0] : n;
  }
  protected once(key: string): boolean {
    if (this.seenKeys.has(key)) {
      return false;
    }
    this.seenKeys.add(key);
    return true;
  }
  protected ctxKey(n: PyNode): string {
    return this.callStack.length ? `${n.id}@${this.callStack.map(c => c.id).join('.')}` : `${n.id}`;
  }

  protected rootFor(key: string): number {
    let r = this.rootByKey.get(key);
    if (r === undefined) {
      r = this.nextId++;
      this.rootByKey.set(key, r);
    }
    return r;
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
    if (v.k === 'union') {
      const ds = v.alts.map(a => this.asData(a)).filter((d): d is DataV => !!d);
      return ds.length ? mergeData(ds) : undefined;
    }
    if (v.k === 'list' || v.k === 'tuple') {
      const ds = v.items
        .slice(0, 64)
        .map(a => this.asData(a))
        .filter((d): d is DataV => !!d);
      return ds.length ? mergeData(ds) : undefined;
    }
    return undefined;
  }

  protected dataOrEmpty(v: V | undefined): DataV {
    return this.asData(v) ?? { k: 'data', part: 'unknown', roots: [], taints: taintsOf(v) };
  }

  // ----- names

  protected lookup(name: string): V {
    for (let f: Frame | undefined = this.frame; f; f = f.parent) {
      const v = f.locals.get(name);
      if (v) {
        return v;
      }
    }
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

  // ----- statements

  protected execBlock(stmts: PyNode[]): void {
    for (const s of stmts) {
      this.execStmt(s);
    }
  }

  protected execStmt(n: PyNode): void {
    if (this.stmtDepth > MAX_STMT_DEPTH) {
      return;
    }
    this.budget--;
    this.stmtDepth++;
    try {
      this.execStmtInner(n);
    } finally {
      this.stmtDepth--;
    }
  }

  protected execStmtInner(n: PyNode): void {
    switch (n.type) {
      case 'expression_statement':
        for (const c of n.children) {
          this.evalTop(c);
        }
        return;
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement':
        this.execImport(n);
        return;
      case 'if_statement':
        return this.execIf(n);
      case 'for_statement':
        return this.execFor(n);
      case 'while_statement':
        return this.execWhile(n);
      case 'try_statement':
        return this.execTry(n);
      case 'with_statement':
        return this.execWith(n);
      case 'match_statement':
        return this.execMatch(n);
      case 'function_definition':
        return this.defineFunction(n, false);
      case 'class_definition':
        return this.defineClass(n);
      case 'decorated_definition': {
        const def = field(n, 'definition');
        for (const d of n.children) {
          if (d.type === 'decorator') {
            for (const c of d.children) {
              this.evalExpr(c);
            }
          }
        }
        if (def) {
          this.execStmt(def);
        }
        return;
      }
      case 'return_statement': {
        const v = n.children.length ? this.evalExpr(n.children[0]) : ({ k: 'lit', value: null } as LitV);
        this.frame.returns.push(v);
        return;
      }
      case 'global_statement':
      case 'nonlocal_statement':
        for (const c of n.children) {
          if (c.type === 'identifier') {
            this.frame.globals.add(this.text(c));
          }
        }
        return;
      case 'block':
      case 'module':
        return this.execBlock(n.children);
      case 'ERROR':
        for (const c of n.children) {
          if (/statement|definition|^block$/.test(c.type)) {
            this.execStmt(c);
          } else {
            this.evalTop(c);
          }
        }
        return;
      case 'delete_statement':
        for (const c of n.children) {
          this.deleteTarget(c);
        }
        return;
      case 'pass_statement':
      case 'break_statement':
      case 'continue_statement':
      case 'comment':
        return;
      default:
        // print/assert/raise/delete/exec statements and anything else: evaluate the expressions inside for effects.
        for (const c of n.children) {
          if (c.type !== 'block') {
            this.evalTop(c);
          } else {
            this.execStmt(c);
          }
        }
    }
  }

  /** An expression statement child: an assignment or an expression. */
  protected evalTop(c: PyNode): V {
    if (c.type === 'assignment') {
      return this.execAssign(c);
    }
    if (c.type === 'augmented_assignment') {
      const left = field(c, 'left');
      const right = field(c, 'right');
      const r = right ? this.evalExpr(right) : UNKNOWN;
      if (!left) {
        return r;
      }
      const l = this.evalExpr(left);
      const v = this.combine(l, r);
      this.bind(left, v);
      return v;
    }
    return this.evalExpr(c);
  }

  protected execAssign(n: PyNode): V {
    const left = field(n, 'left');
    const right = field(n, 'right');
    let v: V;
    if (!right) {
      return UNKNOWN;
    }
    if (right.type === 'assignment') {
      v = this.execAssign(right);
    } else if (right.type === 'augmented_assignment') {
      v = this.evalTop(right);
    } else {
      v = this.evalExpr(right);
    }
    if (left) {
      this.bind(left, v);
    }
    return v;
  }

  protected execImport(n: PyNode): void {
    if (n.type === 'import_statement') {
      for (const c of n.children) {
        if (c.type === 'dotted_name') {
          const full = this.text(c).replace(/\s+/g, '');
          this.assign(full.split('.')[0], { k: 'ref', qn: full.split('.')[0] });
        } else if (c.type === 'aliased_import') {
          const name = field(c, 'name');
          const alias = field(c, 'alias');
          if (name && alias) {
            this.assign(this.text(alias), { k: 'ref', qn: this.text(name).replace(/\s+/g, '') });
          }
        }
      }
      return;
    }
    const mod = field(n, 'module_name');
    const modName = mod ? this.text(mod).replace(/\s+/g, '') : '';
    for (const c of n.children) {
      if (c.field !== 'name') {
        continue;
      }
      if (c.type === 'dotted_name') {
        const nm = this.text(c);
        this.assign(nm, { k: 'ref', qn: `${modName}.${nm}` });
      } else if (c.type === 'aliased_import') {
        const name = field(c, 'name');
        const alias = field(c, 'alias');
        if (name && alias) {
          this.assign(this.text(alias), { k: 'ref', qn: `${modName}.${this.text(name)}` });
        }
      }
    }
  }

  // ----- control flow: alternative paths are run from the same environment and their effects joined

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

  /**
   * Runs alternative paths (if/elif/else branches, except handlers, loop bodies) each from the current environment,
   * then sets every variable they changed to the join of its values at the end of each path — plus its value
   * before them when `fallthrough` (an `if` without `else`, a loop that may run zero times). Only changed variables
   * are touched, so the cost does not depend on the size of the environment.
   */
  protected branches(runs: (() => void)[], fallthrough: boolean): void {
    const touched = new Map<Frame, Map<string, V | undefined>>();
    const results: Map<Frame, Map<string, V | undefined>>[] = [];
    for (const run of runs) {
      this.journals.push(new Map());
      try {
        run();
      } finally {
        const j = this.journals.pop()!;
        const after = new Map<Frame, Map<string, V | undefined>>();
        for (const [f, olds] of j) {
          const a = new Map<string, V | undefined>();
          after.set(f, a);
          let t = touched.get(f);
          if (!t) {
            t = new Map();
            touched.set(f, t);
          }
          for (const [k, old] of olds) {
            a.set(k, f.locals.get(k));
            if (!t.has(k)) {
              t.set(k, old);
            }
            if (old === undefined) {
              f.locals.delete(k);
            } else {
              f.locals.set(k, old);
            }
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
          if (nv !== undefined) {
            v = v === undefined ? nv : join(v, nv);
          }
        }
        if (v !== undefined) {
          this.setVar(f, k, v);
        }
      }
    }
  }

  /** Runs code whose bindings must not outlive it (comprehension variables). */
  protected isolated<T>(run: () => T): T {
    this.journals.push(new Map());
    try {
      return run();
    } finally {
      const j = this.journals.pop()!;
      for (const [f, olds] of j) {
        for (const [k, old] of olds) {
          if (old === undefined) {
            f.locals.delete(k);
          } else {
            f.locals.set(k, old);
          }
        }
      }
    }
  }

  protected execIf(n: PyNode): void {
    const cond = field(n, 'condition');
    if (cond) {
      this.evalExpr(cond);
    }
    const runs: (() => void)[] = [];
    const cons = field(n, 'consequence');
    runs.push(() => {
      if (cons) {
        this.execStmt(cons);
      }
    });
    let hasElse = false;
    for (const alt of fields(n, 'alternative')) {
      if (alt.type === 'elif_clause') {
        runs.push(() => {
          const c = field(alt, 'condition');
          if (c) {
            this.evalExpr(c);
          }
          const b = field(alt, 'consequence');
          if (b) {
            this.execStmt(b);
          }
        });
      } else {
        hasElse = true;
        runs.push(() => {
          const b = field(alt, 'body');
          if (b) {
            this.execStmt(b);
          }
        });
      }
    }
    const inPath = (i: number, run: () => void) => () => {
      this.branchPath.push(`${n.id}:${i}`);
      try {
        run();
      } finally {
        this.branchPath.pop();
      }
    };
    this.branches(
      runs.map((r, i) => inPath(i, r)),
      !hasElse,
    );
  }

  protected loopTargets(target: PyNode | undefined): Set<string> {
    const out = new Set<string>();
    const visit = (t: PyNode) => {
      if (t.type === 'identifier') {
        out.add(this.text(t));
      }
      for (const c of t.children) {
        visit(c);
      }
    };
    if (target) {
      visit(target);
    }
    return out;
  }

  /** A loop body, run twice (so values carried from one iteration to the next are seen) unless deeply nested. */
  protected loop(n: PyNode, targets: Set<string>, body: () => void): void {
    this.loops.push({ node: n, targets });
    try {
      const passes = this.budget > 0 && this.loops.length <= 3 ? 2 : 1;
      for (let i = 0; i < passes; i++) {
        this.branches([body], true);
      }
    } finally {
      this.loops.pop();
    }
  }

  protected execFor(n: PyNode): void {
    const left = field(n, 'left');
    const right = field(n, 'right');
    const iter = right ? this.evalExpr(right) : UNKNOWN;
    const elem = this.elementOf(iter);
    const body = field(n, 'body');
    this.forLoop(n, iter);
    this.loop(n, this.loopTargets(left), () => {
      if (left) {
        this.bind(left, elem);
      }
      if (body) {
        this.execStmt(body);
      }
    });
    const alt = field(n, 'alternative');
    const altBody = alt && field(alt, 'body');
    if (altBody) {
      this.execStmt(altBody);
    }
  }

  protected execWhile(n: PyNode): void {
    const cond = field(n, 'condition');
    const body = field(n, 'body');
    this.loop(n, new Set(), () => {
      if (cond) {
        this.evalExpr(cond);
      }
      if (body) {
        this.execStmt(body);
      }
    });
  }

  protected execTry(n: PyNode): void {
    const body = field(n, 'body');
    if (body) {
      this.execStmt(body);
    }
    const handlers: (() => void)[] = [];
    for (const c of n.children) {
      if (c.type === 'except_clause' || c.type === 'except_group_clause') {
        handlers.push(() => {
          for (const x of c.children) {
            if (x.type === 'block') {
              this.execStmt(x);
            } else if (x.field === 'alias') {
              this.bind(x, UNKNOWN);
            } else {
              this.evalExpr(x);
            }
          }
        });
      }
    }
    if (handlers.length) {
      this.branches(handlers, true);
    }
    for (const c of n.children) {
      if (c.type === 'else_clause') {
        const b = field(c, 'body');
        if (b) {
          this.execStmt(b);
        }
      }
      if (c.type === 'finally_clause') {
        for (const b of c.children) {
          this.execStmt(b);
        }
      }
    }
  }

  protected execWith(n: PyNode): void {
    for (const c of n.children) {
      if (c.type === 'with_clause') {
        for (const item of c.children) {
          const value = field(item, 'value');
          if (!value) {
            continue;
          }
          if (value.type === 'as_pattern') {
            const expr = value.children.find(x => x.field !== 'alias');
            const v = expr ? this.evalExpr(expr) : UNKNOWN;
            const alias = field(value, 'alias');
            const target = alias?.children[0];
            if (target) {
              this.bind(target, v.k === 'obj' ? v : UNKNOWN);
            }
          } else {
            this.evalExpr(value);
          }
        }
      } else if (c.type === 'block') {
        this.execStmt(c);
      }
    }
  }

  protected execMatch(n: PyNode): void {
    const subject = field(n, 'subject');
    if (subject) {
      this.evalExpr(subject);
    }
    const runs: (() => void)[] = [];
    for (const b of fields(n, 'body')) {
      for (const cc of b.children) {
        if (cc.type !== 'case_clause') {
          continue;
        }
        runs.push(() => {
          const cons = field(cc, 'consequence');
          if (cons) {
            this.execStmt(cons);
          }
        });
      }
    }
    if (runs.length) {
      this.branches(runs, true);
    }
  }

  protected defineFunction(n: PyNode, isClass: boolean): void {
    const name = field(n, 'name');
    const fv: FuncV = { k: 'func', def: n, closure: this.frame, isClass };
    if (!isClass) {
      this.allDefs.push({ def: n, closure: this.frame });
    }
    if (name) {
      this.assign(this.text(name), fv);
    }
  }

  protected defineClass(n: PyNode): void {
    const sup = field(n, 'superclasses');
    if (sup) {
      for (const c of sup.children) {
        if (c.type !== 'keyword_argument') {
          this.evalExpr(c);
        }
      }
    }
    this.defineFunction(n, true);
    // Methods are analysed later as uncalled functions (with unknown arguments).
    const body = field(n, 'body');
    const saved = this.frame;
    this.frame = new Frame(saved, undefined, n);
    if (body) {
      for (const s of body.children) {
        const def = s.type === 'decorated_definition' ? field(s, 'definition') : s;
        if (def?.type === 'function_definition') {
          this.allDefs.push({ def, closure: saved });
        } else if (def?.type === 'class_definition') {
          this.defineClass(def);
        }
      }
    }
    this.frame = saved;
  }

  // ----- binding

  /** Binds an assignment/loop target to a value (positional unpacking for tuples). */
  protected bind(target: PyNode, v: V): void {
    target = unparen(target);
    switch (target.type) {
      case 'identifier': {
        const name = this.text(target);
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
        if (cur.k === 'data') {
          const updated = derive(cur, {
            taints: unionTaints(cur.taints, taintsOf(v)),
            column: cur.column,
            preds: undefined,
            cols: cur.cols,
          });
          this.rebind(base, this.setItem(updated, keyNodes, keys, v, target));
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
        if (key) {
          this.dottedBound = true;
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

  /** Rebinds the variable behind an expression (`df` in `df['a'] = …`, `df.x` in `df.x.fillna(…, inplace=True)`). */
  protected rebind(expr: PyNode, v: DataV): void {
    expr = unparen(expr);
    if (expr.type === 'identifier') {
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
          this.rebind(
            base,
            derive(cur, { taints: unionTaints(cur.taints, v.taints), column: cur.column, cols: cur.cols }),
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
        return v;
      }
    }
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
        return derive(v, { column: undefined, preds: v.preds });
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

  protected bindParams(def: PyNode, pos: V[], kw: Map<string, V>, unknownArgs: boolean): void {
    const params = field(def, 'parameters');
    if (!params) {
      return;
    }
    let i = 0;
    const fresh = (name: string): V => (unknownArgs ? this.freshData(`param:${def.id}:${name}`) : UNKNOWN);
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
