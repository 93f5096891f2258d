/**
 * # Leakage and ML-mistake analyzer for Python files and notebooks (editor-agnostic core)
 *
 * ```ts
 * import { analyzePython, analyzeNotebook, RULES } from './core/leakage';
 * const findings = await analyzePython(source, { rules: { 'no-baseline': 'off', 'missing-stratify': 'error' } });
 * const nbFindings = await analyzeNotebook(ipynbJson);               // or an array of { source, index } cells
 * ```
 *
 * - **Parser**: valid code is parsed by a fast recursive-descent parser (fastparse.ts) that builds exactly the tree
 *   tree-sitter would; code with syntax errors (and the few constructs it leaves out) by web-tree-sitter 0.25 + the
 *   tree-sitter-python grammar (WebAssembly), loaded lazily on the first call (`loadPythonParser()` preloads it;
 *   `isPythonParserLoaded()` tells). The .wasm files are read next to the bundle (dist/) or from node_modules. After
 *   loading, `analyzePythonSync`/`analyzeNotebookSync` run synchronously. A text with a syntax error is parsed in
 *   top-level pieces, tree-sitter only for the pieces around the error, when that gives tree-sitter's own tree of
 *   the whole text (splitparse.ts).
 * - **Positions**: every `Range` is 0-based (lines and UTF-16 columns, as in VS Code). The CLI adds 1 to lines.
 * - **Notebooks**: code cells are analysed together, in order, joined with one newline between cells; magics,
 *   shell escapes and help lines are blanked (line numbers kept). A finding's `range` is in that joined text (line
 *   N of the CLI output); `cell` (the index in the notebook's cells, markdown included) and `cellRange` locate it in
 *   its cell. Quick-fix edits and related locations carry `cell`/`cellRange` the same way.
 * - **Findings**: `{ rule, severity, message, range, related?, fixes? }`; `rule` is the diagnostic code, messages
 *   are plain text and name the variables and lines involved. `fixes` are alternative quick fixes, each a list of
 *   non-overlapping `TextEdit`s to apply together (`applyEdits` applies them to a string).
 * - **Options**: `rules` turns rules off (`false`/'off') or changes their severity; `suppressions: false` ignores
 *   `# mlsight: ignore[rule-id]` comments (on the finding's line or alone on the line above; `ignore` without a list
 *   silences every rule; `# mlsight: ignore-file[rule-id]` anywhere silences a rule for the whole file).
 * - **Editing**: pass `documentKey` (the document URI) as the user types: only the top-level statements around the
 *   edit are parsed again and the rest of the converted tree is re-used (reparse.ts; the whole text is parsed again,
 *   incrementally, when that is not known to give the same tree, e.g. while the edited statement has a syntax error).
 *   The analysis of a function of the module that was not edited, and whose inputs from the module did not change,
 *   is re-used (unitcache.ts); the module's own statements run again. Debounce in the editor and call
 *   `releaseDocument` on close.
 * - **Robustness**: never throws on bad Python (syntax errors are recovered from and counted in `syntaxErrors`);
 *   parsing stops after `parseTimeoutMs`; invalid notebook JSON gives `error` instead of throwing.
 */
import { analyzeText } from './analyze';
import { blankMagics, joinCells, parseNotebook } from './notebook';
import { isPythonParserLoaded, loadPythonParser } from './parser';
import type { AnalysisResult, AnalyzeOptions, Finding, NotebookCellInput, TextEdit } from './types';

export type {
  AnalysisResult,
  AnalyzeOptions,
  Finding,
  NotebookCellInput,
  QuickFix,
  Range,
  RelatedLocation,
  RuleId,
  RuleSetting,
  Severity,
  TextEdit,
} from './types';
export { RULES, RULE_IDS } from './rules';
export { FIRST_RUNS, PUBLIC_FIRST_RUNS, RATE_CORPUS, RULE_RATES, rateText } from './rates';
export type { RuleRate } from './rates';
export type { RuleInfo } from './rules';
export { blankMagics, parseNotebook } from './notebook';
export { isPythonParserLoaded, loadPythonParser, releaseDocument, usesFastWalk } from './parser';

/** Result of a notebook analysis; `error` is set when the input is not a readable notebook. */
export interface NotebookAnalysisResult extends AnalysisResult {
  error?: string;
  /** Kernel language, when declared; notebooks in another language are not analysed. */
  language?: string;
}

