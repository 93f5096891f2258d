/**
 * A fast Python parser for syntactically valid code that builds exactly the `PyNode` tree the tree-sitter path of
 * `parser.ts` builds (tree-sitter-python's named nodes and fields, without comments and string internals).
 *
 * tree-sitter compiled to WebAssembly needs about 6× the time of CPython's `ast.parse`, which alone is more than the
 * analyzer's budget for workspace lint. This recursive-descent parser over `fastlex.ts`'s tokens covers the Python
 * that ML scripts and notebooks are written in; on anything else (a syntax error, Python 2 `print`, `match`,
 * `async`, type parameters and subscripted annotations, non-ASCII identifiers, tabs…) it gives up (`Bail`) and the
 * caller parses with tree-sitter, whose error recovery it does not imitate. Unit and fuzz tests compare both trees
 * node for node on the corpora and on random programs.
 */
import { Bail, T_DEDENT, T_EOF, T_INDENT, T_NAME, T_NEWLINE, T_NUM, T_OP, T_STR, Tokens, tokenize } from './fastlex';
import type { PyNode } from './parser';
import { AUGMENTED, ExprParser, Items, KEYWORDS, N, node, single, withField } from './fastexpr';

/** Words tree-sitter-python treats specially at the start of a statement (Python 2 statements, soft keywords). */
const SPECIAL_START = new Set(['print', 'exec', 'match', 'case', 'type']);

class Parser extends ExprParser {
  // ----- statements

  /** The module's statements so far, and how many of them (and the tokens before `doneTok`) are complete. */
  readonly body: PyNode[] = [];
  done = 0;
  doneTok = 0;

  /** The complete statements when the parse gave up (see `FastPrefix`). */
  completed(): FastPrefix {
    const body = this.body.slice(0, this.done);
    let t = this.doneTok;
    while (this.kind[t] === T_NEWLINE) {
      t++;
    }
    const next = this.start[t];
    const first = this.t.firstComment >= 0 ? Math.min(this.t.firstComment, body[0].start) : body[0].start;
    const root = node('module', first, next, body);
    finish(root);
    return { root, next };
  }

  module(): N {
    const body = this.body;
    while (this.kind[this.i] !== T_EOF) {
      if ((body.length & 31) === 31 && performance.now() > this.deadline) {
        throw new TimedOut();
      }
      if (this.kind[this.i] === T_NEWLINE) {
        this.i++;
        continue;
      }
      this.statement(body);
      this.done = body.length;
      this.doneTok = this.i;
    }
    if (!body.length) {
      if (this.text.includes('\\')) {
        throw new Bail('line continuation in an empty module');
      }
      return node('module', this.t.firstComment >= 0 ? this.t.firstComment : this.text.length, this.text.length);
    }
    const first = this.t.firstComment >= 0 ? Math.min(this.t.firstComment, body[0].start) : body[0].start;
    return node('module', first, this.text.length, body);
  }

  protected statement(out: PyNode[]): void {
    const k = this.kind[this.i];
    if (k === T_INDENT || k === T_DEDENT) {
      throw new Bail('unexpected indentation');
    }
    if (k === T_OP && this.val[this.i] === '@') {
      out.push(this.decorated());
      return;
    }
    if (k === T_NAME) {
      switch (this.val[this.i]) {
        case 'if':
          out.push(this.ifStatement());
          return;
        case 'for':
          out.push(this.forStatement());
          return;
        case 'while':
          out.push(this.whileStatement());
          return;
        case 'try':
          out.push(this.tryStatement());
          return;
        case 'with':
          out.push(this.withStatement());
          return;
        case 'def':
          out.push(this.functionDefinition());
          return;
        case 'class':
          out.push(this.classDefinition());
          return;
        case 'async':
          throw new Bail('async');
        default:
          break;
      }
    }
    this.simpleStatements(out);
  }

  /** Simple statements separated by `;` up to the end of the line; returns the NEWLINE token's comment end. */
  protected simpleStatements(out: PyNode[]): number {
    for (;;) {
      out.push(this.simpleStatement());
      if (!this.eatOp(';')) {
        break;
      }
      if (this.kind[this.i] === T_NEWLINE) {
        throw new Bail('trailing semicolon');
      }
    }
    if (this.kind[this.i] !== T_NEWLINE) {
      throw new Bail('expected end of line');
    }
    return this.t.blockEnd[this.i++];
  }

