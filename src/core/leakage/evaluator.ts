/**
 * Expressions and calls of the generic Python interpreter: literals, containers, operators, comprehensions,
 * attribute and subscript access on containers, calls of user functions (inlined with their arguments, up to a
 * depth) and of Python builtins. What library calls, data values and estimator objects do is left to the
 * ML-semantics subclass (`dataflow.ts`) through the abstract hooks below.
 */
import type { PyNode } from './parser';
import { CallArgs, callArgs, classMethods, field, fields, numberValue, stringValue } from './syntax';
import { DataV, DictV, FuncV, ObjV, RefV, UNKNOWN, V, derive, join, mergeData, unionTaints } from './values';
import { Args, Frame, Interpreter, MAX_EXPR_DEPTH, MAX_INLINE_DEPTH, libraryRef } from './interpreter';

/** Hyperparameter optimisers that call an objective once per trial: optuna, hyperopt, scikit-optimize, bayes_opt. */
const HYPER_OPTIMIZERS = /^(optimize|fmin|gp_minimize|forest_minimize|gbrt_minimize|BayesianOptimization)$/;

/** polars frame methods whose arguments are expressions over the frame's columns (`pl.col('x')`). */
const POLARS_CONTEXTS = /^(with_columns|with_column|select|filter|agg)$/;

/** The keyword values of calls without keyword arguments (read-only, shared). */
const NO_VALUES: ReadonlyMap<string, V> = new Map();

export abstract class Evaluator extends Interpreter {
  /** Frames whose polars expressions are being evaluated (innermost last). */
  protected readonly exprFrames: DataV[] = [];
  /** Functions handed to a hyperparameter optimiser (`study.optimize(objective)`, hyperopt's `fmin(fn=…)`). */
  protected readonly hyperObjectives = new Set<PyNode>();
  /** > 0 while such a function runs: every model built in it has the hyperparameters being tried. */
  protected hyperDepth = 0;
  /** The comprehensions being evaluated and their variables (`[f1(y, p >= t) for t in grid]`), innermost last. */
  protected readonly comprehensions: { node: PyNode; targets: Set<string> }[] = [];
  /** Whether `loop` is a loop or comprehension being evaluated now (its variable takes its values here). */
  protected inLoopNow(loop: PyNode): boolean {
    return this.loops.some(l => l.node === loop) || this.comprehensions.some(c => c.node === loop);
  }
  // ----- hooks for the ML semantics

  /** Comparison of values (`pred != y_test`, masks). */
  protected abstract compare(n: PyNode, vs: V[]): V;
  protected abstract dataAttribute(base: DataV, attr: string): V;
  protected abstract objAttribute(base: ObjV, attr: string): V;
  protected abstract dataSubscript(base: DataV, keyNodes: PyNode[], keys: V[]): V;
  protected abstract refSubscript(base: RefV, keys: V[]): V;
  protected abstract objSubscript(base: ObjV): V;
  /** The receiver of `recv.method(…)`, given an object identity when the method needs one (an unseen model). */
  protected abstract receiver(objNode: PyNode, recv: V, method: string): V;
  /** Instantiates a class defined in the analysed code. */
  protected abstract instantiate(cls: string, n: PyNode, a: CallArgs): V;
  /** Calls an object (a torch/keras model's forward pass). */
  protected abstract callObject(obj: ObjV, av: Args): V;
  /** A call of the library function or class `module.name` (`module` empty for a bare name). */
  protected abstract callLibrary(module: string, name: string, n: PyNode, a: CallArgs, av: Args): V;
  protected abstract objMethod(obj: ObjV, method: string, n: PyNode, a: CallArgs, av: Args): V;
  protected abstract dataMethod(d: DataV, method: string, n: PyNode, a: CallArgs, av: Args, recvNode: PyNode): V;

  // ----- expressions

  evalExpr(n: PyNode): V {
    if (this.exprDepth > MAX_EXPR_DEPTH) {
      return UNKNOWN;
    }
    this.exprDepth++;
    try {
      return this.evalInner(n);
    } finally {
      this.exprDepth--;
    }
  }

