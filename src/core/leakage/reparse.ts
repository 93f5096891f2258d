/**
 * Re-parsing after an edit at the granularity of top-level statements.
 *
 * tree-sitter's own incremental parse (`tree.edit` + `parser.parse(text, oldTree)`) re-lexes most of a Python file
 * after an edit (the grammar's indentation scanner keeps little reusable), and the whole tree then has to be
 * converted again. Instead, the previous converted tree is kept and only the top-level statements around the edit
 * are parsed again, as a text of their own; the statements before and after are re-used (those after the edit with
 * their offsets shifted). This gives the same tree as a fresh parse when:
 * - each syntax error of the previous parse lay inside one top-level statement, and no statement with an error is
 *   among the re-used margin statements or the two statements on each side of them (tree-sitter's error recovery
 *   looks back a little way; errors further away are re-used with the statements that contain them); errors of the
 *   statements the edit touches are parsed again with them;
 * - the re-parsed region starts and ends at the start of a line, on statement boundaries of the previous tree, with
 *   one unchanged statement on each side of the edit as a margin (so that an edit that changes how the neighbouring
 *   statement ends or continues, for example an indented line joining a `def` body, is inside the region);
 * - the region's margin statements come out exactly as they were (start, end, shape) and without errors, so the
 *   region's ends behaved as in the whole file; syntax errors of the region (a statement being typed) are accepted
 *   under the conditions splitparse.ts accepts a region with errors under: each inside one of its top-level
 *   statements, no unterminated string or tokenizer stop other than an unclosed bracket or an indentation error in
 *   the region, no block header without its colon that more code follows (`for` typed at column 0 inside a
 *   function: tree-sitter reads the lines after it as the rest of the header, as far as text anywhere after it
 *   allows), no re-used statement with an error within MERGE_CHARS of it, and the region's statements come out the
 *   same when it is parsed followed by the next statements (splitparse.ts `sameWhenFollowed`);
 * - no line continuation (`\`) lies between the region and the statements around it.
 * Otherwise the caller parses the whole text. A unit test checks tree equality with a fresh parse after random edits.
 */
import { shiftErrors } from './parser';
import type { ParsedPython, PyNode, StatementErrors } from './parser';
import { FOLLOW_CHARS, lexicalHazard, MERGE_CHARS, sameWhenFollowed } from './splitparse';

/** Common prefix length and the changed range [start, oldEnd) in `before`, [start, newEnd) in `after`. */
export function changedRange(before: string, after: string): { start: number; oldEnd: number; newEnd: number } {
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) {
    prefix++;
  }
  let suffix = 0;
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  return { start: prefix, oldEnd: before.length - suffix, newEnd: after.length - suffix };
}

const atLineStart = (text: string, i: number): boolean => i === 0 || text.charCodeAt(i - 1) === 10;

/** Same type, field and offsets (those of `b` shifted by `delta`) in the whole subtree. */
export function sameShifted(a: PyNode, b: PyNode, delta: number): boolean {
  if (a.type !== b.type || a.field !== b.field || a.start !== b.start + delta || a.end !== b.end + delta) {
    return false;
  }
  if (a.children.length !== b.children.length) {
    return false;
  }
  for (let i = 0; i < a.children.length; i++) {
    if (!sameShifted(a.children[i], b.children[i], delta)) {
      return false;
    }
  }
  return true;
}

/**
 * The error count and first error offset a whole parse gives, from those of the statements: ERROR and missing
 * named nodes (the first is the smallest start), else 1 for missing anonymous tokens only (the first in order).
 */
