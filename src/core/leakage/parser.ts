/**
 * Python parsing with web-tree-sitter and the tree-sitter-python grammar, both WebAssembly, loaded lazily once.
 *
 * The tree-sitter tree is converted into a small plain-JS tree (`PyNode`) of named nodes only, without comments and
 * string internals, so that the analysis never calls into WebAssembly again. The conversion walks the tree with the
 * binding's own cursor functions, called directly on the module's transfer buffer: the public `TreeCursor` class
 * copies the cursor in and out of WebAssembly memory on every step, which made the walk as slow as the parse. A
 * self-check at load time compares the fast walk with the public API on a sample and falls back to the public API
 * if they differ (for instance after a web-tree-sitter upgrade changes its internals).
 *
 * Valid code is first tried with the fast parser (`fastparse.ts`, about 8× faster than tree-sitter's parse and
 * conversion), which builds the same `PyNode` tree and gives up on syntax errors and on the constructs it leaves out;
 * tree-sitter then parses the text (and recovers from its errors).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as TS from 'web-tree-sitter';
import { FastPrefix, fastParse } from './fastparse';
import { splitParse } from './splitparse';
import { changedRange, combineErrors, reparseStatements } from './reparse';
import { releaseUnits } from './unitcache';

/** A named syntax node. Offsets are UTF-16 code units into the parsed text. */
export interface PyNode {
  readonly type: string;
  /** Field name in the parent (`left`, `function`, `arguments`…), or null. */
  readonly field: string | null;
  readonly start: number;
  readonly end: number;
  readonly children: PyNode[];
  parent: PyNode | null;
  /** Pre-order index, unique within one tree. */
  readonly id: number;
}

export interface ParsedPython {
  root: PyNode;
  /** Number of ERROR / MISSING nodes. */
  errors: number;
  firstErrorOffset?: number;
  timedOut: boolean;
  nodeCount: number;
  /**
   * Syntax errors of each top-level statement (index as in `root.children`; absent: none), when there are errors and
   * each lies inside one top-level statement. Used to re-use statements after an edit (see reparse.ts).
   */
  statementErrors?: StatementErrors[];
}

/** Syntax errors inside one top-level statement, with offsets as in the whole text. */
export interface StatementErrors {
  /** ERROR and missing named nodes, and the smallest start among them. */
  named: number;
  firstNamed?: number;
  /** Start of the first missing node (named or not), in pre-order, if any is missing. */
  firstMissing?: number;
}

/** The same errors with their offsets moved by `delta` (a statement parsed on its own, or moved by an edit). */
export function shiftErrors(se: StatementErrors, delta: number): StatementErrors {
  return {
    named: se.named,
    firstNamed: se.firstNamed === undefined ? undefined : se.firstNamed + delta,
    firstMissing: se.firstMissing === undefined ? undefined : se.firstMissing + delta,
  };
}

/** Node types dropped from the converted tree (their text is read from the source when needed). */
const SKIP = new Set([
  'comment',
  'string_start',
  'string_content',
  'string_end',
  'escape_sequence',
  'escape_interpolation',
  'line_continuation',
  'type_conversion',
  'format_specifier',
]);

const ERROR_TYPE_ID = 0xffff;

interface Engine {
  parser: TS.Parser;
  language: TS.Language;
  /** The emscripten module object that `Parser.init` filled in (functions and heap views). */
  module: Record<string, unknown>;
  transferBuffer: number;
  typeNames: string[];
  typeNamed: boolean[];
  typeSkip: boolean[];
  fieldNames: (string | null)[];
  fast: boolean;
  /** Why the fast walk is not used, if it is not. */
  slowReason?: 'binding-initialised-elsewhere' | 'self-check-failed';
}

/**
 * The loaded engine is kept on a process-wide symbol, so that several bundled copies of this module (each unit-test
 * bundle has its own) share the one web-tree-sitter instance: the binding initialises its WebAssembly only once,
 * and only the first caller's module object receives the functions the fast walk needs.
 */
const SHARED = Symbol.for('mlsight.leakage.pythonParser');
interface Shared {
  loading?: Promise<Engine>;
  engine?: Engine;
}
const shared: Shared = ((globalThis as Record<symbol, unknown>)[SHARED] ??= {});

