/**
 * The generic part of the data-flow analysis: an abstract interpreter of Python over the `PyNode` tree. It knows
 * frames and scopes, statements, control flow (both branches of `if`, loops run twice, `try`, `with`, `match`),
 * assignment targets (tuple unpacking, starred targets, subscripts, dotted names) and user function/class
 * definitions. It knows nothing about ML libraries: what a library call, a data value's attribute or an estimator
 * method does is decided by the subclasses (`evaluator.ts` for expressions and calls, `dataflow.ts` for the ML
 * semantics).
 */
import type { PyNode } from './parser';
import { field, fields } from './syntax';
import { FuncV, LitV, RefV, UNKNOWN, V, join } from './values';
import { Frame, Scopes } from './interpreter-scope';

export { BUILTINS, Frame, MAX_EXPR_DEPTH, MAX_INLINE_DEPTH } from './interpreter-scope';
export type { Args } from './interpreter-scope';

const MAX_STMT_DEPTH = 120;

/**
 * `module.name` (`from module import name`, an attribute of a module): a reference that knows its module and name
 * (unless the name is dotted).
 */
export function libraryRef(module: string, name: string): RefV {
  return name.includes('.')
    ? { k: 'ref', qn: `${module}.${name}` }
    : { k: 'ref', qn: `${module}.${name}`, module, name };
}

export abstract class Interpreter extends Scopes {
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
      this.analyzeUncalled(i);
    }
  }

  /**
   * Analyses `allDefs[i]` with unknown arguments unless it was analysed already, then the functions defined in it
   * and not called from it (depth first, so that a function of the module and all it holds are one unit).
   */
  private analyzeUncalled(i: number): void {
    const { def, closure } = this.allDefs[i];
    if (this.analyzedDefs.has(def) || this.budget <= 0) {
      return;
    }
    this.analyzedDefs.add(def);
    // a function of the module is a unit: re-used from the document's last analysis, or recorded (unitcache.ts)
    const unit = closure === this.global && this.newUnits !== undefined;
    if (unit && this.reuseUnit(def)) {
      return;
    }
    if (unit) {
      this.startUnit();
    }
    const from = this.allDefs.length;
    const saved = this.frame;
    this.frame = new Frame(closure, undefined, def);
    this.bindParams(def, [], new Map(), true);
    this.activeDefs.push(def);
    const body = field(def, 'body');
    if (body) {
      this.runUncalled(def, body);
    }
    this.activeDefs.pop();
    this.frame = saved;
    for (let j = from; j < this.allDefs.length; j++) {
      this.analyzeUncalled(j);
    }
    if (unit) {
      this.endUnit(def);
    }
  }

  /** Replays the recorded unit of `def` when what it read is unchanged (see unitcache.ts). */
  protected reuseUnit(_def: PyNode): boolean {
    return false;
  }
  protected startUnit(): void {}
  protected endUnit(_def: PyNode): void {}

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
        this.assign(nm, libraryRef(modName, nm));
      } else if (c.type === 'aliased_import') {
        const name = field(c, 'name');
        const alias = field(c, 'alias');
        if (name && alias) {
          this.assign(this.text(alias), libraryRef(modName, this.text(name)));
        }
      }
    }
  }

  // ----- control flow: alternative paths are run from the same environment and their effects joined

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
    // `if scaler is None:` with a scaler passed in (a helper reusing fitted transformers): decided, one path.
    const known = cond ? this.noneTest(cond) : undefined;
    if (known === true) {
      if (cons) {
        this.execStmt(cons);
      }
      return;
    }
    if (known === undefined) {
      runs.push(() => {
        if (cons) {
          this.execStmt(cons);
        }
      });
    }
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
    if (!runs.length) {
      return;
    }
    this.branches(
      runs.map((r, i) => inPath(i, r)),
      !hasElse || known === false,
    );
  }

  /** The truth of `name is None` / `name is not None` when the name's value is known to be None or not. */
  private noneTest(cond: PyNode): boolean | undefined {
    const c = cond.type === 'parenthesized_expression' && cond.children.length === 1 ? cond.children[0] : cond;
    if (c.type !== 'comparison_operator' || c.children.length !== 2) {
      return undefined;
    }
    const [left, right] = c.children;
    const op = this.text(c)
      .slice(left.end - c.start, right.start - c.start)
      .trim();
    if (left.type !== 'identifier' || right.type !== 'none' || (op !== 'is' && !/^is\s+not$/.test(op))) {
      return undefined;
    }
    const v = this.lookup(this.text(left));
    const isNone =
      v.k === 'lit' && v.value === null ? true : /^(obj|data|func|list|tuple|dict)$/.test(v.k) ? false : undefined;
    return isNone === undefined ? undefined : op === 'is' ? isNone : !isNone;
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

  /** The body of a function never called from the analysed code (run once, after the module). */
  protected runUncalled(_def: PyNode, body: PyNode): void {
    this.execBlock(body.children);
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
}
