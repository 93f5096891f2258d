/**
 * Syntax errors stay local: when the fast parser (fastparse.ts) gives up on a whole text, the text is cut into
 * top-level pieces, the pieces are parsed by the fast parser, and only the pieces it gives up on (with a margin of
 * one piece on each side) are parsed by tree-sitter, as texts of their own. One broken cell or function then no
 * longer sends a whole notebook through tree-sitter.
 *
 * Pieces start at candidate statement starts: the start of the text and every line that starts at column 0 with a
 * character that can begin a statement (not a blank, comment, closing bracket or `else`/`elif`/`except`/`finally`
 * line, nor a line after a decorator or a backslash). A candidate can lie inside a string or bracket that an earlier
 * line opened; the piece holding that opening then fails. The statements the fast parser completed on the whole text
 * before the one it gave up on are re-used as the pieces before that one (fastparse.ts `FastPrefix`); the other
 * pieces are first parsed in groups of about 40 lines, and a group the fast parser gives up on is halved until single
 * pieces remain.
 *
 * The result is used only where tree-sitter's error recovery is known to stay near the error (checked against
 * tree-sitter's parse of the whole text by unit and fuzz tests on thousands of damaged texts); otherwise the caller
 * parses the whole text with tree-sitter, as before:
 * - every failing piece closes the strings it opens, and the fast tokenizer either accepts it or stops only at an
 *   unclosed bracket or an indentation error (an unterminated string or a stray closing bracket can make tree-sitter
 *   re-read much of the rest of the file differently); no failing piece holds a block header without its colon that
 *   more code follows (`for`, `if a` typed at column 0 inside a function: tree-sitter reads the lines after it as
 *   the rest of the header, and how far depends on text anywhere after it, such as an `as` statements later);
 * - failing pieces less than MERGE_CHARS apart are parsed as one region (the recovery from one error can depend on
 *   the next);
 * - a region with syntax errors that does not end the text gives the same statements when parsed followed by the
 *   next statements of the text (FOLLOW_CHARS more), without errors in those (see `sameWhenFollowed`);
 * - each region has syntax errors (a region without any holds a construct the fast parser leaves out, whose tree can
 *   depend on context), each inside one of its top-level statements, or is an unfinished last line of the text (a
 *   block header being typed, `for item in items:`, which tree-sitter accepts without errors); its margin statements
 *   come out exactly as the fast parser built them, without errors;
 * - a region's ends are never inside a fast-parsed statement (a string or bracket over several pieces: the region
 *   then grows to the statement's start or end);
 * - the regions cover at most half of the text.
 */
import { shiftErrors } from './parser';
import type { ParsedPython, PyNode, StatementErrors } from './parser';
import { Bail, tokenize } from './fastlex';
import type { FastPrefix } from './fastparse';
import { combineErrors, renumber, sameShifted } from './reparse';

/** Unchanged pieces parsed again with a failing piece, on each side, to check where tree-sitter's recovery ends. */
const MARGIN = 1;
/** Regions closer than this are parsed as one: tree-sitter's recovery from one error can depend on the next. */
export const MERGE_CHARS = 2000;
/**
 * Text after a region with syntax errors that is parsed with it once more (up to the next statement start past it):
 * the region's statements must come out the same (see `sameWhenFollowed`).
 */
export const FOLLOW_CHARS = 1000;
/** Characters per group of pieces parsed by the fast parser in one go (about 40 lines). */
const GROUP_CHARS = 1500;

type FastResult = { root: PyNode; nodeCount: number } | 'timeout' | undefined;
type Mutable = { -readonly [K in keyof PyNode]: PyNode[K] };

const CONTINUATIONS = ['else', 'elif', 'except', 'finally'];

/** Start of the line that ends with the newline at `nl`. */
function lineStart(text: string, nl: number): number {
  return text.lastIndexOf('\n', nl - 1) + 1;
}

function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

/**
 * Whether every string literal that starts in a piece also ends in it (outside comments; a backslash escapes the
 * next character). tree-sitter's recovery from an unterminated string can reach far beyond the piece.
 */
