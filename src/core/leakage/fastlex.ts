/**
 * Tokenizer of the fast Python parser (`fastparse.ts`): Python's logical lines, INDENT/DEDENT, brackets, strings
 * and numbers, over plain ASCII source. It gives up (throws `Bail`) on anything outside the subset the fast parser
 * reproduces exactly (tabs in indentation, non-ASCII outside strings and comments, unknown characters, unclosed
 * brackets or strings); the caller then parses with tree-sitter.
 *
 * Block ends follow tree-sitter-python's scanner: a block ends at its last statement, extended over a comment on the
 * same line and over the comment lines after it that are indented at least as deep as the block (up to the first
 * one that is indented less), because the scanner emits the DEDENT only after those comments.
 */

export class Bail extends Error {
  /**
   * Set by a top-level `tokenize` that gives up after a line that starts at column 0 outside brackets: the tokens of
   * the text cut at the start of the last such line (`cut`), as a tokenize of `text.slice(0, cut)` gives them.
   */
  before?: { tokens: Tokens; cut: number };
}

export const T_NAME = 1;
export const T_NUM = 2;
export const T_STR = 3;
export const T_OP = 4;
export const T_NEWLINE = 5;
export const T_INDENT = 6;
export const T_DEDENT = 7;
export const T_EOF = 8;

export interface Tokens {
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  /** Text of NAME and OP tokens ('' otherwise). */
  val: string[];
  /**
   * For DEDENT tokens: the end of the block it closes, extended over trailing comments; for NEWLINE tokens: the end
   * of a comment on the line (-1: none).
   */
  blockEnd: Int32Array;
  count: number;
  /** Start of the first comment, or -1. */
  firstComment: number;
}

const OPS3 = new Set(['**=', '//=', '>>=', '<<=', '...']);
const OPS2 = new Set([
  '->',
  ':=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
]);
const OPS1 = [...'+-*/%@&|^~<>()[]{},:.;=!'];
const CLOSES: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const SAFE_BEFORE_DEDENT = new Set([',', '(', '[', '{', ')', ']', '}']);
const CLOSES_BEFORE_SUBSCRIPT = new Set([')', ']', '}']);
const OPERATOR_WORDS = new Set('and or not in is if else for lambda await yield from as async'.split(' '));

// character classes
const ID_START = new Uint8Array(128);
const ID_PART = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ID_START[c] = /[A-Za-z_]/.test(ch) ? 1 : 0;
  ID_PART[c] = /[A-Za-z0-9_]/.test(ch) ? 1 : 0;
}
const STRING_PREFIX = /^(r|u|b|br|rb|f|fr|rf)$/i;

class Growable {
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  blockEnd: Int32Array;
  val: string[] = [];
  count = 0;
  constructor(capacity: number) {
    // one buffer for the four arrays: one allocation of memory outside the heap instead of four (per file parsed)
    const buf = new ArrayBuffer(capacity * 13);
    this.start = new Int32Array(buf, 0, capacity);
    this.end = new Int32Array(buf, capacity * 4, capacity);
    this.blockEnd = new Int32Array(buf, capacity * 8, capacity);
    this.kind = new Uint8Array(buf, capacity * 12, capacity);
  }
  push(kind: number, start: number, end: number, val: string, blockEnd = -1): void {
    if (this.count === this.kind.length) {
      const bigger = new Growable(this.count * 2);
      bigger.kind.set(this.kind);
      bigger.start.set(this.start);
      bigger.end.set(this.end);
      bigger.blockEnd.set(this.blockEnd);
      ({ kind: this.kind, start: this.start, end: this.end, blockEnd: this.blockEnd } = bigger);
    }
    const i = this.count++;
    this.kind[i] = kind;
    this.start[i] = start;
    this.end[i] = end;
    this.blockEnd[i] = blockEnd;
    this.val.push(val);
  }
}

/** End of a string literal whose opening quote is at `q` (after any prefix). */
export function stringEnd(text: string, q: number, limit: number): number {
  const quote = text.charCodeAt(q);
  const triple = text.charCodeAt(q + 1) === quote && text.charCodeAt(q + 2) === quote;
  let i = q + (triple ? 3 : 1);
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (!triple) {
        return i + 1;
      }
      if (text.charCodeAt(i + 1) === quote && text.charCodeAt(i + 2) === quote) {
        return i + 3;
      }
    } else if ((c === 10 || c === 13) && !triple) {
      throw new Bail('newline in string');
    }
    i++;
  }
  throw new Bail('unterminated string');
}