function wasmPath(besideBundle: string, packaged: string): string {
  const beside = path.join(__dirname, besideBundle);
  if (fs.existsSync(beside)) {
    return beside;
  }
  return require.resolve(packaged);
}

/** Where the two WebAssembly files are read from (next to the bundle in dist/, else node_modules). */
export function treeSitterWasmPaths(): { runtime: string; python: string } {
  return {
    runtime: wasmPath('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'),
    python: wasmPath('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'),
  };
}

/** Loads web-tree-sitter and the Python grammar once, on first use. */
export function loadPythonParser(): Promise<void> {
  if (!shared.loading) {
    shared.loading = (async () => {
      // Required here, not at module top, so that importing the analyzer does not evaluate web-tree-sitter.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ts = require('web-tree-sitter') as typeof TS;
      const paths = treeSitterWasmPaths();
      const module: Record<string, unknown> = { locateFile: () => paths.runtime };
      await ts.Parser.init(module as unknown as Parameters<typeof ts.Parser.init>[0]);
      const language = await ts.Language.load(await fs.promises.readFile(paths.python));
      const parser = new ts.Parser();
      parser.setLanguage(language);
      const count = language.nodeTypeCount;
      const typeNames: string[] = [];
      const typeNamed: boolean[] = [];
      const typeSkip: boolean[] = [];
      for (let i = 0; i < count; i++) {
        const name = language.nodeTypeForId(i) ?? '';
        typeNames.push(name);
        typeNamed.push(language.nodeTypeIsNamed(i));
        typeSkip.push(SKIP.has(name));
      }
      // The error symbol is outside the language's type table (id 0xFFFF); ERROR nodes are named and kept.
      typeNames[ERROR_TYPE_ID] = 'ERROR';
      typeNamed[ERROR_TYPE_ID] = true;
      typeSkip[ERROR_TYPE_ID] = false;
      const fieldNames: (string | null)[] = [];
      for (let i = 0; i <= language.fieldCount; i++) {
        fieldNames.push(language.fieldNameForId(i));
      }
      const init = module._ts_init as (() => number) | undefined;
      const e: Engine = {
        parser,
        language,
        module,
        transferBuffer: typeof init === 'function' ? init() : 0,
        typeNames,
        typeNamed,
        typeSkip,
        fieldNames,
        fast: false,
      };
      e.fast = selfCheck(e);
      if (!e.fast) {
        e.slowReason = typeof init === 'function' ? 'self-check-failed' : 'binding-initialised-elsewhere';
      }
      shared.engine = e;
      return e;
    })();
    shared.loading.catch(() => {
      shared.loading = undefined;
    });
  }
  return shared.loading.then(() => undefined);
}

/** True once the WebAssembly is instantiated and the grammar loaded. */
export function isPythonParserLoaded(): boolean {
  return shared.engine !== undefined;
}

/** True when the direct (fast) tree walk passed its self-check; false means the public-API walk is used. */
export function usesFastWalk(): boolean {
  return shared.engine?.fast ?? false;
}

/**
 * Why the public-API walk is used instead of the fast one: web-tree-sitter was initialised by other code first (its
 * WebAssembly functions are then out of reach), or the fast walk disagreed with the public API on the self-check.
 */
export function slowWalkReason(): Engine['slowReason'] {
  return shared.engine?.slowReason;
}

const SELF_CHECK_SOURCE =
  'import numpy as np\n# c\nX_train, X_test = train_test_split(X, y, test_size=0.2)\n' +
  'def f(a, *b, c=1):\n    return a[1:, :2].mean() + f"{a!r:>3}"\nfor m in [a, b]:\n    m.fit(X[0], y)\n(\n';

function selfCheck(e: Engine): boolean {
  try {
    const tree = e.parser.parse(SELF_CHECK_SOURCE);
    if (!tree) {
      return false;
    }
    try {
      const slow = convertPublic(e, tree);
      const fast = convertFast(e, tree);
      return fast !== undefined && sameTree(slow.root, fast.root) && slow.count === fast.count;
    } finally {
      tree.delete();
    }
  } catch {
    return false;
  }
}

