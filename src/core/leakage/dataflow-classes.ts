/**
 * Classes defined in the analysed code (`dataflow.ts`): an instance remembers its attributes (`self.scaler = …`),
 * its methods are inlined at each call with `self` bound to it (so a wrapper whose `fit` fits a scaler on all rows is
 * followed into, as user functions are), and a PyTorch-style dataset class (`Dataset` subclass, or `__getitem__`
 * with `__len__`) built from data is that data: its rows can be split by `random_split`/`Subset` and loaded.
 */
import { FIT_METHODS } from './knowledge';
import type { Args } from './interpreter';
import type { PyNode } from './parser';
import { CallArgs, classMethods, field } from './syntax';
import { DataV, FuncV, ObjV, V, derive, mergeData, unionTaints } from './values';
import { LibraryCalls } from './dataflow-calls';

interface UserInstance {
  cls: FuncV;
  methods: Map<string, PyNode>;
  /** `self.<name>` values, by the dotted name after `self.`. */
  attrs: Map<string, V>;
}

/** Classes whose instances hold rows of data (iterated by a DataLoader, split by random_split). */
const DATASET_BASE = /\b(Dataset|IterableDataset|TensorDataset|Sequence)\b/;

export abstract class UserClasses extends LibraryCalls {
  private readonly instances = new WeakMap<ObjV, UserInstance>();
  /** The methods being inlined: the name of their `self` parameter, the instance, and the call depth inside them. */
  private readonly methodCtx: { self: string; inst: UserInstance; depth: number }[] = [];

  protected override callValue(fv: V, n: PyNode, a: CallArgs, av: Args): V {
    if (fv.k === 'func' && fv.isClass) {
      return this.instantiateUser(fv, n, a, av);
    }
    return super.callValue(fv, n, a, av);
  }

  protected override objMethod(obj: ObjV, method: string, n: PyNode, a: CallArgs, av: Args): V {
    const inst = this.instances.get(obj);
    const def = inst?.methods.get(method);
    if (!inst || !def) {
      const rows = obj.cat === 'unknown' && method === 'split' ? this.argData(av, false).filter(d => !d.scalar) : [];
      // A splitter of a class the analysis does not know (`X_train, X_test, y_train, y_test = splitter.split(X, y)`):
      // the parts of those rows, which the names they are unpacked into say.
      return rows.length ? mergeData(rows) : super.objMethod(obj, method, n, a, av);
    }
    const out = this.callMethodOf(obj, inst, def, n, av);
    if (FIT_METHODS.has(method)) {
      // What the wrapper was fitted on (for its own predictions when `predict` is inherited).
      const x = this.asData(av.pos[0] ?? av.kw.get('X'));
      if (x) {
        const site = this.site(n);
        obj.fits.push({ node: n, site, part: x.part, roots: x.roots, method, dataText: this.short(a.positional[0]) });
        // A model written by hand (`fit(X, y)` and `predict`): its features must not hold the target either.
        const yNode = a.positional[1] ?? a.keywords.get('y');
        const y = this.asData(av.pos[1] ?? av.kw.get('y'));
        if (y && inst.methods.has('predict') && !this.methodCtx.some(c => c.inst === inst)) {
          this.checkTargetInFeatures(x, y, site, a.positional[0] ?? a.keywords.get('X'), yNode, obj);
        }
      }
    }
    return out;
  }

  protected override objAttribute(base: ObjV, attr: string): V {
    return this.instances.get(base)?.attrs.get(attr) ?? super.objAttribute(base, attr);
  }

  protected override assign(name: string, v: V): void {
    const ctx = this.currentMethod(name);
    if (ctx) {
      ctx.inst.attrs.set(name.slice(ctx.self.length + 1), v);
      return;
    }
    super.assign(name, v);
  }

  protected override lookupDotted(key: string): V | undefined {
    const ctx = this.currentMethod(key);
    return (ctx && ctx.inst.attrs.get(key.slice(ctx.self.length + 1))) ?? super.lookupDotted(key);
  }

  /** The method being inlined when `name` is `self.<attr>` read or written directly in its body. */
  private currentMethod(name: string): { self: string; inst: UserInstance } | undefined {
    const ctx = this.methodCtx[this.methodCtx.length - 1];
    return ctx && this.callStack.length === ctx.depth && name.startsWith(`${ctx.self}.`) ? ctx : undefined;
  }

  private instantiateUser(fv: FuncV, n: PyNode, a: CallArgs, av: Args): V {
    const name = this.text(field(fv.def, 'name') ?? fv.def);
    const obj = this.newObj(name, undefined, n, a);
    const methods = new Map<string, PyNode>();
    for (const m of classMethods(fv.def, this.src)) {
      // Static/class methods and properties are not called with the instance: left to the generic handling.
      if (!/@(staticmethod|classmethod|property)\b/.test(m.decorators)) {
        methods.set(m.name, m.def);
      }
    }
    const inst: UserInstance = { cls: fv, methods, attrs: new Map() };
    this.instances.set(obj, inst);
    const init = methods.get('__init__');
    if (init) {
      this.callMethodOf(obj, inst, init, n, av);
    }
    const sup = field(fv.def, 'superclasses');
    const isDataset =
      (!!sup && DATASET_BASE.test(this.text(sup))) || (methods.has('__getitem__') && methods.has('__len__'));
    if (!isDataset) {
      return obj;
    }
    // A dataset is its rows: the data it was given or keeps, with every statistic used to build it.
    const ds = [...av.pos, ...av.kw.values(), ...inst.attrs.values()]
      .map(v => this.asData(v))
      .filter((d): d is DataV => !!d);
    const all = ds.filter(d => !d.scalar && !d.mask);
    // Built from a part of a split and a resource (word vectors, a vocabulary): the rows are that part's.
    const parted = all.filter(d => d.origin);
    const rows = parted.length ? parted : all;
    if (!rows.length) {
      return obj;
    }
    return derive(mergeData(rows), { taints: unionTaints(...ds.map(d => d.taints)) });
  }

  private callMethodOf(obj: ObjV, inst: UserInstance, def: PyNode, n: PyNode, av: Args): V {
    const params = field(def, 'parameters');
    const first = params?.children.find(c => c.type === 'identifier' || c.type === 'typed_parameter');
    const selfName = first ? this.text(first.type === 'identifier' ? first : (first.children[0] ?? first)) : 'self';
    const mfv: FuncV = { k: 'func', def, closure: inst.cls.closure, isClass: false };
    this.methodCtx.push({ self: selfName, inst, depth: this.callStack.length + 1 });
    try {
      return this.callUser(mfv, n, { pos: [obj, ...av.pos], kw: av.kw });
    } finally {
      this.methodCtx.pop();
    }
  }
}