export function stringsClosed(t: string): boolean {
  const n = t.length;
  let i = 0;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c === 35) {
      const e = t.indexOf('\n', i);
      if (e < 0) {
        return true;
      }
      i = e + 1;
      continue;
    }
    if (c !== 34 && c !== 39) {
      i++;
      continue;
    }
    const triple = t.charCodeAt(i + 1) === c && t.charCodeAt(i + 2) === c;
    let j = triple ? i + 3 : i + 1;
    for (;;) {
      if (j >= n) {
        return false;
      }
      const d = t.charCodeAt(j);
      if (d === 92) {
        j += 2;
      } else if (d === c && (!triple || (t.charCodeAt(j + 1) === c && t.charCodeAt(j + 2) === c))) {
        i = j + (triple ? 3 : 1);
        break;
      } else if (d === 10 && !triple) {
        return false;
      } else {
        j++;
      }
    }
  }
  return true;
}

/** Tokenizer stops whose recovery by tree-sitter stays near the piece (the others fall back to a whole parse). */
const LOCAL_BAILS = new Set(['unclosed bracket', 'inconsistent dedent', 'unexpected indent']);

/** Keywords that begin a compound statement's header (`for item in items:`). */
const HEADER_WORDS = new Set([
  'if',
  'elif',
  'else',
  'while',
  'for',
  'with',
  'def',
  'class',
  'try',
  'except',
  'finally',
  'async',
]);

/**
 * End of the first logical line in `text[from, to)` that begins with a compound statement's keyword and has no colon
 * outside brackets (a header being typed: `for`, `for item in items`, `if a`), or -1. The line ends at its newline
 * outside brackets, or at `to`. A header left inside an unclosed bracket at `to` (`def broken(:`) is not one: the
 * rest of the piece is inside the bracket, as for any unclosed bracket.
 */
export function openHeaderEnd(text: string, from: number, to: number): number {
  let depth = 0;
  let lineStart = true;
  let header = false;
  let colon = false;
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      if (depth === 0) {
        if (header && !colon) {
          return i;
        }
        lineStart = true;
        header = false;
      }
      i++;
    } else if (c === 32 || c === 9 || c === 12 || c === 13) {
      i++;
    } else if (c === 35) {
      const e = text.indexOf('\n', i);
      i = e < 0 || e > to ? to : e;
    } else if (c === 92) {
      // a line continuation joins the next line to this one
      i += text.charCodeAt(i + 1) === 13 ? 3 : 2;
    } else if (c === 34 || c === 39) {
      i = skipString(text, i, to);
      lineStart = false;
    } else if (isIdentChar(c)) {
      let e = i + 1;
      while (e < to && isIdentChar(text.charCodeAt(e))) {
        e++;
      }
      if (lineStart && depth === 0) {
        header = HEADER_WORDS.has(text.slice(i, e));
        colon = false;
      }
      lineStart = false;
      i = e;
    } else {
      if (c === 40 || c === 91 || c === 123) {
        depth++;
      } else if (c === 41 || c === 93 || c === 125) {
        depth = Math.max(0, depth - 1);
      } else if (c === 58 && depth === 0 && text.charCodeAt(i + 1) !== 61) {
        colon = true;
      }
      lineStart = false;
      i++;
    }
  }
  return header && !colon && depth === 0 ? to : -1;
}

/** End of the string literal whose opening quote is at `q` (`to` when it does not end before `to`). */
function skipString(t: string, q: number, to: number): number {
  const c = t.charCodeAt(q);
  const triple = t.charCodeAt(q + 1) === c && t.charCodeAt(q + 2) === c;
  let j = triple ? q + 3 : q + 1;
  while (j < to) {
    const d = t.charCodeAt(j);
    if (d === 92) {
      j += 2;
    } else if (d === c && (!triple || (t.charCodeAt(j + 1) === c && t.charCodeAt(j + 2) === c))) {
      return j + (triple ? 3 : 1);
    } else if (d === 10 && !triple) {
      return j;
    } else {
      j++;
    }
  }
  return to;
}