  protected simpleStatement(): N {
    const s = this.start[this.i];
    if (this.kind[this.i] === T_NAME) {
      const v = this.val[this.i];
      if (v === 'print' && this.isPrintStatement()) {
        return this.printStatement();
      }
      if (SPECIAL_START.has(v) && !this.plainUse()) {
        throw new Bail(`statement starting with ${v}`);
      }
      switch (v) {
        case 'pass':
        case 'break':
        case 'continue':
          this.i++;
          return node(`${v}_statement`, s, this.last());
        case 'return': {
          this.i++;
          const kids = this.atStatementEnd() ? [] : [this.expressions('expression_list')];
          return node('return_statement', s, this.last(), kids);
        }
        case 'del': {
          this.i++;
          const target = this.expressions('expression_list');
          if (target.children.some(c => c.type === 'list_splat')) {
            throw new Bail('starred del');
          }
          return node('delete_statement', s, target.end, [target]);
        }
        case 'global':
        case 'nonlocal': {
          this.i++;
          const kids = [this.identifier()];
          while (this.eatOp(',')) {
            kids.push(this.identifier());
          }
          return node(`${v}_statement`, s, this.last(), kids);
        }
        case 'raise': {
          this.i++;
          const kids: PyNode[] = [];
          if (!this.atStatementEnd()) {
            kids.push(this.expressions('expression_list'));
            if (this.isName('from')) {
              this.i++;
              kids.push(withField(this.expression(), 'cause'));
            }
          }
          return node('raise_statement', s, this.last(), kids);
        }
        case 'assert': {
          this.i++;
          const kids = [this.expression()];
          if (this.eatOp(',')) {
            kids.push(this.expression());
          }
          return node('assert_statement', s, this.last(), kids);
        }
        case 'import':
          return this.importStatement();
        case 'from':
          return this.importFrom();
        default:
          break;
      }
    }
    return this.expressionStatement();
  }

  /** Python 2 `print x, y` (with a name, string or number after `print`). */
  protected isPrintStatement(): boolean {
    const k = this.kind[this.i + 1];
    const v = this.val[this.i + 1];
    return k === T_STR || k === T_NUM || (k === T_NAME && !KEYWORDS.has(v));
  }

  protected printStatement(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [];
    do {
      kids.push(withField(this.expression(), 'argument'));
    } while (this.eatOp(','));
    return node('print_statement', s, this.last(), kids);
  }

  /** A special word used as a plain name: `print(…)` alone, `type = …`, `match.group(…)`. */
  protected plainUse(): boolean {
    const v = this.val[this.i];
    const next = this.i + 1;
    if (v === 'print' || v === 'exec') {
      if (!this.isOp('(', next)) {
        return false;
      }
      // the call must be the whole statement, without unpacked arguments
      let depth = 0;
      let k = next;
      for (; k < this.t.count; k++) {
        if (this.kind[k] === T_OP) {
          const o = this.val[k];
          if ((o === '*' || o === '**') && depth === 1 && (this.isOp('(', k - 1) || this.isOp(',', k - 1))) {
            return false;
          }
          if (o === '(' || o === '[' || o === '{') {
            depth++;
          } else if ((o === ')' || o === ']' || o === '}') && --depth === 0) {
            break;
          }
        }
      }
      return this.kind[k + 1] === T_NEWLINE || this.isOp(';', k + 1);
    }
    const nk = this.kind[next];
    const nv = this.val[next];
    if (nk !== T_OP || (!['=', '.', '(', '[', ','].includes(nv) && !AUGMENTED.has(nv))) {
      return false;
    }
    return v === 'type' || this.lineDoesNotEndWithColon();
  }

  protected lineDoesNotEndWithColon(): boolean {
    let k = this.i;
    while (this.kind[k] !== T_NEWLINE && this.kind[k] !== T_EOF) {
      k++;
    }
    return !this.isOp(':', k - 1);
  }

  protected atStatementEnd(): boolean {
    return this.kind[this.i] === T_NEWLINE || this.isOp(';');
  }

  protected expressionStatement(): N {
    const s = this.start[this.i];
    const first = this.starExpressions(false, true);
    if (this.isOp('=')) {
      const a = this.assignmentFrom(first);
      return node('expression_statement', s, a.end, [a]);
    }
    if (this.isOp(':')) {
      this.i++;
      const left = withField(this.toPattern(single(first)), 'left');
      const type = withField(this.type(), 'type');
      const kids: PyNode[] = [left, type];
      if (this.eatOp('=')) {
        kids.push(withField(this.rightHandSide(), 'right'));
      }
      const a = node('assignment', s, this.last(), kids);
      return node('expression_statement', s, a.end, [a]);
    }
    if (this.kind[this.i] === T_OP && AUGMENTED.has(this.val[this.i])) {
      this.i++;
      const left = withField(this.toPattern(single(first)), 'left');
      const right = withField(this.rightHandSide(), 'right');
      const a = node('augmented_assignment', s, right.end, [left, right]);
      return node('expression_statement', s, a.end, [a]);
    }
    if (first.items.some(c => c.type === 'list_splat')) {
      throw new Bail('starred expression statement');
    }
    return node('expression_statement', s, this.last(), first.items);
  }

