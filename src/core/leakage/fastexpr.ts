/**
 * Expressions, targets and patterns of the fast Python parser (`fastparse.ts`, which adds the statements), with
 * tree-sitter-python's node types, fields, offsets and operator precedences. Throws `Bail` on anything it does not
 * reproduce exactly.
 */
import {
  Bail,
  T_EOF,
  T_NAME,
  T_NEWLINE,
  T_NUM,
  T_OP,
  T_STR,
  Tokens,
  expressionEnd,
  interpolationEnd,
  tokenize,
} from './fastlex';
import type { PyNode } from './parser';
export type N = { -readonly [K in keyof PyNode]: PyNode[K] };

export const KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for ' +
    'from global if import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);

export const COMPARE = new Set(['<', '>', '==', '>=', '<=', '!=']);
export const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '>>=', '<<=', '&=', '^=', '|=', '@=']);
/** Binary operator precedence levels, loosest first, as in tree-sitter-python (`^` binds tighter than `&` there). */
export const BINARY: string[][] = [['|'], ['&'], ['^'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%', '@']];
const BINARY_LEVEL = new Map<string, number>(BINARY.flatMap((ops, level) => ops.map(o => [o, level] as const)));

export function node(type: string, start: number, end: number, children: PyNode[] = []): N {
  return { type, field: null, start, end, children, parent: null, id: 0 };
}

export function withField(n: N, f: string): N {
  n.field = f;
  return n;
}

export class ExprParser {
  protected i = 0;
  protected readonly kind: Uint8Array;
  protected readonly start: Int32Array;
  protected readonly end: Int32Array;
  protected readonly val: string[];

  constructor(
    protected readonly text: string,
    protected readonly t: Tokens,
    protected readonly deadline = Infinity,
  ) {
    this.kind = t.kind;
    this.start = t.start;
    this.end = t.end;
    this.val = t.val;
  }

  // ----- token helpers

  protected isOp(v: string, k = this.i): boolean {
    return this.kind[k] === T_OP && this.val[k] === v;
  }
  protected isName(v: string, k = this.i): boolean {
    return this.kind[k] === T_NAME && this.val[k] === v;
  }
  protected eatOp(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  protected expectOp(v: string): number {
    if (!this.isOp(v)) {
      throw new Bail(`expected ${v}`);
    }
    return this.end[this.i++];
  }
  protected expectName(v: string): void {
    if (!this.isName(v)) {
      throw new Bail(`expected ${v}`);
    }
    this.i++;
  }
  protected identifier(): N {
    if (this.kind[this.i] !== T_NAME || KEYWORDS.has(this.val[this.i])) {
      throw new Bail('expected identifier');
    }
    const n = node('identifier', this.start[this.i], this.end[this.i]);
    this.i++;
    return n;
  }
  protected last(): number {
    return this.end[this.i - 1];
  }

  protected parameters(close: string, typed: boolean): PyNode[] {
    const out: PyNode[] = [];
    while (!this.isOp(close)) {
      const s = this.start[this.i];
      if (this.isOp('*') || this.isOp('**')) {
        const star = this.val[this.i++];
        if (star === '*' && (this.isOp(',') || this.isOp(close))) {
          out.push(node('keyword_separator', s, this.last()));
        } else {
          const id = this.identifier();
          if (this.isOp(':') && typed) {
            throw new Bail('typed splat parameter');
          }
          out.push(node(star === '*' ? 'list_splat_pattern' : 'dictionary_splat_pattern', s, id.end, [id]));
        }
      } else if (this.isOp('/')) {
        this.i++;
        out.push(node('positional_separator', s, this.last()));
      } else {
        const id = this.identifier();
        let type: N | undefined;
        if (typed && this.eatOp(':')) {
          type = withField(this.type(), 'type');
        }
        if (this.eatOp('=')) {
          const value = withField(this.expression(), 'value');
          out.push(
            type
              ? node('typed_default_parameter', s, value.end, [withField(id, 'name'), type, value])
              : node('default_parameter', s, value.end, [withField(id, 'name'), value]),
          );
        } else {
          out.push(type ? node('typed_parameter', s, type.end, [id, type]) : id);
        }
      }
      if (!this.eatOp(',')) {
        break;
      }
    }
    return out;
  }

  /** An annotation (statements only: `Parser` in fastparse.ts overrides this). */
  protected type(): N {
    throw new Bail('annotation in an expression');
  }

  // ----- targets and patterns

  /** Targets of a `for` (up to `in`): a pattern or a pattern_list. */
  protected targets(): N {
    const items: PyNode[] = [];
    let comma = false;
    for (;;) {
      items.push(this.isOp('*') ? this.starred(() => this.primaryTarget()) : this.primaryTarget());
      if (!this.eatOp(',')) {
        break;
      }
      comma = true;
      if (this.isName('in')) {
        break;
      }
    }
    return this.toPatterns({ items, comma, end: this.last() });
  }

  protected primaryTarget(): N {
    return this.bitOr();
  }

  protected toPatterns(x: Items): N {
    if (!x.comma) {
      return this.toPattern(x.items[0]);
    }
    const kids = x.items.map(c => this.toPattern(c as N));
    return node('pattern_list', kids[0].start, x.end, kids);
  }

  protected toPattern(n: N): N {
    switch (n.type) {
      case 'identifier':
      case 'attribute':
      case 'subscript':
        return n;
      case 'tuple':
        n.type = 'tuple_pattern';
        break;
      case 'list':
        n.type = 'list_pattern';
        break;
      case 'list_splat':
        n.type = 'list_splat_pattern';
        break;
      default:
        throw new Bail(`${n.type} as a target`);
    }
    n.children = n.children.map(c => this.toPattern(c as N));
    if (n.type === 'list_splat_pattern' && n.children[0].type !== 'identifier') {
      throw new Bail('starred target');
    }
    return n;
  }

  // ----- expressions

  /** Comma-separated expressions (with `*x`), as written. */
  /**
   * With `rhs`, a trailing comma may end the line (`x = 1,`); elsewhere tree-sitter joins the next line. `*x` items
   * only with `star` (assignment targets).
   */
  protected starExpressions(rhs = false, star = false): Items {
    const items: PyNode[] = [];
    let comma = false;
    for (;;) {
      if (this.isOp('*') && !star) {
        // tree-sitter reads `x = *a, b` differently from Python
        throw new Bail('starred expression list');
      }
      items.push(this.isOp('*') ? this.starred(() => this.expression()) : this.expressionOrYield());
      if (!this.isOp(',')) {
        break;
      }
      this.i++;
      comma = true;
      if (this.atExpressionsEnd()) {
        if (this.kind[this.i] === T_NEWLINE && (!rhs || this.t.blockEnd[this.i] >= 0)) {
          // tree-sitter continues such a statement on the next line
          throw new Bail('trailing comma at the end of a line');
        }
        break;
      }
    }
    return { items, comma, end: this.last() };
  }

  protected atExpressionsEnd(): boolean {
    const k = this.kind[this.i];
    if (k === T_NEWLINE || k === T_EOF) {
      return true;
    }
    if (k === T_OP) {
      const v = this.val[this.i];
      return v === '=' || v === ';' || v === ':' || v === ')' || v === ']' || v === '}' || AUGMENTED.has(v);
    }
    return false;
  }

  protected expressions(listType: string): N {
    return this.listOrSingle(this.starExpressions(), listType);
  }

  protected listOrSingle(x: Items, listType: string): N {
    if (!x.comma) {
      if (x.items[0].type === 'list_splat') {
        throw new Bail('bare starred expression');
      }
      return x.items[0];
    }
    return node(listType, x.items[0].start, x.end, x.items);
  }

  protected starred(inner: () => N): N {
    const s = this.start[this.i++];
    const e = inner();
    return node('list_splat', s, e.end, [e]);
  }

  protected expressionOrYield(): N {
    if (this.isName('yield')) {
      const s = this.start[this.i++];
      if (this.isName('from')) {
        this.i++;
        const e = this.expression();
        return node('yield', s, e.end, [e]);
      }
      if (this.atExpressionsEnd()) {
        return node('yield', s, this.last());
      }
      const e = this.expressions('expression_list');
      return node('yield', s, e.end, [e]);
    }
    return this.expression();
  }

  expression(): N {
    if (this.kind[this.i] === T_NAME) {
      if (this.isOp(':=', this.i + 1)) {
        const name = withField(this.identifier(), 'name');
        this.i++;
        const value = withField(this.expression(), 'value');
        return node('named_expression', name.start, value.end, [name, value]);
      }
      if (this.val[this.i] === 'lambda') {
        return this.lambda();
      }
    }
    const e = this.or();
    if (this.isName('if')) {
      this.i++;
      const cond = this.or();
      this.expectName('else');
      const other = this.expression();
      return node('conditional_expression', e.start, other.end, [e, cond, other]);
    }
    return e;
  }

  protected lambda(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [];
    if (!this.isOp(':')) {
      const ps = this.start[this.i];
      const params = this.parameters(':', false);
      kids.push(withField(node('lambda_parameters', ps, this.last(), params), 'parameters'));
    }
    this.expectOp(':');
    const body = withField(this.expression(), 'body');
    kids.push(body);
    return node('lambda', s, body.end, kids);
  }

  protected or(): N {
    let l = this.and();
    while (this.isName('or')) {
      this.i++;
      const r = this.and();
      l = node('boolean_operator', l.start, r.end, [withField(l, 'left'), withField(r, 'right')]);
    }
    return l;
  }

  protected and(): N {
    let l = this.not();
    while (this.isName('and')) {
      this.i++;
      const r = this.not();
      l = node('boolean_operator', l.start, r.end, [withField(l, 'left'), withField(r, 'right')]);
    }
    return l;
  }

  protected not(): N {
    if (this.isName('not')) {
      const s = this.start[this.i++];
      const a = withField(this.not(), 'argument');
      return node('not_operator', s, a.end, [a]);
    }
    return this.comparison();
  }

  protected comparison(): N {
    const first = this.bitOr();
    let kids: PyNode[] | undefined;
    for (;;) {
      const k = this.i;
      if (this.kind[k] === T_OP && COMPARE.has(this.val[k])) {
        this.i++;
      } else if (this.isName('in')) {
        this.i++;
      } else if (this.isName('not') && this.isName('in', k + 1)) {
        this.i += 2;
      } else if (this.isName('is')) {
        this.i += this.isName('not', k + 1) ? 2 : 1;
      } else {
        break;
      }
      (kids ??= [first]).push(this.bitOr());
    }
    return kids ? node('comparison_operator', first.start, kids[kids.length - 1].end, kids) : first;
  }

  protected bitOr(): N {
    return this.binaryFrom(this.unary(), 0);
  }

  /**
   * `l` and the binary operators of level `level` (index in BINARY) or tighter after it, by precedence climbing:
   * left-associative, the same tree as one descent per level, with one look-up per operand instead of one call and
   * one test per level.
   */
  private binaryFrom(l: N, level: number): N {
    for (;;) {
      const lv = this.kind[this.i] === T_OP ? BINARY_LEVEL.get(this.val[this.i]) : undefined;
      if (lv === undefined || lv < level) {
        return l;
      }
      this.i++;
      const r = this.binaryFrom(this.unary(), lv + 1);
      l = node('binary_operator', l.start, r.end, [withField(l, 'left'), withField(r, 'right')]);
    }
  }

  protected unary(): N {
    if (this.kind[this.i] === T_OP) {
      const v = this.val[this.i];
      if (v === '-' || v === '+' || v === '~') {
        const s = this.start[this.i++];
        const a = withField(this.unary(), 'argument');
        return node('unary_operator', s, a.end, [a]);
      }
    }
    return this.power();
  }

  protected power(): N {
    if (this.isName('await')) {
      throw new Bail('await');
    }
    const b = this.primary();
    if (this.isOp('**')) {
      this.i++;
      const r = this.unary();
      return node('binary_operator', b.start, r.end, [withField(b, 'left'), withField(r, 'right')]);
    }
    return b;
  }

  protected primary(): N {
    let e = this.atom();
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const attr = withField(this.identifierOrKeyword(), 'attribute');
        e = node('attribute', e.start, attr.end, [withField(e, 'object'), attr]);
      } else if (this.isOp('(')) {
        const args = withField(this.argumentList(), 'arguments');
        e = node('call', e.start, args.end, [withField(e, 'function'), args]);
      } else if (this.isOp('[')) {
        this.i++;
        const kids: PyNode[] = [withField(e, 'value')];
        if (this.isOp(']')) {
          throw new Bail('empty subscript');
        }
        do {
          if (this.isOp(']')) {
            break;
          }
          kids.push(withField(this.subscriptItem(), 'subscript'));
        } while (this.eatOp(','));
        e = node('subscript', e.start, this.expectOp(']'), kids);
      } else {
        return e;
      }
    }
  }

  protected identifierOrKeyword(): N {
    if (this.kind[this.i] !== T_NAME) {
      throw new Bail('expected attribute name');
    }
    if (KEYWORDS.has(this.val[this.i])) {
      throw new Bail('keyword as attribute');
    }
    return this.identifier();
  }

  protected subscriptItem(): N {
    const s = this.start[this.i];
    let e: N | undefined;
    if (!this.isOp(':')) {
      if (this.isOp('*')) {
        throw new Bail('starred subscript');
      }
      e = this.expression();
      if (!this.isOp(':')) {
        return e;
      }
    }
    const kids: PyNode[] = e ? [e] : [];
    this.i++;
    if (!this.isOp(':') && !this.isOp(']') && !this.isOp(',')) {
      kids.push(this.expression());
    }
    if (this.eatOp(':') && !this.isOp(']') && !this.isOp(',')) {
      kids.push(this.expression());
    }
    return node('slice', s, this.last(), kids);
  }

  protected argumentList(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [];
    while (!this.isOp(')')) {
      const as = this.start[this.i];
      if (this.isOp('*') || this.isOp('**')) {
        const star = this.val[this.i++];
        const e = this.expression();
        kids.push(node(star === '*' ? 'list_splat' : 'dictionary_splat', as, e.end, [e]));
      } else if (this.kind[this.i] === T_NAME && this.isOp('=', this.i + 1)) {
        const name = withField(this.identifier(), 'name');
        this.i++;
        const value = withField(this.expression(), 'value');
        kids.push(node('keyword_argument', as, value.end, [name, value]));
      } else {
        const e = this.expression();
        if (this.isName('for')) {
          if (kids.length) {
            throw new Bail('generator among arguments');
          }
          const clauses = this.comprehension();
          const end = this.expectOp(')');
          return node('generator_expression', s, end, [withField(e, 'body'), ...clauses]);
        }
        kids.push(e);
      }
      if (!this.eatOp(',')) {
        break;
      }
    }
    return node('argument_list', s, this.expectOp(')'), kids);
  }

  /** `for … in … [if …]…` clauses after a comprehension's body. */
  protected comprehension(): PyNode[] {
    const out: PyNode[] = [];
    while (this.isName('for')) {
      const s = this.start[this.i++];
      const left = withField(this.targets(), 'left');
      this.expectName('in');
      const right = withField(this.or(), 'right');
      if (this.isOp(',')) {
        throw new Bail('several iterables');
      }
      out.push(node('for_in_clause', s, right.end, [left, right]));
      while (this.isName('if')) {
        const is = this.start[this.i++];
        const c = this.or();
        out.push(node('if_clause', is, c.end, [c]));
      }
      if (this.isName('async')) {
        throw new Bail('async comprehension');
      }
    }
    return out;
  }

  protected atom(): N {
    const k = this.kind[this.i];
    const s = this.start[this.i];
    const e = this.end[this.i];
    switch (k) {
      case T_NAME: {
        const v = this.val[this.i];
        if (v === 'True' || v === 'False' || v === 'None') {
          this.i++;
          return node(v === 'None' ? 'none' : v === 'True' ? 'true' : 'false', s, e);
        }
        return this.identifier();
      }
      case T_NUM: {
        this.i++;
        const v = this.val[this.i - 1];
        const float = !/^0[xXoObB]/.test(v) && /[.eE]/.test(v);
        return node(float ? 'float' : 'integer', s, e);
      }
      case T_STR:
        return this.strings();
      case T_OP:
        break;
      default:
        throw new Bail('expected an expression');
    }
    switch (this.val[this.i]) {
      case '(':
        return this.parenthesized();
      case '[':
        return this.bracketed();
      case '{':
        return this.braced();
      case '...':
        this.i++;
        return node('ellipsis', s, e);
      default:
        throw new Bail('expected an expression');
    }
  }

  protected strings(): N {
    const kids: PyNode[] = [];
    while (this.kind[this.i] === T_STR) {
      kids.push(this.string(this.start[this.i], this.end[this.i]));
      this.i++;
    }
    if (kids.length === 1) {
      return kids[0];
    }
    return node('concatenated_string', kids[0].start, kids[kids.length - 1].end, kids);
  }

  protected string(s: number, e: number): N {
    const text = this.text;
    let q = s;
    let fmt = false;
    while (text.charCodeAt(q) !== 34 && text.charCodeAt(q) !== 39) {
      if ((text.charCodeAt(q) | 32) === 102) {
        fmt = true;
      }
      q++;
    }
    if (!fmt) {
      return node('string', s, e);
    }
    const quote = text.charCodeAt(q);
    const triple = text.charCodeAt(q + 1) === quote && text.charCodeAt(q + 2) === quote;
    const bodyEnd = e - (triple ? 3 : 1);
    const kids: PyNode[] = [];
    for (let i = q + (triple ? 3 : 1); i < bodyEnd; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) {
        const d = text.charCodeAt(i + 1);
        if (d === 123 || d === 125) {
          throw new Bail('backslash before a brace in an f-string');
        }
        i++;
      } else if (c === 123) {
        if (text.charCodeAt(i + 1) === 123) {
          i++;
          continue;
        }
        const close = interpolationEnd(text, i + 1, bodyEnd, quote);
        kids.push(this.interpolation(i, close));
        i = close - 1;
      } else if (c === 125) {
        if (text.charCodeAt(i + 1) !== 125) {
          throw new Bail('single } in f-string');
        }
        i++;
      }
    }
    return node('string', s, e, kids);
  }

  /** `{expr[!c][:spec]}` from `open` (the brace) to `close` (after the closing brace). */
  protected interpolation(open: number, close: number): N {
    const exprEnd = expressionEnd(this.text, open + 1, close - 1);
    if (this.text[exprEnd] === '!' && !/^![rsa][:}]/.test(this.text.slice(exprEnd, exprEnd + 3))) {
      throw new Bail('conversion');
    }
    const e = withField(this.embedded(open + 1, exprEnd), 'expression');
    // interpolations nested in the format spec are dropped from the tree, but must parse
    const spec = this.text.indexOf(':', exprEnd);
    if (spec >= 0 && spec < close - 1) {
      for (let i = this.text.indexOf('{', spec); i >= 0 && i < close - 1; i = this.text.indexOf('{', i + 1)) {
        const end = this.text.indexOf('}', i);
        if (end < 0 || end >= close - 1) {
          throw new Bail('format spec');
        }
        this.embedded(i + 1, end);
      }
    }
    return node('interpolation', open, close, [e]);
  }

  /** The single expression in `text[from, to)`. */
  private embedded(from: number, to: number): N {
    const tokens = tokenize(this.text, from, to, true);
    const sub = new ExprParser(this.text, tokens);
    const e = sub.expression();
    if (tokens.kind[sub.i] !== T_EOF) {
      throw new Bail('interpolation');
    }
    return e;
  }

  protected parenthesized(): N {
    const s = this.start[this.i++];
    if (this.isOp(')')) {
      return node('tuple', s, this.end[this.i++]);
    }
    if (this.isName('yield')) {
      const y = this.expressionOrYield();
      return node('parenthesized_expression', s, this.expectOp(')'), [y]);
    }
    const first = this.isOp('*') ? this.starred(() => this.expression()) : this.expression();
    if (this.isName('for')) {
      const clauses = this.comprehension();
      return node('generator_expression', s, this.expectOp(')'), [withField(first, 'body'), ...clauses]);
    }
    if (this.isOp(')')) {
      if (first.type === 'list_splat') {
        throw new Bail('parenthesized star');
      }
      return node('parenthesized_expression', s, this.end[this.i++], [first]);
    }
    const kids = [first, ...this.moreItems(')')];
    return node('tuple', s, this.expectOp(')'), kids);
  }

  /** `, item, item…[,]` up to (not including) `close`. */
  protected moreItems(close: string): PyNode[] {
    const kids: PyNode[] = [];
    while (this.eatOp(',')) {
      if (this.isOp(close)) {
        break;
      }
      kids.push(this.isOp('*') ? this.starred(() => this.expression()) : this.expression());
    }
    return kids;
  }

  protected bracketed(): N {
    const s = this.start[this.i++];
    if (this.isOp(']')) {
      return node('list', s, this.end[this.i++]);
    }
    const first = this.isOp('*') ? this.starred(() => this.expression()) : this.expression();
    if (this.isName('for')) {
      const clauses = this.comprehension();
      return node('list_comprehension', s, this.expectOp(']'), [withField(first, 'body'), ...clauses]);
    }
    const kids = [first, ...this.moreItems(']')];
    return node('list', s, this.expectOp(']'), kids);
  }

  protected braced(): N {
    const s = this.start[this.i++];
    if (this.isOp('}')) {
      return node('dictionary', s, this.end[this.i++]);
    }
    const item = (): N => {
      if (this.isOp('**')) {
        const ds = this.start[this.i++];
        const e = this.bitOr();
        return node('dictionary_splat', ds, e.end, [e]);
      }
      const key = this.expression();
      const ps = key.start;
      this.expectOp(':');
      const value = withField(this.expression(), 'value');
      return node('pair', ps, value.end, [withField(key, 'key'), value]);
    };
    if (this.isOp('**') || !this.isSetStart()) {
      const first = item();
      if (this.isName('for')) {
        if (first.type !== 'pair') {
          throw new Bail('splat comprehension');
        }
        const clauses = this.comprehension();
        return node('dictionary_comprehension', s, this.expectOp('}'), [withField(first, 'body'), ...clauses]);
      }
      const kids: PyNode[] = [first];
      while (this.eatOp(',')) {
        if (this.isOp('}')) {
          break;
        }
        kids.push(item());
      }
      return node('dictionary', s, this.expectOp('}'), kids);
    }
    const first = this.isOp('*') ? this.starred(() => this.expression()) : this.expression();
    if (this.isName('for')) {
      const clauses = this.comprehension();
      return node('set_comprehension', s, this.expectOp('}'), [withField(first, 'body'), ...clauses]);
    }
    const kids = [first, ...this.moreItems('}')];
    return node('set', s, this.expectOp('}'), kids);
  }

  /** Whether the braces hold a set (no `:` at depth 0 before the first `,` / `for` / `}`). */
  protected isSetStart(): boolean {
    let depth = 0;
    for (let k = this.i; k < this.t.count; k++) {
      if (this.kind[k] === T_OP) {
        const v = this.val[k];
        if (v === '(' || v === '[' || v === '{') {
          depth++;
        } else if (v === ')' || v === ']' || v === '}') {
          if (depth-- === 0) {
            return true;
          }
        } else if (depth === 0 && (v === ',' || v === ':=')) {
          return true;
        } else if (depth === 0 && v === ':') {
          return false;
        }
      } else if (depth === 0 && this.kind[k] === T_NAME && (this.val[k] === 'for' || this.val[k] === 'lambda')) {
        return this.val[k] === 'for';
      }
    }
    return true;
  }
}

export interface Items {
  items: PyNode[];
  comma: boolean;
  /** End of the last item or of a trailing comma. */
  end: number;
}

export function single(x: Items): N {
  if (x.comma) {
    throw new Bail('several targets');
  }
  return x.items[0];
}