/**
 * Tokens of `text[from, to)`. With `inBrackets`, the range is one expression inside brackets (an f-string
 * interpolation): no NEWLINE/INDENT/DEDENT.
 */
/**
 * Keywords that only begin statements: inside brackets they mean a bracket left open earlier (valid code never has
 * them there), so a tokenizer run that only needs to know whether the text is valid stops at the first one.
 */
const STATEMENT_KEYWORDS = new Set([
  'def',
  'class',
  'return',
  'pass',
  'import',
  'raise',
  'try',
  'while',
  'global',
  'nonlocal',
  'assert',
  'break',
  'continue',
  'del',
  'with',
  'except',
  'finally',
  'elif',
]);

/**
 * `stopEarly`: bail out ('unclosed bracket') at a statement keyword inside brackets instead of tokenizing the rest
 * of the text inside them (only for callers that do not look at why the text was not accepted).
 */
export function tokenize(text: string, from = 0, to = text.length, inBrackets = false, stopEarly = false): Tokens {
  const nul = text.indexOf('\0', from);
  if (nul >= 0 && nul < to) {
    throw new Bail('NUL character');
  }
  // about one token per four characters of code
  const out = new Growable(16 + ((to - from) >> 2));
  const indents: number[] = [0];
  let depth = inBrackets ? 1 : 0;
  const brackets: string[] = [];
  let i = from;
  let lineHasTokens = false;
  let atLineStart = !inBrackets;
  let bracketLineStart = false;
  let firstComment = -1;
  /** Own-line comments since the last token: [start, end, column], and a comment on the last token's line. */
  let pending: number[] = [];
  let sameLineCommentEnd = -1;
  let lastTokenEnd = -1;
  /** Tokens before the last line that starts at column 0 outside brackets, and that line's start. */
  let safeCount = -1;
  let safePos = 0;

  const closeBlocks = (column: number, at: number) => {
    // pop indents deeper than `column`, each DEDENT carrying its block's end over trailing comments
    let k = 0;
    let ext = sameLineCommentEnd;
    while (indents[indents.length - 1] > column) {
      const level = indents.pop()!;
      while (k < pending.length && pending[k + 2] >= level) {
        ext = pending[k + 1];
        k += 3;
      }
      out.push(T_DEDENT, at, at, '', ext);
      sameLineCommentEnd = -1;
      ext = -1;
    }
    if (indents[indents.length - 1] !== column) {
      throw new Bail('inconsistent dedent');
    }
  };

  const token = (kind: number, start: number, end: number, val: string) => {
    if (bracketLineStart) {
      bracketLineStart = false;
      // tree-sitter-python's scanner emits a DEDENT inside brackets where no closing bracket may follow
      const p = out.count - 1;
      if (
        start - lineStartOf(text, start) < indents[indents.length - 1] &&
        ((out.kind[p] === T_OP && !SAFE_BEFORE_DEDENT.has(out.val[p])) ||
          (out.kind[p] === T_NAME && OPERATOR_WORDS.has(out.val[p])) ||
          // nor after a subscript's `[` (`X[\ntr]`), only after a list display's
          (out.val[p] === '[' &&
            p > 0 &&
            ((out.kind[p - 1] === T_NAME && !OPERATOR_WORDS.has(out.val[p - 1])) ||
              (out.kind[p - 1] === T_OP && CLOSES_BEFORE_SUBSCRIPT.has(out.val[p - 1])))))
      ) {
        throw new Bail('continuation line indented less than its block');
      }
    }
    if (atLineStart) {
      atLineStart = false;
      const column = start - lineStartOf(text, start);
      const top = indents[indents.length - 1];
      if (column > top) {
        if (out.count === 0 || out.kind[out.count - 1] === T_INDENT) {
          throw new Bail('unexpected indent');
        }
        indents.push(column);
        out.push(T_INDENT, start, start, '');
      } else if (column < top) {
        closeBlocks(column, start);
      }
      if (column === 0) {
        safeCount = out.count;
        safePos = start;
      }
    }
    if (pending.length) {
      pending = [];
    }
    sameLineCommentEnd = -1;
    lineHasTokens = true;
    lastTokenEnd = end;
    out.push(kind, start, end, val);
  };

  try {
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c === 32) {
        i++;
        continue;
      }
      if (c === 10 || c === 13) {
        if (c === 13 && text.charCodeAt(i + 1) !== 10) {
          throw new Bail('lone carriage return');
        }
        if (depth === 0 && lineHasTokens) {
          out.push(T_NEWLINE, lastTokenEnd, lastTokenEnd, '', sameLineCommentEnd);
          lineHasTokens = false;
        }
        if (depth === 0) {
          atLineStart = true;
        } else {
          bracketLineStart = true;
        }
        i += c === 13 ? 2 : 1;
        continue;
      }
      if (c === 35) {
        // comment
        let e = text.indexOf('\n', i);
        if (e < 0 || e > to) {
          e = to;
        }
        if (text.charCodeAt(e - 1) === 13) {
          e--;
        }
        if (firstComment < 0) {
          firstComment = i;
        }
        if (depth === 0) {
          if (lineHasTokens) {
            sameLineCommentEnd = e;
          } else {
            pending.push(i, e, i - lineStartOf(text, i));
          }
        }
        i = e;
        continue;
      }
      if (c === 92) {
        // line continuation
        if (text.charCodeAt(i + 1) === 10) {
          i += 2;
        } else if (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10) {
          i += 3;
        } else {
          throw new Bail('backslash');
        }
        continue;
      }
      if (c === 9 || c === 12 || c === 11) {
        if (atLineStart || c !== 9) {
          throw new Bail('tab or form feed');
        }
        i++;
        continue;
      }
      if (c >= 128) {
        throw new Bail('non-ASCII');
      }
      if (ID_START[c]) {
        let e = i + 1;
        while (e < to) {
          const d = text.charCodeAt(e);
          if (d < 128 && ID_PART[d]) {
            e++;
          } else {
            break;
          }
        }
        const q = text.charCodeAt(e);
        if ((q === 34 || q === 39) && e - i <= 2 && STRING_PREFIX.test(text.slice(i, e))) {
          const se = stringEnd(text, e, to);
          token(T_STR, i, se, '');
          i = se;
          continue;
        }
        if (e < to && text.charCodeAt(e) >= 128) {
          throw new Bail('non-ASCII identifier');
        }
        const name = text.slice(i, e);
        if (stopEarly && depth > (inBrackets ? 1 : 0) && STATEMENT_KEYWORDS.has(name)) {
          throw new Bail('unclosed bracket');
        }
        token(T_NAME, i, e, name);
        i = e;
        continue;
      }
      if (c === 34 || c === 39) {
        const se = stringEnd(text, i, to);
        token(T_STR, i, se, '');
        i = se;
        continue;
      }
      if ((c >= 48 && c <= 57) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
        const e = numberEnd(text, i, to);
        token(T_NUM, i, e, text.slice(i, e));
        i = e;
        continue;
      }
      const op = operatorAt(text, i, c);
      if (op === '(' || op === '[' || op === '{') {
        depth++;
        brackets.push(op);
      } else if (op === ')' || op === ']' || op === '}') {
        if (--depth < (inBrackets ? 1 : 0) || CLOSES[brackets.pop()!] !== op) {
          throw new Bail('unbalanced bracket');
        }
      }
      token(T_OP, i, i + op.length, op);
      i += op.length;
    }
    if (depth !== (inBrackets ? 1 : 0)) {
      throw new Bail('unclosed bracket');
    }
  } catch (e) {
    if (e instanceof Bail && safeCount > 0 && from === 0 && !inBrackets) {
      // the text cut at the last line at column 0: its tokens end there, where the blocks before it were closed
      out.count = safeCount;
      out.push(T_EOF, safePos, safePos, '');
      const fc = firstComment >= 0 && firstComment < safePos ? firstComment : -1;
      const { kind, start, end, val, blockEnd, count } = out;
      e.before = { tokens: { kind, start, end, val, blockEnd, count, firstComment: fc }, cut: safePos };
    }
    throw e;
  }
  if (!inBrackets) {
    if (lineHasTokens) {
      out.push(T_NEWLINE, lastTokenEnd, lastTokenEnd, '', sameLineCommentEnd);
    }
    closeBlocks(0, to);
  }
  out.push(T_EOF, to, to, '');
  return {
    kind: out.kind,
    start: out.start,
    end: out.end,
    val: out.val,
    blockEnd: out.blockEnd,
    count: out.count,
    firstComment,
  };
}