  /** `targets = right` (chained assignments nest to the right). */
  protected assignmentFrom(first: Items): N {
    this.expectOp('=');
    const left = withField(this.toPatterns(first), 'left');
    const rhs = this.starExpressions(true);
    const right = this.isOp('=') ? this.assignmentFrom(rhs) : this.listOrSingle(rhs, 'expression_list');
    return node('assignment', left.start, right.end, [left, withField(right, 'right')]);
  }

  protected rightHandSide(): N {
    const rhs = this.starExpressions(true);
    if (this.isOp('=')) {
      return this.assignmentFrom(rhs);
    }
    return this.listOrSingle(rhs, 'expression_list');
  }

  protected override type(): N {
    return this.typeOf(this.expression());
  }

  /** An annotation as tree-sitter-python shapes it: `type`, with `generic_type` for `Name[…]`. */
  protected typeOf(e: N): N {
    switch (e.type) {
      case 'identifier':
      case 'attribute':
      case 'string':
      case 'none':
      case 'ellipsis':
        return node('type', e.start, e.end, [e]);
      case 'binary_operator': {
        const simple = (c: PyNode) => c.type === 'identifier' || c.type === 'attribute' || c.type === 'none';
        if (simple(e.children[0]) && simple(e.children[1]) && this.text[e.children[0].end] !== '[') {
          return node('type', e.start, e.end, [e]);
        }
        break;
      }
      case 'subscript': {
        const [value, ...items] = e.children as N[];
        if (value.type !== 'identifier' || this.text[value.end] !== '[') {
          break;
        }
        value.field = null;
        const params = items.map(c => {
          c.field = null;
          return this.typeOf(c);
        });
        const tp = node('type_parameter', value.end, e.end, params);
        return node('type', e.start, e.end, [node('generic_type', e.start, e.end, [value, tp])]);
      }
      default:
        break;
    }
    throw new Bail('complex annotation');
  }

  protected importStatement(): N {
    const s = this.start[this.i++];
    const kids = [this.importName()];
    while (this.eatOp(',')) {
      kids.push(this.importName());
    }
    return node('import_statement', s, this.last(), kids);
  }

  protected importName(): N {
    const name = this.dottedName();
    if (this.isName('as')) {
      this.i++;
      const alias = withField(this.identifier(), 'alias');
      return withField(node('aliased_import', name.start, alias.end, [withField(name, 'name'), alias]), 'name');
    }
    return withField(name, 'name');
  }

  protected dottedName(): N {
    const kids = [this.identifier()];
    while (this.isOp('.')) {
      this.i++;
      kids.push(this.identifier());
    }
    return node('dotted_name', kids[0].start, kids[kids.length - 1].end, kids);
  }

  protected importFrom(): N {
    const s = this.start[this.i++];
    let module: N;
    if (this.isOp('.') || this.isOp('...')) {
      const ps = this.start[this.i];
      while (this.isOp('.') || this.isOp('...')) {
        this.i++;
      }
      const prefix = node('import_prefix', ps, this.last());
      const kids: PyNode[] = [prefix];
      if (!this.isName('import')) {
        kids.push(this.dottedName());
      }
      module = node('relative_import', ps, this.last(), kids);
    } else {
      module = this.dottedName();
    }
    const future = this.text.slice(module.start, module.end) === '__future__';
    const kids: PyNode[] = future ? [] : [withField(module, 'module_name')];
    this.expectName('import');
    if (this.isOp('*')) {
      kids.push(node('wildcard_import', this.start[this.i], this.end[this.i]));
      this.i++;
    } else {
      const paren = this.eatOp('(');
      kids.push(this.importName());
      while (this.eatOp(',')) {
        if (paren && this.isOp(')')) {
          break;
        }
        kids.push(this.importName());
      }
      if (paren) {
        this.expectOp(')');
      }
    }
    if (future && kids.some(k => k.type === 'wildcard_import')) {
      throw new Bail('future wildcard');
    }
    return node(future ? 'future_import_statement' : 'import_from_statement', s, this.last(), kids);
  }