function sameTree(a: PyNode, b: PyNode): boolean {
  if (
    a.type !== b.type ||
    a.field !== b.field ||
    a.start !== b.start ||
    a.end !== b.end ||
    a.children.length !== b.children.length
  ) {
    return false;
  }
  for (let i = 0; i < a.children.length; i++) {
    if (!sameTree(a.children[i], b.children[i])) {
      return false;
    }
  }
  return true;
}

interface Converted {
  root: PyNode;
  count: number;
  errors: number;
  firstError?: number;
  /** Errors per top-level statement, and whether an error was outside every top-level statement. */
  statementErrors: StatementErrors[];
  unattributed: boolean;
}

/** Builder shared by both walks: receives nodes in pre-order with their depth. */
class TreeBuilder {
  readonly stack: PyNode[] = [];
  root: PyNode | undefined;
  count = 0;
  errors = 0;
  firstError: number | undefined;
  readonly statementErrors: StatementErrors[] = [];
  unattributed = false;

  add(type: string, field: string | null, start: number, end: number, depth: number, missing: boolean): void {
    while (this.stack.length > depth) {
      this.stack.pop();
    }
    const parent = this.stack.length ? this.stack[this.stack.length - 1] : null;
    const node: PyNode = { type, field, start, end, children: [], parent, id: this.count++ };
    if (parent) {
      parent.children.push(node);
    } else {
      this.root = node;
    }
    this.stack.push(node);
    if (type === 'ERROR' || missing) {
      this.errors++;
      if (this.firstError === undefined || start < this.firstError) {
        this.firstError = start;
      }
      if (depth === 0 || !this.root) {
        this.unattributed = true;
        return;
      }
      const i = this.root.children.length - 1;
      const se = (this.statementErrors[i] ??= { named: 0 });
      se.named++;
      if (se.firstNamed === undefined || start < se.firstNamed) {
        se.firstNamed = start;
      }
    }
  }
}

type WasmFn = (tree: number) => number;

/** Direct walk over the binding's cursor functions; undefined when the module does not expose them. */
function convertFast(e: Engine, tree: TS.Tree): Converted | undefined {
  const m = e.module;
  const first = m._ts_tree_cursor_goto_first_child_wasm as WasmFn | undefined;
  const next = m._ts_tree_cursor_goto_next_sibling_wasm as WasmFn | undefined;
  const parentFn = m._ts_tree_cursor_goto_parent_wasm as WasmFn | undefined;
  const typeId = m._ts_tree_cursor_current_node_type_id_wasm as WasmFn | undefined;
  const startIdx = m._ts_tree_cursor_start_index_wasm as WasmFn | undefined;
  const endIdx = m._ts_tree_cursor_end_index_wasm as WasmFn | undefined;
  const fieldId = m._ts_tree_cursor_current_field_id_wasm as WasmFn | undefined;
  const isMissing = m._ts_tree_cursor_current_node_is_missing_wasm as WasmFn | undefined;
  if (!first || !next || !parentFn || !typeId || !startIdx || !endIdx || !fieldId || !isMissing || !e.transferBuffer) {
    return undefined;
  }
  const cursor = tree.walk();
  // The public cursor has just written itself into the transfer buffer; every call below reads and updates it there.
  const handle = (tree as unknown as Record<number, number>)[0];
  const b = new TreeBuilder();
  const { typeNames, typeNamed, typeSkip, fieldNames } = e;
  let depth = 0;
  try {
    for (;;) {
      const t = typeId(handle);
      let descend = false;
      if (typeNamed[t] && !typeSkip[t]) {
        const start = startIdx(handle);
        const end = endIdx(handle);
        b.add(
          typeNames[t],
          fieldNames[fieldId(handle)] ?? null,
          start,
          end,
          depth,
          start === end && isMissing(handle) === 1,
        );
        descend = true;
      }
      if (descend && first(handle)) {
        depth++;
        continue;
      }
      let moved = false;
      while (!(moved = next(handle) === 1)) {
        if (!parentFn(handle)) {
          break;
        }
        depth--;
      }
      if (!moved) {
        break;
      }
    }
  } finally {
    // Copy the cursor state back so that `delete` frees the right memory (its stack may have been reallocated).
    const heap = m.HEAP32 as Int32Array | undefined;
    const c = cursor as unknown as Record<number, number>;
    if (heap) {
      const tb = e.transferBuffer >> 2;
      c[0] = heap[tb];
      c[1] = heap[tb + 1];
      c[2] = heap[tb + 2];
      c[3] = heap[tb + 3];
    }
    cursor.delete();
  }
  return {
    root: b.root ?? emptyModule(),
    count: b.count,
    errors: b.errors,
    firstError: b.firstError,
    statementErrors: b.statementErrors,
    unattributed: b.unattributed,
  };
}