/** Whether code (anything but blanks and comments) follows `from` in `text`. */
function codeAfter(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 35) {
      const e = text.indexOf('\n', i);
      if (e < 0) {
        return false;
      }
      i = e;
    } else if (c !== 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) {
      return true;
    }
  }
  return false;
}

/**
 * Whether tree-sitter's recovery from the failing piece `text[from, to)` may reach beyond it: an unterminated
 * string, a tokenizer stop other than an unclosed bracket or an indentation error (a stray closing bracket, a line
 * continuation…), or a compound statement's header without its colon followed by more code (`for` typed at column 0
 * inside a function): tree-sitter then reads the lines after it as the rest of the header, and how far depends on
 * text anywhere after it (an `as` or `in` several statements later), not on the piece alone.
 */
export function lexicalHazard(text: string, from = 0, to = text.length): boolean {
  const piece = from === 0 && to === text.length ? text : text.slice(from, to);
  if (!stringsClosed(piece)) {
    return true;
  }
  const header = openHeaderEnd(text, from, to);
  if (header >= 0 && codeAfter(text, header)) {
    return true;
  }
  try {
    tokenize(piece);
    return false;
  } catch (e) {
    return !(e instanceof Bail && LOCAL_BAILS.has(e.message));
  }
}

/**
 * Whether the statements of a region parsed on its own (`alone`) come out the same, with the same errors, at the
 * start of a parse of the region followed by the next statements of the text (`followed`), and those statements
 * without errors. A region parsed on its own ends where the text ends, and tree-sitter's recovery from an error near
 * that end can stop there only because the text ends: followed by more statements (an unclosed bracket or a header
 * typed at column 0 before the rest of a function's body), the recovery can run on over the margin.
 */
export function sameWhenFollowed(alone: ParsedPython, followed: ParsedPython): boolean {
  const a = alone.root.children;
  const b = followed.root.children;
  if (followed.timedOut || b.length < a.length || (followed.errors && !followed.statementErrors)) {
    return false;
  }
  for (let i = 0; i < b.length; i++) {
    const x = alone.statementErrors?.[i];
    const y = followed.statementErrors?.[i];
    if (i >= a.length) {
      if (y) {
        return false;
      }
      continue;
    }
    if (
      !sameShifted(b[i], a[i], 0) ||
      !x !== !y ||
      (x && y && (x.named !== y.named || x.firstNamed !== y.firstNamed || x.firstMissing !== y.firstMissing))
    ) {
      return false;
    }
  }
  return true;
}

/** Offsets of the candidate statement starts (0 first), then the text length. */
export function candidateStarts(text: string): number[] {
  const out = [0];
  for (let nl = text.indexOf('\n'); nl >= 0 && nl + 1 < text.length; nl = text.indexOf('\n', nl + 1)) {
    const s = nl + 1;
    const c = text.charCodeAt(s);
    // blank, comment, indented or continued lines, closing brackets
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 35 || c === 41 || c === 93 || c === 125) {
      continue;
    }
    // the line after a decorator belongs to the decorated definition, that after a backslash to its line
    const back = text.charCodeAt(nl - 1) === 13 ? nl - 2 : nl - 1;
    let cont = text.charCodeAt(lineStart(text, nl)) === 64 || text.charCodeAt(back) === 92;
    for (let i = 0; i < CONTINUATIONS.length && !cont; i++) {
      const k = CONTINUATIONS[i];
      cont = text.startsWith(k, s) && !isIdentChar(text.charCodeAt(s + k.length));
    }
    if (!cont) {
      out.push(s);
    }
  }
  out.push(text.length);
  return out;
}

interface FastRange {
  lo: number;
  hi: number;
  root: PyNode;
}

/**
 * The tree of `text` built from fast-parsed pieces and tree-sitter regions, 'timeout', or undefined when that is not
 * known to equal tree-sitter's parse of the whole text. `fast` parses a text with the fast parser; `region` parses a
 * text on its own with tree-sitter (offsets from 0), undefined on a timeout.
 */