  /** `:` and a block: an indented one, or simple statements on the same line. */
  protected block(): N {
    this.expectOp(':');
    if (this.kind[this.i] !== T_NEWLINE) {
      const kids: PyNode[] = [];
      const comment = this.simpleStatements(kids);
      return node('block', kids[0].start, Math.max(kids[kids.length - 1].end, comment), kids);
    }
    this.i++;
    if (this.kind[this.i] !== T_INDENT) {
      throw new Bail('expected an indented block');
    }
    this.i++;
    const kids: PyNode[] = [];
    while (this.kind[this.i] !== T_DEDENT) {
      if (this.kind[this.i] === T_EOF) {
        throw new Bail('eof in block');
      }
      this.statement(kids);
    }
    const ext = this.t.blockEnd[this.i++];
    return node('block', kids[0].start, Math.max(kids[kids.length - 1].end, ext), kids);
  }

  protected ifStatement(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [withField(this.expression(), 'condition'), withField(this.block(), 'consequence')];
    while (this.isName('elif')) {
      const es = this.start[this.i++];
      const cond = withField(this.expression(), 'condition');
      const body = withField(this.block(), 'consequence');
      kids.push(withField(node('elif_clause', es, body.end, [cond, body]), 'alternative'));
    }
    if (this.isName('else')) {
      kids.push(withField(this.elseClause(), 'alternative'));
    }
    return node('if_statement', s, kids[kids.length - 1].end, kids);
  }

  protected elseClause(): N {
    const s = this.start[this.i++];
    const body = withField(this.block(), 'body');
    return node('else_clause', s, body.end, [body]);
  }

  protected forStatement(): N {
    const s = this.start[this.i++];
    const left = withField(this.targets(), 'left');
    this.expectName('in');
    const right = withField(this.listOrSingle(this.starExpressions(), 'expression_list'), 'right');
    const kids: PyNode[] = [left, right, withField(this.block(), 'body')];
    if (this.isName('else')) {
      kids.push(withField(this.elseClause(), 'alternative'));
    }
    return node('for_statement', s, kids[kids.length - 1].end, kids);
  }

  protected whileStatement(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [withField(this.expression(), 'condition'), withField(this.block(), 'body')];
    if (this.isName('else')) {
      kids.push(withField(this.elseClause(), 'alternative'));
    }
    return node('while_statement', s, kids[kids.length - 1].end, kids);
  }

  protected tryStatement(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [withField(this.block(), 'body')];
    while (this.isName('except')) {
      const es = this.start[this.i++];
      if (this.isOp('*')) {
        throw new Bail('except*');
      }
      const ek: PyNode[] = [];
      if (!this.isOp(':')) {
        const value = this.expression();
        if (this.isName('as')) {
          this.i++;
          const target = this.identifier();
          const alias = withField(node('as_pattern_target', target.start, target.end, [target]), 'alias');
          ek.push(withField(node('as_pattern', value.start, alias.end, [value, alias]), 'value'));
        } else if (this.isOp(',')) {
          throw new Bail('python 2 except');
        } else {
          ek.push(withField(value, 'value'));
        }
      }
      const body = this.block();
      ek.push(body);
      kids.push(node('except_clause', es, body.end, ek));
    }
    if (this.isName('else')) {
      kids.push(this.elseClause());
    }
    if (this.isName('finally')) {
      const fs = this.start[this.i++];
      const body = this.block();
      kids.push(node('finally_clause', fs, body.end, [body]));
    }
    if (kids.length === 1) {
      throw new Bail('try without handlers');
    }
    return node('try_statement', s, kids[kids.length - 1].end, kids);
  }

  protected withStatement(): N {
    const s = this.start[this.i++];
    if (this.isOp('(')) {
      throw new Bail('parenthesized with');
    }
    const items: PyNode[] = [];
    do {
      const value = this.expression();
      let v: N = value;
      if (this.isName('as')) {
        this.i++;
        const target = this.primaryTarget();
        const alias = withField(node('as_pattern_target', target.start, target.end, [target]), 'alias');
        v = node('as_pattern', value.start, alias.end, [value, alias]);
      }
      items.push(node('with_item', v.start, v.end, [withField(v, 'value')]));
    } while (this.eatOp(','));
    const clause = node('with_clause', items[0].start, items[items.length - 1].end, items);
    const body = withField(this.block(), 'body');
    return node('with_statement', s, body.end, [clause, body]);
  }