function emptyModule(): PyNode {
  return { type: 'module', field: null, start: 0, end: 0, children: [], parent: null, id: 0 };
}

/** The same walk through the public TreeCursor API (slower; used if the fast walk fails its self-check). */
function convertPublic(e: Engine, tree: TS.Tree): Converted {
  const c = tree.walk();
  const b = new TreeBuilder();
  const { typeNames, typeNamed, typeSkip, fieldNames } = e;
  let depth = 0;
  try {
    for (;;) {
      const t = c.nodeTypeId;
      let descend = false;
      if (typeNamed[t] && !typeSkip[t]) {
        const start = c.startIndex;
        const end = c.endIndex;
        b.add(typeNames[t], fieldNames[c.currentFieldId] ?? null, start, end, depth, start === end && c.nodeIsMissing);
        descend = true;
      }
      if (descend && c.gotoFirstChild()) {
        depth++;
        continue;
      }
      let moved = false;
      while (!(moved = c.gotoNextSibling())) {
        if (!c.gotoParent()) {
          break;
        }
        depth--;
      }
      if (!moved) {
        break;
      }
    }
  } finally {
    c.delete();
  }
  return {
    root: b.root ?? emptyModule(),
    count: b.count,
    errors: b.errors,
    firstError: b.firstError,
    statementErrors: b.statementErrors,
    unattributed: b.unattributed,
  };
}

function firstMissing(tree: TS.Tree, within?: TS.Node): number | undefined {
  const c = within ? within.walk() : tree.walk();
  try {
    for (;;) {
      if (c.nodeIsMissing || c.nodeType === 'ERROR') {
        return c.startIndex;
      }
      if (c.gotoFirstChild()) {
        continue;
      }
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent()) {
          return undefined;
        }
      }
    }
  } finally {
    c.delete();
  }
}

/**
 * Per-document parse state kept for re-parsing after an edit (see `parsePython`'s `documentKey`): the text and result
 * of the last parse, and the tree-sitter tree with the text it was parsed from (older than `text` when the last parse
 * re-used unchanged statements instead of re-parsing the whole document).
 */
interface CachedDocument {
  text: string;
  result: ParsedPython;
  /** Absent when the last whole parse was done by the fast parser (`fastparse.ts`). */
  tree?: TS.Tree;
  treeText: string;
  /**
   * The last parse was tree-sitter's of the whole text and had syntax errors: its statements are not re-used after an
   * edit, not even those without an error. Recovering from an error (an unterminated f-string typed at column 0
   * inside a function) can leave tree-sitter's indentation scanner off for a while, so that a later statement without
   * errors comes out with another shape than when it is parsed from its own start (a nested function's body holding
   * the next, less indented line).
   */
  recovered?: boolean;
}
const MAX_CACHED_DOCUMENTS = 16;
/** Whether valid code is parsed by the fast parser (`fastparse.ts`); off only to measure tree-sitter alone (bench). */
let useFastParser = true;
export function setFastParser(on: boolean): void {
  useFastParser = on;
}
const documents = new Map<string, CachedDocument>();
/** How re-parses of kept documents went: statements re-used, or the whole text parsed again (for tests/bench). */
export const reparseStats = { reused: 0, whole: 0 };

/** Frees the parse tree and analysis results kept for a document (call when the editor closes it). */
export function releaseDocument(documentKey: string): void {
  releaseUnits(documentKey);
  const d = documents.get(documentKey);
  if (d) {
    d.tree?.delete();
    documents.delete(documentKey);
  }
}