/** Analyses Python source; loads the parser on first use. */
export async function analyzePython(source: string, options?: AnalyzeOptions): Promise<Finding[]> {
  return (await analyzePythonDetailed(source, options)).findings;
}

/** Like `analyzePython`, with syntax-error counts and timings. */
export async function analyzePythonDetailed(source: string, options?: AnalyzeOptions): Promise<AnalysisResult> {
  await loadPythonParser();
  return analyzeText(source, options);
}

/** Synchronous analysis; the parser must be loaded (`await loadPythonParser()`), else this throws. */
export function analyzePythonSync(source: string, options?: AnalyzeOptions): AnalysisResult {
  if (!isPythonParserLoaded()) {
    throw new Error('The Python parser is not loaded yet: await loadPythonParser() first.');
  }
  return analyzeText(source, options);
}

/** Analyses a notebook: the .ipynb JSON text, or the code cells (an editor already has them). */
export async function analyzeNotebook(
  input: string | NotebookCellInput[],
  options?: AnalyzeOptions,
): Promise<Finding[]> {
  return (await analyzeNotebookDetailed(input, options)).findings;
}

export async function analyzeNotebookDetailed(
  input: string | NotebookCellInput[],
  options?: AnalyzeOptions,
): Promise<NotebookAnalysisResult> {
  await loadPythonParser();
  return analyzeNotebookSync(input, options);
}

/** Synchronous notebook analysis; the parser must be loaded. */
export function analyzeNotebookSync(
  input: string | NotebookCellInput[],
  options?: AnalyzeOptions,
): NotebookAnalysisResult {
  if (!isPythonParserLoaded()) {
    throw new Error('The Python parser is not loaded yet: await loadPythonParser() first.');
  }
  let cells: NotebookCellInput[];
  let language: string | undefined;
  if (typeof input === 'string') {
    try {
      const nb = parseNotebook(input);
      cells = nb.cells;
      language = nb.language;
    } catch (e) {
      return {
        findings: [],
        syntaxErrors: 0,
        parseTimedOut: false,
        timings: { parseMs: 0, analyzeMs: 0 },
        error: e instanceof Error ? e.message : String(e),
      };
    }
    if (language && !/^(python|ipython)\d*$/i.test(language)) {
      return { findings: [], syntaxErrors: 0, parseTimedOut: false, timings: { parseMs: 0, analyzeMs: 0 }, language };
    }
  } else {
    cells = input;
  }
  const { text, map } = joinCells(cells);
  return { ...analyzeText(text, options, map), language };
}

/**
 * The notebook as the analysis sees it: every code cell with its magics blanked (same lines), where it starts in
 * the joined text, and the joined text itself (code cells joined with one newline: the CLI's line numbers).
 */
export function prepareNotebook(input: string | NotebookCellInput[]): {
  text: string;
  cells: { index: number; source: string; startLine: number; lineCount: number }[];
} {
  const cells = typeof input === 'string' ? parseNotebook(input).cells : input;
  const { text, map } = joinCells(cells);
  return {
    text,
    cells: map.cells.map((c, i) => ({
      index: c.index,
      source: blankMagics(cells[i].source),
      startLine: c.startLine,
      lineCount: c.lineCount,
    })),
  };
}

/** The notebook text the analysis sees: code cells with magics blanked, joined with one newline (CLI line numbers). */
export function notebookText(input: string | NotebookCellInput[]): string {
  return joinCells(typeof input === 'string' ? parseNotebook(input).cells : input).text;
}

/**
 * Applies non-overlapping edits to a text (0-based line/column ranges, e.g. a quick fix's edits). For notebook
 * fixes, apply the edits' `range`s to the joined text, or their `cellRange`s to each cell's text.
 */
export function applyEdits(text: string, edits: readonly TextEdit[], useCellRanges = false): string {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    starts.push(i + 1);
  }
  const off = (line: number, col: number) => (starts[line] ?? text.length) + col;
  const resolved = edits
    .map(e => {
      const r = useCellRanges && e.cellRange ? e.cellRange : e.range;
      return { start: off(r.startLine, r.startColumn), end: off(r.endLine, r.endColumn), text: e.newText };
    })
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of resolved) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return out;
}