export function combineErrors(statementErrors: readonly (StatementErrors | undefined)[]): {
  errors: number;
  firstErrorOffset?: number;
} {
  let named = 0;
  let firstNamed: number | undefined;
  let firstMissing: number | undefined;
  let any = false;
  for (const se of statementErrors) {
    if (!se) {
      continue;
    }
    any = true;
    named += se.named;
    if (se.firstNamed !== undefined && (firstNamed === undefined || se.firstNamed < firstNamed)) {
      firstNamed = se.firstNamed;
    }
    if (firstMissing === undefined) {
      firstMissing = se.firstMissing;
    }
  }
  if (named) {
    return { errors: named, firstErrorOffset: firstNamed };
  }
  return any ? { errors: 1, firstErrorOffset: firstMissing } : { errors: 0 };
}

/** Statements without syntax errors required on each side of the re-parsed ones when errors are re-used. */
const CLEAN_AROUND = 2;

type Mutable = { -readonly [K in keyof PyNode]: PyNode[K] };

/** Shifts offsets by `delta` (when non-zero) and renumbers ids in pre-order from `next`; returns the next id. */
export function renumber(n: PyNode, delta: number, next: number): number {
  const stack: PyNode[] = [n];
  while (stack.length) {
    const m = stack.pop() as Mutable;
    m.id = next++;
    if (delta) {
      m.start += delta;
      m.end += delta;
    }
    for (let i = m.children.length - 1; i >= 0; i--) {
      stack.push(m.children[i]);
    }
  }
  return next;
}

/**
 * The tree of `after`, made from `old` (the tree of `before`) and a parse of the changed statements only, or
 * undefined when that is not known to equal a fresh parse. `parseRegion` parses a text on its own (offsets from 0),
 * returning undefined on a timeout. The nodes of `old` are re-used (and changed): `old` is invalid afterwards.
 */