  protected evalInner(n: PyNode): V {
    switch (n.type) {
      case 'identifier':
        return this.lookup(this.text(n));
      case 'attribute':
        return this.evalAttribute(n);
      case 'subscript':
        return this.evalSubscript(n);
      case 'call':
        return this.evalCall(n);
      case 'string':
      case 'concatenated_string': {
        this.evalInterpolations(n);
        const s = stringValue(n, this.src);
        return { k: 'lit', value: s };
      }
      case 'integer':
      case 'float':
        return { k: 'lit', value: numberValue(n, this.src) };
      case 'true':
        return { k: 'lit', value: true };
      case 'false':
        return { k: 'lit', value: false };
      case 'none':
        return { k: 'lit', value: null };
      case 'parenthesized_expression':
        return n.children.length ? this.evalExpr(n.children[n.children.length - 1]) : UNKNOWN;
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
      case 'pattern_list': {
        const items: V[] = [];
        for (const c of n.children) {
          if (c.type === 'list_splat' || c.type === 'list_splat_pattern') {
            const inner = c.children[0] ? this.evalExpr(c.children[0]) : UNKNOWN;
            if (inner.k === 'list' || inner.k === 'tuple') {
              items.push(...inner.items);
            } else {
              items.push(this.elementOf(inner));
            }
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
            if (key && key.type !== 'string') {
              this.evalExpr(key);
            }
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
        return this.combine(l ? this.evalExpr(l) : UNKNOWN, r ? this.evalExpr(r) : UNKNOWN, n);
      }
      case 'boolean_operator': {
        const l = field(n, 'left');
        const r = field(n, 'right');
        const lv = l ? this.evalExpr(l) : UNKNOWN;
        const rv = r ? this.evalExpr(r) : UNKNOWN;
        return join(lv, rv);
      }
      case 'unary_operator':
      case 'not_operator':
      case 'await': {
        const arg = n.children[n.children.length - 1];
        const v = arg ? this.evalExpr(arg) : UNKNOWN;
        // (`~test_mask` selects the other rows: a mask, not the part its name says.)
        const flipped = v.k === 'data' && v.part !== 'full' && v.part !== 'unknown' && this.text(n).startsWith('~');
        return (n.type === 'not_operator' || flipped) && v.k === 'data' ? derive(v, { mask: true }) : v;
      }
      case 'comparison_operator':
        return this.compare(
          n,
          n.children.map(c => this.evalExpr(c)),
        );
      case 'conditional_expression': {
        const vs = n.children.map(c => this.evalExpr(c));
        return join(vs[0], vs[2]);
      }
      case 'named_expression': {
        const name = field(n, 'name');
        const value = field(n, 'value');
        const v = value ? this.evalExpr(value) : UNKNOWN;
        if (name) {
          this.bind(name, v);
        }
        return v;
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        return this.evalComprehension(n);
      case 'lambda':
        return { k: 'func', def: n, closure: this.frame, isClass: false };
      case 'keyword_argument': {
        const v = field(n, 'value');
        return v ? this.evalExpr(v) : UNKNOWN;
      }
      case 'list_splat':
      case 'dictionary_splat':
        return n.children[0] ? this.evalExpr(n.children[0]) : UNKNOWN;
      case 'assignment':
        return this.execAssign(n);
      case 'augmented_assignment':
        return this.evalTop(n);
      default:
        for (const c of n.children) {
          this.evalExpr(c);
        }
        return UNKNOWN;
    }
  }

  protected evalInterpolations(n: PyNode): void {
    for (const c of n.children) {
      if (c.type === 'interpolation') {
        const e = field(c, 'expression');
        if (e) {
          this.evalExpr(e);
        }
      } else if (c.type === 'string') {
        this.evalInterpolations(c);
      }
    }
  }

  /** Arithmetic / combination of two values. */
  protected combine(l: V, r: V, _n?: PyNode): V {
    const ld = this.asData(l);
    const rd = this.asData(r);
    if (!ld && !rd) {
      if (l.k === 'list' && r.k === 'list') {
        return { k: 'list', items: [...l.items, ...r.items] };
      }
      return l.k === 'lit' ? l : r.k === 'lit' ? r : UNKNOWN;
    }
    if (ld && rd) {
      const m = mergeData([ld, rd]);
      // Masks combined (`(df.x >= lo) & (df.x <= hi)`) are still a mask: they select rows and carry no values.
      return derive(m, { preds: m.preds, column: ld.column, mask: ld.mask && rd.mask ? true : undefined });
    }
    const d = (ld ?? rd)!;
    return derive(d, { column: d.column, preds: d.preds, cols: d.cols, mask: d.mask });
  }

  protected evalComprehension(n: PyNode): V {
    const depth = this.comprehensions.length;
    try {
      return this.comprehensionValue(n);
    } finally {
      this.comprehensions.length = depth;
    }
  }

  private comprehensionValue(n: PyNode): V {
    return this.isolated(() => {
      const conds: V[] = [];
      for (const c of n.children) {
        if (c.type === 'for_in_clause') {
          const right = field(c, 'right');
          const left = field(c, 'left');
          const iter = right ? this.evalExpr(right) : UNKNOWN;
          if (left) {
            this.bind(left, this.elementOf(iter));
            this.comprehensions.push({ node: n, targets: this.loopTargets(left) });
          }
        } else if (c.type === 'if_clause') {
          for (const x of c.children) {
            conds.push(this.evalExpr(x));
          }
        }
      }
      if (conds.length) {
        this.noteConditions(n, conds);
      }
      const body = field(n, 'body');
      let elem: V = UNKNOWN;
      if (body) {
        if (body.type === 'pair') {
          const k = field(body, 'key');
          const v = field(body, 'value');
          const kd = k ? this.asData(this.evalExpr(k)) : undefined;
          elem = v ? this.evalExpr(v) : UNKNOWN;
          if (kd?.taints.length && elem.k !== 'data' && elem.k !== 'obj' && elem.k !== 'func') {
            // `{name: rank for rank, name in enumerate(order_by_target_median)}`: the pairing holds the keys' order.
            elem = { k: 'data', part: 'unknown', roots: [], taints: kd.taints, scalar: true };
          } else if (kd?.taints.length && elem.k === 'data' && elem.scalar) {
            elem = { ...elem, taints: unionTaints(elem.taints, kd.taints) };
          }
        } else {
          elem = this.evalExpr(body);
        }
      }
      if (n.type === 'dictionary_comprehension') {
        return { k: 'dict', keys: [undefined], items: [elem] };
      }
      return { k: 'list', items: [elem] };
    });
  }

  /** The values of a comprehension's `if` conditions (evaluated with its loop variables bound). */
  protected noteConditions(_n: PyNode, _conds: V[]): void {}

  protected evalAttribute(n: PyNode): V {
    const key = this.dottedBound ? this.dottedKey(n) : undefined;
    if (key) {
      const bound = this.lookupDotted(key);
      if (bound) {
        return bound;
      }
    }
    const objNode = field(n, 'object');
    const attrNode = field(n, 'attribute');
    if (!objNode || !attrNode) {
      return UNKNOWN;
    }
    const base = this.evalExpr(objNode);
    return this.attributeOf(base, this.text(attrNode));
  }

  protected attributeOf(base: V, attr: string): V {
    switch (base.k) {
      case 'ref':
        return libraryRef(base.qn, attr);
      case 'data':
        return this.dataAttribute(base, attr);
      case 'obj':
        return this.objAttribute(base, attr);
      case 'union': {
        let out: V | undefined;
        for (const a of base.alts) {
          out = join(out, this.attributeOf(a, attr));
        }
        return out ?? UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  protected evalSubscript(n: PyNode): V {
    const baseNode = field(n, 'value');
    const keyNodes = fields(n, 'subscript');
    const base = baseNode ? this.evalExpr(baseNode) : UNKNOWN;
    const keys = keyNodes.map(k => this.evalExpr(k));
    return this.subscriptOf(base, keyNodes, keys);
  }

  protected subscriptOf(base: V, keyNodes: PyNode[], keys: V[]): V {
    const k0 = keyNodes[0];
    switch (base.k) {
      case 'list':
      case 'tuple': {
        if (keyNodes.length === 1 && k0) {
          const i = numberValue(k0, this.src);
          if (i !== undefined && Number.isInteger(i)) {
            return base.items[i < 0 ? base.items.length + i : i] ?? UNKNOWN;
          }
          if (k0.type === 'slice') {
            return base;
          }
        }
        return this.elementOf(base);
      }
      case 'dict': {
        const key = k0 ? stringValue(k0, this.src) : undefined;
        if (key !== undefined) {
          for (let i = base.keys.length - 1; i >= 0; i--) {
            if (base.keys[i] === key) {
              return base.items[i];
            }
          }
          if (base.keys.every(k => k !== undefined)) {
            // A key this dict does not have (another dict bound to the same name has it).
            return UNKNOWN;
          }
        }
        let out: V | undefined;
        for (const it of base.items) {
          out = join(out, it);
        }
        return out ?? UNKNOWN;
      }
      case 'data': {
        // A column of a frame built from named columns: the value it was built from.
        const name = base.colValues && keyNodes.length === 1 && k0 ? stringValue(k0, this.src) : undefined;
        const col = name !== undefined ? base.colValues!.get(name) : undefined;
        return col ?? this.dataSubscript(base, keyNodes, keys);
      }
      case 'ref':
        return this.refSubscript(base, keys);
      case 'obj':
        return this.objSubscript(base);
      case 'union': {
        let out: V | undefined;
        for (const a of base.alts) {
          out = join(out, this.subscriptOf(a, keyNodes, keys));
        }
        return out ?? UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  // ----- calls

  protected evalCall(n: PyNode): V {
    const fnNode = field(n, 'function');
    const args = callArgs(n, this.src);
    if (!fnNode) {
      return UNKNOWN;
    }
    if (fnNode.type === 'attribute') {
      const objNode = field(fnNode, 'object');
      const attrNode = field(fnNode, 'attribute');
      if (!objNode || !attrNode) {
        return UNKNOWN;
      }
      const key = this.dottedBound ? this.dottedKey(fnNode) : undefined;
      const bound = key ? this.lookupDotted(key) : undefined;
      if (bound) {
        return this.callValue(bound, n, args, this.evalArgs(args));
      }
      const recvV = this.evalExpr(objNode);
      const method = this.text(attrNode);
      // polars: `pl.col(c)` in the arguments of `df.with_columns(…)`/`select`/`filter` is a column of `df`.
      const exprFrame = recvV.k === 'data' && POLARS_CONTEXTS.test(method);
      if (exprFrame) {
        this.exprFrames.push(recvV);
      }
      let av: Args;
      try {
        av = this.evalArgs(args);
      } finally {
        if (exprFrame) {
          this.exprFrames.pop();
        }
      }
      const recv = this.receiver(objNode, recvV, method);
      this.noteObjective(method, av);
      if (method === 'search' && args.keywords.has('validation_data')) {
        this.searchValidation(n, args, av);
      }
      return this.callMethod(recv, method, n, args, av, objNode);
    }
    const callee = this.text(fnNode);
    const fv = this.unboundCallee(fnNode, this.evalExpr(fnNode), callee);
    const av = this.evalArgs(args);
    // (every name HYPER_OPTIMIZERS takes ends so: the others need no stripping of their dotted prefix)
    if (/(optimize|fmin|minimize|Optimization)$/.test(callee)) {
      this.noteObjective(callee.replace(/^.*\./, ''), av);
    }
    return this.callValue(fv, n, args, av);
  }

  /**
   * A name never bound in the code, called (`load_data(…)` from a star import or another module's cell): a function
   * of a library the analysis does not know, not the dataset an unbound name otherwise stands for.
   */
  private unboundCallee(fnNode: PyNode, v: V, name: string): V {
    if (fnNode.type !== 'identifier' || v.k !== 'data' || v.taints.length || v.roots.length !== 1) {
      return v;
    }
    return this.isUnboundData(v, name) ? { k: 'ref', qn: name } : v;
  }

  /** `tuner.search(X, y, validation_data=(X_val, y_val))` (KerasTuner): trials are chosen on that data. */
  protected searchValidation(_n: PyNode, _a: CallArgs, _av: Args): void {}

  /** Remembers the objective a hyperparameter optimiser calls once per trial (run later as a loop over trials). */
  private noteObjective(name: string, av: Args): void {
    if (!HYPER_OPTIMIZERS.test(name)) {
      return;
    }
    for (const v of [av.pos[0], av.kw.get('fn'), av.kw.get('func'), av.kw.get('f')]) {
      if (v?.k === 'func' && !v.isClass) {
        this.hyperObjectives.add(v.def);
        // `study.optimize(lambda trial: objective(trial, X_train, X_test, …))`: the function it calls is the objective.
        const body = v.def.type === 'lambda' ? field(v.def, 'body') : undefined;
        const fn = body?.type === 'call' ? field(body, 'function') : undefined;
        const called = fn?.type === 'identifier' ? this.evalExpr(fn) : undefined;
        if (called?.k === 'func' && !called.isClass) {
          this.hyperObjectives.add(called.def);
        }
        // (`lambda trial: self._objective(trial, …)` in a method: the method of that name in the same class.)
        const method =
          fn?.type === 'attribute' && this.text(field(fn, 'object') ?? fn) === 'self' && field(fn, 'attribute');
        let cls = v.def.parent;
        while (method && cls && cls.type !== 'class_definition') {
          cls = cls.parent;
        }
        const objective = method && cls && classMethods(cls, this.src).find(m => m.name === this.text(method));
        if (objective) {
          this.hyperObjectives.add(objective.def);
        }
      }
    }
  }

  /** An optimiser's objective runs as a loop over trials whose models vary (see `newObj`). */
  protected override runUncalled(def: PyNode, body: PyNode): void {
    if (!this.hyperObjectives.has(def)) {
      super.runUncalled(def, body);
      return;
    }
    const first = field(def, 'parameters')?.children.find(c =>
      /^(identifier|typed_parameter|default_parameter)$/.test(c.type),
    );
    const param = first?.type === 'identifier' ? first : first?.children.find(c => c.type === 'identifier');
    this.hyperDepth++;
    try {
      this.loop(def, new Set(param ? [this.text(param)] : []), () => this.execBlock(body.children));
    } finally {
      this.hyperDepth--;
    }
  }

  /** Argument values: positional and keyword. */
  protected evalArgs(a: CallArgs): Args {
    const pos = a.positional.map(p => this.evalExpr(p));
    let kw: ReadonlyMap<string, V> = NO_VALUES;
    if (a.keywords.size) {
      const m = new Map<string, V>();
      for (const [k, v] of a.keywords) {
        m.set(k, this.evalExpr(v));
      }
      kw = m;
    }
    if (a.splat && a.list) {
      for (const c of a.list.children) {
        if ((c.type === 'list_splat' || c.type === 'dictionary_splat') && c.children[0]) {
          this.evalExpr(c.children[0]);
        }
      }
    }
    return { pos, kw };
  }

  /** Gives an unknown receiver of `fit`/`predict` an object identity (a model defined where we cannot see it). */
  protected callValue(fv: V, n: PyNode, a: CallArgs, av: Args): V {
    switch (fv.k) {
      case 'func':
        return fv.isClass
          ? this.instantiate(this.text(field(fv.def, 'name') ?? fv.def), n, a)
          : this.callUser(fv, n, av);
      case 'ref': {
        if (fv.name !== undefined) {
          return this.callLibrary(fv.module!, fv.name, n, a, av);
        }
        const dot = fv.qn.lastIndexOf('.');
        return this.callLibrary(dot >= 0 ? fv.qn.slice(0, dot) : '', fv.qn.slice(dot + 1), n, a, av);
      }
      case 'obj':
        return this.callObject(fv, av);
      case 'union': {
        let out: V | undefined;
        for (const alt of fv.alts) {
          out = join(out, this.callValue(alt, n, a, av));
        }
        return out ?? UNKNOWN;
      }
      default: {
        const ds = this.argData(av);
        return ds.length ? mergeData(ds) : UNKNOWN;
      }
    }
  }

  /** Inlines a call to a function defined in the analysed code. */
  protected callUser(fv: FuncV, n: PyNode, av: Args): V {
    const def = fv.def;
    if (this.callStack.length >= MAX_INLINE_DEPTH || this.activeDefs.includes(def) || this.budget <= 0) {
      const ds = this.argData(av);
      return ds.length ? mergeData(ds) : UNKNOWN;
    }
    this.analyzedDefs.add(def);
    if (this.reusedDefs?.has(def)) {
      this.reuseBroken = true;
    }
    // its standalone analysis (if already run) was not all there is to know about it: not re-used next time
    this.newUnits?.delete(def);
    const saved = this.frame;
    const savedLoops = this.loops;
    this.frame = new Frame(fv.closure as Frame, n, def);
    this.callStack.push(n);
    this.activeDefs.push(def);
    try {
      this.bindParams(def, av.pos, av.kw, false);
      const body = field(def, 'body');
      if (body && def.type === 'lambda') {
        this.frame.returns.push(this.evalExpr(body));
      } else if (body) {
        this.execBlock(body.children);
      }
      let out: V | undefined;
      for (const r of this.frame.returns) {
        out = join(out, r);
      }
      const changed = this.changedArguments(n);
      this.frame = saved;
      // A frame passed by name and changed in place by the function (`df['age'] = df['age'].fillna(…)` in a
      // helper) is changed for the caller too: what the change computed reaches the caller's variable.
      for (const [argNode, v] of changed) {
        const cur = this.asData(this.evalExpr(argNode));
        if (cur) {
          const taints = unionTaints(cur.taints, v.taints);
          this.rebind(argNode, derive(cur, { taints, column: cur.column, cols: cur.cols, preds: cur.preds }));
        }
      }
      return out ?? { k: 'lit', value: null };
    } finally {
      this.frame = saved;
      this.loops = savedLoops;
      this.callStack.pop();
      this.activeDefs.pop();
    }
  }

  /** Names passed as positional arguments whose parameter the running function changed in place, not rebound. */
  private changedArguments(call: PyNode): [PyNode, DataV][] {
    const args = callArgs(call, this.src);
    if (args.splat || args.list?.type !== 'argument_list') {
      return [];
    }
    const out: [PyNode, DataV][] = [];
    // the parameters bindParams bound to the positional arguments, in order
    this.frame.positional.forEach((name, i) => {
      const a = args.positional[i];
      const v = this.frame.mutated.has(name) && !this.frame.reassigned.has(name) && this.frame.locals.get(name);
      if (a?.type === 'identifier' && v && v.k === 'data' && v.taints.length) {
        out.push([a, v]);
      }
    });
    return out;
  }

  protected callMethod(recv: V, method: string, n: PyNode, a: CallArgs, av: Args, recvNode: PyNode): V {
    switch (recv.k) {
      case 'union': {
        let out: V | undefined;
        for (const alt of recv.alts) {
          out = join(out, this.callMethod(alt, method, n, a, av, recvNode));
        }
        return out ?? UNKNOWN;
      }
      case 'ref':
        return this.callLibrary(recv.qn, method, n, a, av);
      case 'obj':
        // Keras' `datagen.flow_from_directory('faces/test')`: the images of that folder (its name says the part).
        return /^flow_from_(directory|dataframe)$/.test(method)
          ? this.callLibrary('keras', method, n, a, av)
          : this.objMethod(recv, method, n, a, av);
      case 'data':
        return this.dataMethod(recv, method, n, a, av, recvNode);
      case 'func': {
        // `Prep.scale(df, cols)`: a static or class method of a class defined here (a class method gets the class).
        const m = recv.isClass ? classMethods(recv.def, this.src).find(x => x.name === method) : undefined;
        if (!m) {
          return UNKNOWN;
        }
        const fv: FuncV = { k: 'func', def: m.def, closure: recv.closure, isClass: false };
        return this.callUser(fv, n, /@classmethod\b/.test(m.decorators) ? { pos: [recv, ...av.pos], kw: av.kw } : av);
      }
      case 'list':
      case 'tuple': {
        if (method === 'append' || method === 'add') {
          if (recv.k === 'list') {
            recv.items.push(av.pos[0] ?? UNKNOWN);
          }
          return { k: 'lit', value: null };
        }
        if (method === 'extend' && recv.k === 'list') {
          const o = av.pos[0];
          if (o && (o.k === 'list' || o.k === 'tuple')) {
            recv.items.push(...o.items);
          }
          return { k: 'lit', value: null };
        }
        if (method === 'pop') {
          return this.elementOf(recv);
        }
        if (method === 'copy') {
          return { k: recv.k, items: [...recv.items] };
        }
        return UNKNOWN;
      }
      case 'dict': {
        if (method === 'items') {
          return {
            k: 'list',
            items: [
              { k: 'tuple', items: [{ k: 'lit', value: undefined }, this.elementOf({ k: 'list', items: recv.items })] },
            ],
          };
        }
        if (method === 'values') {
          return { k: 'list', items: [...recv.items] };
        }
        if (method === 'keys') {
          return { k: 'list', items: recv.keys.map(k => ({ k: 'lit', value: k })) };
        }
        if (method === 'get' || method === 'pop' || method === 'setdefault') {
          const key = a.positional[0] ? stringValue(a.positional[0], this.src) : undefined;
          const i = key !== undefined ? recv.keys.lastIndexOf(key) : -1;
          return i >= 0 ? recv.items[i] : join(this.elementOf({ k: 'list', items: recv.items }), av.pos[1]);
        }
        if (method === 'update') {
          const o = av.pos[0];
          if (o?.k === 'dict') {
            recv.keys.push(...o.keys);
            recv.items.push(...o.items);
          }
          for (const [k, v] of av.kw) {
            recv.keys.push(k);
            recv.items.push(v);
          }
          return { k: 'lit', value: null };
        }
        return UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  protected callBuiltin(name: string, a: CallArgs, av: Args): V {
    const first = av.pos[0];
    switch (name) {
      case 'len':
      case 'int':
      case 'float':
      case 'str':
      case 'bool':
      case 'isinstance':
      case 'hash':
      case 'id':
      case 'print':
      case 'repr':
        return { k: 'lit', value: undefined };
      case 'range':
        return { k: 'list', items: [{ k: 'lit', value: undefined }] };
      case 'list':
      case 'tuple':
      case 'sorted':
      case 'reversed':
      case 'set':
      case 'iter':
      case 'frozenset':
        if (!first) {
          return { k: 'list', items: [] };
        }
        if (first.k === 'list' || first.k === 'tuple') {
          return { k: 'list', items: first.items };
        }
        if (first.k === 'dict') {
          return { k: 'list', items: first.keys.map(k => ({ k: 'lit', value: k })) };
        }
        return first;
      case 'next':
        return first ? this.elementOf(first) : UNKNOWN;
      case 'zip': {
        const cols = av.pos.map(p => this.elementOf(p));
        return { k: 'list', items: [{ k: 'tuple', items: cols }] };
      }
      case 'enumerate':
        return {
          k: 'list',
          items: [{ k: 'tuple', items: [{ k: 'lit', value: undefined }, first ? this.elementOf(first) : UNKNOWN] }],
        };
      case 'dict': {
        const d: DictV = { k: 'dict', keys: [], items: [] };
        for (const [k, v] of av.kw) {
          d.keys.push(k);
          d.items.push(v);
        }
        return d;
      }
      case 'max':
      case 'min':
      case 'sum':
      case 'abs':
      case 'round':
      case 'pow':
        if (first && (first.k === 'list' || first.k === 'tuple')) {
          return this.elementOf(first);
        }
        return first ?? UNKNOWN;
      case 'getattr':
        return first && a.positional[1]
          ? this.attributeOf(first, stringValue(a.positional[1], this.src) ?? '')
          : UNKNOWN;
      case 'map':
      case 'filter':
        return { k: 'list', items: [UNKNOWN] };
      default:
        return UNKNOWN;
    }
  }
}