/** Operators by first character: the longest first (the strings are the interned literals below). */
const OPS_BY_CHAR: string[][] = [];
for (const op of [...OPS3, ...OPS2, ...OPS1]) {
  (OPS_BY_CHAR[op.charCodeAt(0)] ??= []).push(op);
}

/** The operator at `i` (first character code `c`), as one of the constant strings; throws on anything else. */
function operatorAt(text: string, i: number, c: number): string {
  const ops = OPS_BY_CHAR[c];
  if (ops) {
    for (const op of ops) {
      if (
        op.length === 1 ||
        (text.charCodeAt(i + 1) === op.charCodeAt(1) &&
          (op.length === 2 || text.charCodeAt(i + 2) === op.charCodeAt(2)))
      ) {
        return op;
      }
    }
  }
  throw new Bail(`character ${text[i]}`);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function lineStartOf(text: string, i: number): number {
  return text.lastIndexOf('\n', i - 1) + 1;
}

const NUMBER =
  /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d[\d_]*)?\.?)[jJ]?/y;

/** After a run of decimal digits: characters that may continue the number (`_ . e E j J x X o O b B`). */
const NUMBER_GOES_ON = new Uint8Array(128);
for (const ch of '_.eEjJxXoObB') {
  NUMBER_GOES_ON[ch.charCodeAt(0)] = 1;
}