export function reparseStatements(
  before: string,
  old: ParsedPython,
  after: string,
  parseRegion: (text: string) => ParsedPython | undefined,
): ParsedPython | undefined {
  if (old.timedOut || (old.errors && !old.statementErrors)) {
    return undefined;
  }
  const errs = old.statementErrors ?? [];
  const kids = old.root.children;
  if (kids.length < 2) {
    return undefined;
  }
  const { start: p, oldEnd: oe, newEnd: ne } = changedRange(before, after);
  const delta = ne - oe;
  // first: first re-parsed statement, one unchanged statement before the first one the edit touches
  let a = 0;
  while (a < kids.length && kids[a].end < p) {
    a++;
  }
  // a statement with an error just before the edit (the one being typed, when the edit is in the space after it) is
  // parsed again, not a margin
  while (a > 0 && errs[a - 1]) {
    a--;
  }
  let first = Math.max(0, a - 1);
  while (first > 0 && !atLineStart(before, kids[first].start)) {
    first--;
  }
  // suffix: first re-used statement, after one unchanged statement following the edit
  let c = a;
  while (c < kids.length && kids[c].start <= oe) {
    c++;
  }
  while (c < kids.length && errs[c]) {
    c++;
  }
  let suffix = Math.min(kids.length, c + 1);
  while (suffix < kids.length && !atLineStart(before, kids[suffix].start)) {
    suffix++;
  }
  const regionStart = first === 0 ? 0 : kids[first].start;
  const regionEndOld = suffix < kids.length ? kids[suffix].start : before.length;
  if (regionStart > p || regionEndOld < oe) {
    return undefined;
  }
  // no line continuation in the gaps between the region and its neighbours
  if (first > 0 && before.slice(kids[first - 1].end, regionStart).includes('\\')) {
    return undefined;
  }
  if (suffix < kids.length && before.slice(kids[suffix - 1].end, regionEndOld).includes('\\')) {
    return undefined;
  }
  // errors of the statements the edit touches are parsed again; none in the margins or next to them
  for (let i = Math.max(0, first - CLEAN_AROUND); i < Math.min(kids.length, suffix + CLEAN_AROUND); i++) {
    if (errs[i] && (i < a || i >= c)) {
      return undefined;
    }
  }
  // a re-used statement with an unterminated string (or a stray bracket, or a block header without its colon):
  // tree-sitter's recovery from it can depend on text anywhere after it, the edit included
  for (let i = 0; i < kids.length; i++) {
    if (errs[i] && (i < a || i >= c) && lexicalHazard(before, kids[i].start, kids[i].end)) {
      return undefined;
    }
  }
  const regionText = after.slice(regionStart, regionEndOld + delta);
  const region = parseRegion(regionText);
  if (!region || region.timedOut || region.root.type !== 'module') {
    return undefined;
  }
  const freshErrs = region.statementErrors ?? [];
  if (region.errors) {
    // as for a region of splitparse.ts: errors inside the region's statements, not in its margins (checked below),
    // no unterminated string or stray bracket, and no re-used error close enough for the recoveries to interact
    if (!region.statementErrors || lexicalHazard(after, regionStart, regionStart + regionText.length)) {
      return undefined;
    }
    const near = regionEndOld + MERGE_CHARS;
    for (let i = 0; i < kids.length; i++) {
      if (errs[i] && (i < a || i >= c) && kids[i].end > regionStart - MERGE_CHARS && kids[i].start < near) {
        return undefined;
      }
    }
  }
  const fresh = region.root.children;
  // the margins: unchanged statements on each side must come out as before
  const leading = a - first;
  const trailing = suffix - c;
  if (fresh.length < leading + trailing) {
    return undefined;
  }
  for (let i = 0; i < leading; i++) {
    if (freshErrs[i] || !sameShifted(fresh[i], kids[first + i], -regionStart)) {
      return undefined;
    }
  }
  for (let i = 0; i < trailing; i++) {
    const at = fresh.length - trailing + i;
    if (freshErrs[at] || !sameShifted(fresh[at], kids[c + i], delta - regionStart)) {
      return undefined;
    }
  }
  if (region.errors && suffix < kids.length) {
    // the region followed by the next statements (up to FOLLOW_CHARS past it) gives the same statements
    let s2 = suffix + 1;
    while (s2 < kids.length && (kids[s2].start - regionEndOld < FOLLOW_CHARS || !atLineStart(before, kids[s2].start))) {
      s2++;
    }
    const followedEnd = (s2 < kids.length ? kids[s2].start : before.length) + delta;
    const followed = parseRegion(after.slice(regionStart, followedEnd));
    if (!followed || !sameWhenFollowed(region, followed)) {
      return undefined;
    }
  }
  // assemble: the re-used statements before, the region's (shifted to the region start), the re-used ones after
  const root = old.root as Mutable;
  const children: PyNode[] = [];
  const statementErrors: StatementErrors[] = [];
  let next = 1;
  for (let i = 0; i < first; i++) {
    if (errs[i]) {
      statementErrors[children.length] = errs[i];
    }
    children.push(kids[i]);
  }
  // the statements before keep their offsets and pre-order ids (numbered from 1 after the module, as every parse
  // numbers them): the next id is that of the first re-parsed statement
  if (first > 0) {
    next = kids[first].id;
  }
  for (let i = 0; i < fresh.length; i++) {
    const n = fresh[i];
    const se = freshErrs[i];
    if (se) {
      statementErrors[children.length] = shiftErrors(se, regionStart);
    }
    (n as Mutable).parent = root;
    children.push(n);
    next = renumber(n, regionStart, next);
  }
  for (let i = suffix; i < kids.length; i++) {
    const se = errs[i];
    if (se) {
      statementErrors[children.length] = shiftErrors(se, delta);
    }
    children.push(kids[i]);
    next = renumber(kids[i], delta, next);
  }
  root.children = children;
  if (first === 0) {
    root.start = region.root.start + regionStart;
  }
  if (suffix === kids.length) {
    root.end = region.root.end + regionStart;
  } else {
    root.end += delta;
  }
  const parsed: ParsedPython = { root, timedOut: false, nodeCount: next, ...combineErrors(statementErrors) };
  if (parsed.errors) {
    parsed.statementErrors = statementErrors;
  }
  return parsed;
}