function pointAt(text: string, index: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/** The single edit (common prefix and suffix kept) that turns `before` into `after`. */
function diffEdit(before: string, after: string): TS.Edit {
  const { start, oldEnd, newEnd } = changedRange(before, after);
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(before, start),
    oldEndPosition: pointAt(before, oldEnd),
    newEndPosition: pointAt(after, newEnd),
  };
}

/**
 * Parses Python source into a `PyNode` tree. Requires `loadPythonParser()` to have completed. Never throws on bad
 * input: syntax errors become ERROR nodes; a parse that exceeds `timeoutMs` returns an empty module with `timedOut`.
 * With a `documentKey` (an editor's document URI), the result is kept and the next parse of that document re-parses
 * only the top-level statements around the edit and re-uses the others (see reparse.ts), else re-parses the whole
 * text incrementally with tree-sitter (unchanged text: no parse at all); at most 16 documents are kept, least
 * recently parsed first out. The previous result for the same key is invalid after the next parse of that key.
 */
export function parsePython(source: string, timeoutMs = 10_000, documentKey?: string): ParsedPython {
  const e = shared.engine;
  if (!e) {
    throw new Error('The Python parser is not loaded yet: await loadPythonParser() first.');
  }
  const cached = documentKey !== undefined ? documents.get(documentKey) : undefined;
  const deadline = performance.now() + timeoutMs;
  let calls = 0;
  // Called very often during a parse: look at the clock only every 64th time.
  const progressCallback = () => (++calls & 63) === 0 && performance.now() > deadline;
  if (cached) {
    documents.delete(documentKey!);
    if (cached.text === source) {
      documents.set(documentKey!, cached);
      return cached.result;
    }
    const reused = cached.recovered
      ? undefined
      : reparseStatements(cached.text, cached.result, source, region => {
          const fast = useFastParser ? fastParse(region, deadline) : undefined;
          if (fast === 'timeout') {
            return undefined;
          }
          if (fast) {
            return { root: fast.root, errors: 0, timedOut: false, nodeCount: fast.nodeCount };
          }
          return treeSitterRegion(e, region, progressCallback);
        });
    if (reused) {
      reparseStats.reused++;
      cached.text = source;
      cached.result = reused;
      documents.set(documentKey!, cached);
      return reused;
    }
    reparseStats.whole++;
    cached.tree?.edit(diffEdit(cached.treeText, source));
  }
  const prefix: { value?: FastPrefix } = {};
  const fast = useFastParser ? fastParse(source, deadline, prefix) : undefined;
  if (fast === 'timeout') {
    cached?.tree?.delete();
    return { root: emptyModule(), errors: 0, timedOut: true, nodeCount: 1 };
  }
  if (fast) {
    cached?.tree?.delete();
    const result: ParsedPython = { root: fast.root, errors: 0, timedOut: false, nodeCount: fast.nodeCount };
    if (documentKey !== undefined) {
      keepDocument(documentKey, { text: source, treeText: source, result });
    }
    return result;
  }
  const split = useFastParser ? splitParseWith(e, source, deadline, progressCallback, prefix.value) : undefined;
  if (split) {
    cached?.tree?.delete();
    if (documentKey !== undefined) {
      keepDocument(documentKey, { text: source, treeText: source, result: split });
    }
    return split;
  }
  let tree: TS.Tree | null = null;
  try {
    tree = e.parser.parse(source, cached?.tree ?? null, { progressCallback });
  } catch {
    tree = null;
  }
  cached?.tree?.delete();
  if (!tree) {
    e.parser.reset();
    return { root: emptyModule(), errors: 0, timedOut: true, nodeCount: 1 };
  }
  let keep = false;
  try {
    const result = convertTree(e, tree);
    if (documentKey !== undefined) {
      keepDocument(documentKey, { text: source, tree, treeText: source, result, recovered: result.errors > 0 });
      keep = true;
    }
    return result;
  } finally {
    if (!keep) {
      tree.delete();
    }
  }
}