export function splitParse(
  text: string,
  fast: (t: string) => FastResult,
  region: (t: string) => ParsedPython | undefined,
  prefix?: FastPrefix,
): ParsedPython | 'timeout' | undefined {
  const b = candidateStarts(text);
  const k = b.length - 1;
  if (k < 2) {
    return undefined;
  }
  const ranges: FastRange[] = [];
  // the statements the fast parser completed on the whole text, as the pieces before the one it gave up on
  let from = 0;
  if (prefix && prefix.root.children.length) {
    const kids = prefix.root.children;
    let j = 0;
    while (j + 1 < k && b[j + 1] <= prefix.next) {
      j++;
    }
    if (j > 0 && b[j] >= kids[kids.length - 1].end) {
      ranges.push({ lo: 0, hi: j, root: prefix.root });
      from = j;
    }
  }
  const bad: boolean[] = new Array<boolean>(k).fill(false);
  let timedOut = false;
  let lexical = false;
  const classify = (lo: number, hi: number): void => {
    if (timedOut) {
      return;
    }
    const r = fast(text.slice(b[lo], b[hi]));
    if (r === 'timeout') {
      timedOut = true;
      return;
    }
    if (r) {
      ranges.push({ lo, hi, root: r.root });
      return;
    }
    if (hi - lo === 1) {
      bad[lo] = true;
      lexical ||= lexicalHazard(text, b[lo], b[hi]);
      return;
    }
    const mid = (lo + hi) >> 1;
    classify(lo, mid);
    classify(mid, hi);
  };
  for (let lo = from; lo < k;) {
    let hi = lo + 1;
    while (hi < k && b[hi] - b[lo] < GROUP_CHARS) {
      hi++;
    }
    classify(lo, hi);
    lo = hi;
  }
  if (timedOut) {
    return 'timeout';
  }
  // an unterminated string: tree-sitter's recovery from it can reach far beyond the piece
  if (lexical) {
    return undefined;
  }
  // the fast-parsed statements, in order, each with its offset and the piece it starts in
  ranges.sort((x, y) => x.lo - y.lo);
  const stmts: { node: PyNode; delta: number; piece: number }[] = [];
  for (const r of ranges) {
    let c = r.lo;
    const delta = b[r.lo];
    for (const s of r.root.children) {
      while (c + 1 < r.hi && b[c + 1] <= s.start + delta) {
        c++;
      }
      stmts.push({ node: s, delta, piece: c });
    }
  }
  // piece starts inside a fast-parsed statement (a string or bracket over several pieces): not a region boundary,
  // or the region's margin would be half a statement
  const inside = new Uint8Array(k + 1);
  for (const s of stmts) {
    const end = s.node.end + s.delta;
    for (let j = s.piece + 1; j < k && b[j] < end; j++) {
      inside[j] = 1;
    }
  }
  // regions: runs of failing pieces with their margins, merged when they touch
  const regions: { lo: number; hi: number; firstBad: number; lastBad: number }[] = [];
  for (let i = 0; i < k; i++) {
    if (!bad[i]) {
      continue;
    }
    let j = i;
    while (j + 1 < k && bad[j + 1]) {
      j++;
    }
    let lo = Math.max(0, i - MARGIN);
    while (lo > 0 && inside[lo]) {
      lo--;
    }
    let hi = Math.min(k, j + 1 + MARGIN);
    while (hi < k && inside[hi]) {
      hi++;
    }
    const last = regions[regions.length - 1];
    if (last && b[lo] - b[last.hi] < MERGE_CHARS) {
      last.hi = Math.max(last.hi, hi);
      last.lastBad = j;
    } else {
      regions.push({ lo, hi, firstBad: i, lastBad: j });
    }
    i = j;
  }
  if (!regions.length) {
    return undefined;
  }
  let covered = 0;
  for (const r of regions) {
    covered += b[r.hi] - b[r.lo];
  }
  if (covered * 2 > text.length) {
    return undefined;
  }
  // A region without syntax errors holds a construct the fast parser leaves out, whose tree can depend on context
  // (an unexpected indent after a line is read as part of it or not), except for a last line the fast parser gives
  // up on at the end of the text: an unfinished block (`for item in items:`), which tree-sitter accepts.
  const unfinishedAtEnd = (r: { hi: number; firstBad: number; lastBad: number }): boolean =>
    r.hi === k &&
    r.firstBad === k - 1 &&
    !text
      .slice(b[k - 1])
      .trimEnd()
      .includes('\n');
  // parse each region and check its margins
  const parsedRegions: ParsedPython[] = [];
  for (const r of regions) {
    const start = b[r.lo];
    const p = region(text.slice(start, b[r.hi]));
    if (!p || p.timedOut || p.root.type !== 'module' || (p.errors ? !p.statementErrors : !unfinishedAtEnd(r))) {
      return p?.timedOut ? 'timeout' : undefined;
    }
    const leading = stmts.filter(s => s.piece >= r.lo && s.piece < r.firstBad);
    const trailing = stmts.filter(s => s.piece > r.lastBad && s.piece < r.hi);
    const kids = p.root.children;
    if (kids.length < leading.length + trailing.length) {
      return undefined;
    }
    for (let i = 0; i < leading.length; i++) {
      if (p.statementErrors?.[i] || !sameShifted(kids[i], leading[i].node, leading[i].delta - start)) {
        return undefined;
      }
    }
    for (let i = 0; i < trailing.length; i++) {
      const at = kids.length - trailing.length + i;
      if (p.statementErrors?.[at] || !sameShifted(kids[at], trailing[i].node, trailing[i].delta - start)) {
        return undefined;
      }
    }
    if (p.errors && r.hi < k) {
      // followed by the next statements (up to FOLLOW_CHARS past the region, not into the next region)
      const until = regions[regions.indexOf(r) + 1]?.lo ?? k;
      let j = r.hi;
      while (j < until && (b[j] - b[r.hi] < FOLLOW_CHARS || inside[j])) {
        j++;
      }
      const followed = region(text.slice(start, b[j]));
      if (!followed || !sameWhenFollowed(p, followed)) {
        return followed?.timedOut ? 'timeout' : undefined;
      }
    }
    parsedRegions.push(p);
  }
  // assemble: fast statements outside the regions and the regions' statements, in order
  const children: PyNode[] = [];
  const statementErrors: StatementErrors[] = [];
  const root: Mutable = { type: 'module', field: null, start: 0, end: text.length, children, parent: null, id: 0 };
  let next = 1;
  let si = 0;
  const add = (n: PyNode, delta: number) => {
    (n as Mutable).parent = root;
    children.push(n);
    next = renumber(n, delta, next);
  };
  for (let ri = 0; ri <= regions.length; ri++) {
    const until = ri < regions.length ? regions[ri].lo : k;
    while (si < stmts.length && stmts[si].piece < until) {
      add(stmts[si].node, stmts[si].delta);
      si++;
    }
    if (ri === regions.length) {
      break;
    }
    const r = regions[ri];
    const p = parsedRegions[ri];
    const start = b[r.lo];
    p.root.children.forEach((n, i) => {
      const se = p.statementErrors?.[i];
      if (se) {
        statementErrors[children.length] = shiftErrors(se, start);
      }
      add(n, start);
    });
    while (si < stmts.length && stmts[si].piece < r.hi) {
      si++;
    }
  }
  // the module's ends: those of the parse of the first and last pieces
  const first = regions[0].lo === 0 ? { root: parsedRegions[0].root, delta: 0 } : firstRange(ranges);
  const lastRegion = regions[regions.length - 1];
  const last =
    lastRegion.hi === k
      ? { root: parsedRegions[parsedRegions.length - 1].root, delta: b[lastRegion.lo] }
      : { root: ranges[ranges.length - 1].root, delta: b[ranges[ranges.length - 1].lo] };
  root.start = first.root.start + first.delta;
  root.end = last.root.end + last.delta;
  const parsed: ParsedPython = { root, timedOut: false, nodeCount: next, ...combineErrors(statementErrors) };
  if (parsed.errors) {
    parsed.statementErrors = statementErrors;
  }
  return parsed;
}

function firstRange(ranges: FastRange[]): { root: PyNode; delta: number } {
  return { root: ranges[0].root, delta: 0 };
}