function numberEnd(text: string, i: number, to: number): number {
  // the common case, a plain integer (`0`, `42`, `1000`): what NUMBER matches then without the regular expression
  let d = i;
  let c = text.charCodeAt(d);
  while (c >= 48 && c <= 57) {
    c = text.charCodeAt(++d);
  }
  if (d > i && !NUMBER_GOES_ON[c]) {
    if (d < to && ID_PART[c]) {
      throw new Bail('number suffix');
    }
    return Math.min(d, to);
  }
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(text);
  if (!m || !m[0]) {
    throw new Bail('number');
  }
  const e = i + m[0].length;
  if (
    m[0].indexOf('.') !== m[0].lastIndexOf('.') ||
    (e < to && (ID_PART[text.charCodeAt(e)] || text.charCodeAt(e) === 46))
  ) {
    throw new Bail('number suffix');
  }
  return Math.min(e, to);
}

/** Index just after the `}` closing an interpolation whose expression starts at `from`. */
export function interpolationEnd(text: string, from: number, limit: number, quote: number): number {
  const stack: number[] = [];
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      if (c === quote) {
        throw new Bail('same quote in interpolation');
      }
      i = stringEnd(text, i, limit) - 1;
    } else if (c === 92 || c === 35) {
      throw new Bail('backslash or # in interpolation');
    } else if (c === 123 || c === 40 || c === 91) {
      stack.push(c === 40 ? 41 : c + 2);
    } else if (c === 125 || c === 41 || c === 93) {
      if (!stack.length) {
        if (c !== 125) {
          throw new Bail('interpolation');
        }
        return i + 1;
      }
      if (stack.pop() !== c) {
        throw new Bail('unbalanced interpolation');
      }
    }
  }
  throw new Bail('unclosed interpolation');
}

/** End of the expression of an interpolation (before `!conversion`, `:spec`, `=`). */
export function expressionEnd(text: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      i = stringEnd(text, i, to) - 1;
    } else if (c === 123 || c === 40 || c === 91) {
      depth++;
    } else if (c === 125 || c === 41 || c === 93) {
      depth--;
    } else if (depth === 0) {
      if (c === 33 && text.charCodeAt(i + 1) !== 61) {
        return i;
      }
      if (c === 58) {
        return i;
      }
      if (c === 61) {
        const p = text.charCodeAt(i - 1);
        const n = text.charCodeAt(i + 1);
        if (n !== 61 && p !== 61 && p !== 33 && p !== 60 && p !== 62) {
          throw new Bail('self-documenting interpolation');
        }
        if (n === 61) {
          i++;
        }
      }
    }
  }
  return to;
}