/** A text parsed on its own by tree-sitter (undefined on a timeout). */
function treeSitterRegion(e: Engine, text: string, progressCallback: () => boolean): ParsedPython | undefined {
  let t: TS.Tree | null = null;
  try {
    t = e.parser.parse(text, null, { progressCallback });
  } catch {
    t = null;
  }
  if (!t) {
    e.parser.reset();
    return undefined;
  }
  try {
    return convertTree(e, t);
  } finally {
    t.delete();
  }
}

/**
 * A text the fast parser gave up on, parsed in pieces (tree-sitter only for the failing ones, see splitparse.ts);
 * undefined when that is not known to give tree-sitter's tree or on a timeout (the caller then parses it whole).
 */
function splitParseWith(
  e: Engine,
  text: string,
  deadline: number,
  progressCallback: () => boolean,
  prefix: FastPrefix | undefined,
): ParsedPython | undefined {
  const r = splitParse(
    text,
    t => fastParse(t, deadline),
    t => treeSitterRegion(e, t, progressCallback),
    prefix,
  );
  return r === 'timeout' ? undefined : r;
}

function keepDocument(documentKey: string, d: CachedDocument): void {
  documents.set(documentKey, d);
  for (const [k] of documents) {
    if (documents.size <= MAX_CACHED_DOCUMENTS) {
      break;
    }
    releaseDocument(k);
  }
}

function convertTree(e: Engine, tree: TS.Tree): ParsedPython {
  const conv = (e.fast ? convertFast(e, tree) : undefined) ?? convertPublic(e, tree);
  const hasError = tree.rootNode.hasError;
  if (conv.errors === 0 && hasError) {
    // Only missing anonymous tokens (a forgotten ")" or ":"), which the walks skip: locate the first one.
    conv.errors = 1;
    conv.firstError = firstMissing(tree);
  }
  const result: ParsedPython = {
    root: conv.root,
    errors: conv.errors,
    firstErrorOffset: conv.firstError,
    timedOut: false,
    nodeCount: conv.count,
  };
  if (hasError && !conv.unattributed && missingPerStatement(e, tree, conv)) {
    // Kept only when the statements' errors add up to the whole (the root can have an error of its own).
    const sum = combineErrors(conv.statementErrors);
    if (sum.errors === result.errors && sum.firstErrorOffset === result.firstErrorOffset) {
      result.statementErrors = conv.statementErrors;
    }
  }
  return result;
}

/**
 * Adds the first missing node of each top-level statement to `conv.statementErrors`; false when an error lies
 * outside every kept top-level statement.
 */
function missingPerStatement(e: Engine, tree: TS.Tree, conv: Converted): boolean {
  const c = tree.walk();
  try {
    if (!c.gotoFirstChild()) {
      return false;
    }
    let index = -1;
    do {
      const t = c.nodeTypeId;
      const kept = e.typeNamed[t] && !e.typeSkip[t];
      if (kept) {
        index++;
      }
      const node = c.currentNode;
      if (!node.hasError) {
        continue;
      }
      if (!kept) {
        return false;
      }
      const first = firstMissing(tree, node);
      if (first !== undefined) {
        (conv.statementErrors[index] ??= { named: 0 }).firstMissing = first;
      }
    } while (c.gotoNextSibling());
    return index === conv.root.children.length - 1;
  } finally {
    c.delete();
  }
}

/** Parses with a chosen walk (tests compare the fast walk with the public-API fallback). */
export function parsePythonWith(source: string, walk: 'fast' | 'public'): ParsedPython {
  const e = shared.engine;
  if (!e) {
    throw new Error('The Python parser is not loaded yet: await loadPythonParser() first.');
  }
  const tree = e.parser.parse(source);
  if (!tree) {
    throw new Error('parse failed');
  }
  try {
    const conv = walk === 'fast' ? convertFast(e, tree) : convertPublic(e, tree);
    if (!conv) {
      throw new Error('the fast walk is unavailable');
    }
    // Counted as parsePython counts them: a text whose only errors are missing tokens has one.
    const missingOnly = conv.errors === 0 && tree.rootNode.hasError;
    return {
      root: conv.root,
      errors: missingOnly ? 1 : conv.errors,
      firstErrorOffset: missingOnly ? firstMissing(tree) : conv.firstError,
      timedOut: false,
      nodeCount: conv.count,
    };
  } finally {
    tree.delete();
  }
}