  protected functionDefinition(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [withField(this.identifier(), 'name')];
    if (this.isOp('[')) {
      throw new Bail('type parameters');
    }
    const ps = this.start[this.i];
    this.expectOp('(');
    const params = this.parameters(')', true);
    kids.push(withField(node('parameters', ps, this.expectOp(')'), params), 'parameters'));
    if (this.eatOp('->')) {
      kids.push(withField(this.type(), 'return_type'));
    }
    kids.push(withField(this.block(), 'body'));
    return node('function_definition', s, kids[kids.length - 1].end, kids);
  }

  protected classDefinition(): N {
    const s = this.start[this.i++];
    const kids: PyNode[] = [withField(this.identifier(), 'name')];
    if (this.isOp('[')) {
      throw new Bail('type parameters');
    }
    if (this.isOp('(')) {
      kids.push(withField(this.argumentList(), 'superclasses'));
    }
    kids.push(withField(this.block(), 'body'));
    return node('class_definition', s, kids[kids.length - 1].end, kids);
  }

  protected decorated(): N {
    const s = this.start[this.i];
    const kids: PyNode[] = [];
    while (this.isOp('@')) {
      const ds = this.start[this.i++];
      const e = this.expression();
      if (this.kind[this.i] !== T_NEWLINE) {
        throw new Bail('decorator line');
      }
      kids.push(node('decorator', ds, Math.max(e.end, this.t.blockEnd[this.i++]), [e]));
    }
    let def: N;
    if (this.isName('def')) {
      def = this.functionDefinition();
    } else if (this.isName('class')) {
      def = this.classDefinition();
    } else {
      throw new Bail('decorated statement');
    }
    kids.push(withField(def, 'definition'));
    return node('decorated_definition', s, def.end, kids);
  }
}

/** Sets parents and pre-order ids; returns the node count. */
function finish(root: N): number {
  let next = 0;
  const stack: N[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    n.id = next++;
    const kids = n.children;
    for (let k = kids.length - 1; k >= 0; k--) {
      (kids[k] as N).parent = n;
      stack.push(kids[k]);
    }
  }
  return next;
}

class TimedOut extends Error {}

/**
 * The tree of `text` (offsets from 0), 'timeout' when parsing went past `deadline` (a `performance.now()` time), or
 * undefined when the fast parser does not handle the text.
 */
export function fastParse(
  text: string,
  deadline = Infinity,
  prefix?: { value?: FastPrefix },
): { root: PyNode; nodeCount: number } | 'timeout' | undefined {
  let parser: Parser | undefined;
  try {
    let tokens: Tokens;
    try {
      tokens = tokenize(text, 0, text.length, false, true);
    } catch (e) {
      // the tokenizer gave up: the statements before the last line at column 0 it reached can still be re-used
      if (prefix && e instanceof Bail && e.before) {
        parser = new Parser(text, e.before.tokens, deadline);
        try {
          parser.module();
        } catch (f) {
          if (!(f instanceof Bail || f instanceof RangeError)) {
            throw f;
          }
        }
      }
      throw e;
    }
    if (performance.now() > deadline) {
      return 'timeout';
    }
    parser = new Parser(text, tokens, deadline);
    const root = parser.module();
    return { root, nodeCount: finish(root) };
  } catch (e) {
    if (e instanceof TimedOut) {
      return 'timeout';
    }
    if (e instanceof Bail || e instanceof RangeError) {
      if (prefix && parser?.done) {
        prefix.value = parser.completed();
      }
      return undefined;
    }
    throw e;
  }
}

/**
 * The top-level statements the fast parser completed before it gave up on a text: a module node over them (ids and
 * parents set as in a whole parse, its start that of the whole text's module) and `next`, the start of the first
 * token after them (the statement it gave up on). The tokens up to there are those of the text cut at `next`, so the
 * statements are those of a parse of that text (splitparse.ts re-uses them as one piece). When the tokenizer gave up,
 * they are the statements before the last line at column 0 outside brackets it reached (`Bail.before`).
 */
export interface FastPrefix {
  root: PyNode;
  next: number;
}

/** Why the fast parser gives up on a text (for tests and diagnostics), or undefined if it does not. */
export function fastParseBail(text: string): string | undefined {
  try {
    const tokens = tokenize(text);
    new Parser(text, tokens).module();
    return undefined;
  } catch (e) {
    if (e instanceof Bail || e instanceof RangeError) {
      return e.message;
    }
    throw e;
  }
}
