/**
 * Public types of the Python leakage / ML-mistake analyzer. Everything here is plain data (no editor types), so the
 * VS Code adapter, the `mlsight lint` CLI and the tests share one vocabulary.
 */

/** Rule identifiers; each is also the diagnostic `code`. */
export type RuleId =
  | 'preprocessing-before-split'
  | 'oversampling-before-split'
  | 'test-data-in-fit'
  | 'target-in-features'
  | 'evaluation-on-training-data'
  | 'multi-test'
  | 'missing-stratify'
  | 'missing-random-state'
  | 'missing-seed'
  | 'accuracy-on-imbalanced'
  | 'no-baseline';

export type Severity = 'error' | 'warning' | 'info';

/** A source range; lines and columns are 0-based, columns count UTF-16 code units (as in VS Code). */
export interface Range {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** Replace `range` with `newText` (an insertion when the range is empty). */
export interface TextEdit {
  range: Range;
  newText: string;
  /** Notebooks only: index of the cell the edit applies to, and the range inside that cell. */
  cell?: number;
  cellRange?: Range;
}

/** A quick fix: a title for the menu and the edits to apply together. Edits never overlap. */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
}

/** A secondary location worth linking to (the split, the fit, the other evaluations…). */
export interface RelatedLocation {
  message: string;
  range: Range;
  cell?: number;
  cellRange?: Range;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** One or two plain-text sentences: what is wrong, with the variable names and lines involved, and what to do. */
  message: string;
  /**
   * Where the finding is shown. For a .py file: the file. For a notebook: the code cells joined in order with one
   * newline between cells (line N of the CLI output); `cell`/`cellRange` give the cell-local location.
   */
  range: Range;
  related?: RelatedLocation[];
  fixes?: QuickFix[];
  /** Notebooks only: index of the cell (in the notebook's cell list, markdown cells included). */
  cell?: number;
  cellRange?: Range;
}

/** Per-rule setting: `false`/'off' disables the rule, a severity overrides the default one. */
export type RuleSetting = boolean | 'off' | Severity;

export interface AnalyzeOptions {
  /** Per-rule enable/severity overrides; rules not listed use their defaults (all enabled). */
  rules?: Partial<Record<RuleId, RuleSetting>>;
  /** Honour `# mlsight: ignore[rule-id]` comments (default true). */
  suppressions?: boolean;
  /** Give up parsing after this many milliseconds (default 10,000); the result then has `parseTimedOut`. */
  parseTimeoutMs?: number;
  /** Value used by quick fixes that add a seed or `random_state` (default 42). */
  seed?: number;
  /**
   * Identifies the document (e.g. its URI) so that the next analysis of the same document re-parses incrementally
   * (and not at all when the text did not change) and re-uses the analysis of unchanged functions (unitcache.ts).
   * Call `releaseDocument(key)` when the document is closed.
   */
  documentKey?: string;
}

/** The full result of one analysis. */
export interface AnalysisResult {
  findings: Finding[];
  /** Number of syntax-error regions tree-sitter recovered from (the analysis still ran on the rest). */
  syntaxErrors: number;
  /** First syntax error, if any (useful for the CLI's "could not parse" report). */
  firstSyntaxError?: Range;
  /** True when parsing was abandoned because of `parseTimeoutMs`; findings are then empty. */
  parseTimedOut: boolean;
  /** Set when the text was not analysed at all: 'binary' (it contains NUL characters, so it is not source code). */
  skipped?: 'binary';
  /** Milliseconds spent parsing (tree-sitter + conversion) and analysing. */
  timings: { parseMs: number; analyzeMs: number };
}

/** One code cell handed to `analyzeNotebook` by an editor (which already has the cells). */
export interface NotebookCellInput {
  source: string;
  /** Index of the cell in the notebook (markdown cells included); defaults to the position in the input list. */
  index?: number;
  /** Plain-text outputs of the cell, if known (used as evidence of class imbalance from printed value counts). */
  outputs?: string[];
}
