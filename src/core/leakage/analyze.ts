/**
 * One analysis run: parse, data-flow facts, syntactic facts, rules, then options (per-rule enable/severity),
 * `# mlsight: ignore[...]` suppressions, and conversion of offsets to ranges (and to notebook cells).
 */
import { analyzeTree } from './dataflow';
import { RANDOM_FRAMEWORKS, SEED_CALLS } from './knowledge';
import type { PyNode } from './parser';
import { parsePython } from './parser';
import { RULES, RawFinding, RuleContext, SyntaxFacts, runRules } from './rules';
import { SourceText, dottedName, field } from './syntax';
import { unitCacheFor } from './unitcache';
import type { AnalysisResult, AnalyzeOptions, Finding, Range, RuleId, Severity, TextEdit } from './types';

/** How a joined notebook maps back to its cells. */
export interface CellMap {
  /** For each code cell in order: its notebook index and first line in the joined text. */
  cells: {
    index: number;
    startLine: number;
    lineCount: number;
    outputs?: string[];
    /** Lines whose magics were blanked: cell line → [blanked length, original length]. */
    changed?: Map<number, [number, number]>;
  }[];
}

const DEFAULT_SEVERITY = new Map<RuleId, Severity>(RULES.map(r => [r.id, r.severity]));

/** Cheap pre-filter for the calls that can be seeds, random draws or training steps. */
const INTERESTING_CALL =
  /seed|rand|Random|rng|normal|shuffle|choice|sample|uniform|gauss|bernoulli|multinomial|backward|step|PRNGKey|perm/;

/** What one top-level statement contributes to the syntax facts (re-used while the statement is unchanged). */
interface StatementSyntax {
  imports: SyntaxFacts['imports'];
  /** Import-level aliases, in order (`np` → `numpy`). */
  aliases: [string, string][];
  /** Imports of random frameworks. */
  randomness: SyntaxFacts['randomness'];
  /** Calls whose callee text can be a seed, a random draw or a training step. */
  calls: { node: PyNode; dotted: string; hasArgs: boolean; inPlot: boolean }[];
  dummy: boolean;
}

/**
 * Collects imports, seed calls, sources of randomness, torch training steps and baseline mentions. `cache` keeps
 * each top-level statement's part between analyses of one document (its nodes are re-used after an edit).
 */
export function syntaxFacts(root: PyNode, src: SourceText, cache?: { statements: Map<PyNode, object> }): SyntaxFacts {
  const out: SyntaxFacts = { imports: [], seeds: [], randomness: [], backward: [], dummy: false };
  const aliases = new Map<string, string>();
  const parts: StatementSyntax[] = [];
  const kept = cache ? new Map<PyNode, object>() : undefined;
  // where the next 'Dummy' is in the text (statements come in order: one search per occurrence, not per statement)
  let dummyAt = -1;
  for (const stmt of root.children) {
    let part = cache?.statements.get(stmt) as StatementSyntax | undefined;
    if (!part) {
      if (dummyAt !== -2 && dummyAt < stmt.start) {
        dummyAt = src.text.indexOf('Dummy', stmt.start);
        if (dummyAt < 0) {
          dummyAt = -2;
        }
      }
      part = statementSyntax(stmt, src, dummyAt >= 0 && dummyAt < stmt.end);
    }
    kept?.set(stmt, part);
    parts.push(part);
    out.imports.push(...part.imports);
    for (const [a, m] of part.aliases) {
      aliases.set(a, m);
    }
    out.randomness.push(...part.randomness);
    out.dummy ||= part.dummy;
  }
  if (cache) {
    cache.statements = kept!;
  }
  for (const part of parts) {
    for (const { node: c, dotted, hasArgs, inPlot } of part.calls) {
      const dot = dotted.indexOf('.');
      const head = dot < 0 ? dotted : dotted.slice(0, dot);
      const qn = aliases.has(head) ? aliases.get(head)! + dotted.slice(head.length) : dotted;
      if (
        SEED_CALLS.test(qn) ||
        SEED_CALLS.test(dotted) ||
        (/(^|\.)(default_rng|RandomState|Random|PRNGKey)$/.test(qn) && hasArgs)
      ) {
        out.seeds.push(c);
        continue;
      }
      if (
        /^numpy\.random\.\w+$/.test(qn) ||
        /^random\.(random|shuffle|choice|choices|randint|sample|uniform|gauss|randrange|normalvariate)$/.test(qn) ||
        /^torch\.(rand|randn|randint|randperm|normal|bernoulli|multinomial|rand_like|randn_like)$/.test(qn) ||
        /^tensorflow\.random\.\w+$/.test(qn)
      ) {
        if (!inPlot) {
          out.randomness.push({ node: c, what: `${dotted}()` });
        }
      }
      if (/\.backward$/.test(dotted) || (/\.step$/.test(dotted) && /optim/i.test(dotted))) {
        out.backward.push(c);
      }
    }
  }
  return out;
}

const WALK_STACK: PyNode[] = [];
const WALK_CALLS: PyNode[] = [];

/** The syntax facts of one top-level statement (aliases not yet applied to its calls). */
function statementSyntax(stmt: PyNode, src: SourceText, mayMentionDummy: boolean): StatementSyntax {
  const out: StatementSyntax = { imports: [], aliases: [], randomness: [], calls: [], dummy: false };
  // scratch arrays shared by all calls (this function does not re-enter itself), used up to `sp`/`nCalls` (setting
  // their length to 0 would free their storage, to be grown again by the next statement; they keep the last
  // statement's nodes until the next call)
  const stack = WALK_STACK;
  const calls = WALK_CALLS;
  let sp = 0;
  let nCalls = 0;
  stack[sp++] = stmt;
  while (sp > 0) {
    const n = stack[--sp];
    switch (n.type) {
      case 'import_statement':
        for (const c of n.children) {
          const name = c.type === 'aliased_import' ? field(c, 'name') : c;
          const alias = c.type === 'aliased_import' ? field(c, 'alias') : undefined;
          if (!name || name.type !== 'dotted_name') {
            continue;
          }
          const module = src.slice(name).replace(/\s+/g, '');
          const a = alias ? src.slice(alias) : module.split('.')[0];
          out.imports.push({ node: n, module: alias ? module : module.split('.')[0], alias: a });
          out.aliases.push([a, alias ? module : module.split('.')[0]]);
          if (RANDOM_FRAMEWORKS.test(module)) {
            out.randomness.push({ node: n, what: `import ${module}` });
          }
        }
        continue;
      case 'import_from_statement': {
        const mod = field(n, 'module_name');
        const module = mod ? src.slice(mod).replace(/\s+/g, '') : '';
        if (RANDOM_FRAMEWORKS.test(module)) {
          out.randomness.push({ node: n, what: `from ${module} import …` });
        }
        for (const c of n.children) {
          if (c.field !== 'name') {
            continue;
          }
          const name = c.type === 'aliased_import' ? field(c, 'name') : c;
          const alias = c.type === 'aliased_import' ? field(c, 'alias') : undefined;
          if (!name) {
            continue;
          }
          const nm = src.slice(name);
          const a = alias ? src.slice(alias) : nm;
          out.imports.push({ node: n, module: `${module}.${nm}`, alias: a });
          out.aliases.push([a, `${module}.${nm}`]);
        }
        continue;
      }
      case 'identifier':
        if (mayMentionDummy && !out.dummy && /^Dummy(Classifier|Regressor)$/.test(src.slice(n))) {
          out.dummy = true;
        }
        continue;
      case 'call':
        calls[nCalls++] = n;
        break;
      default:
        break;
    }
    for (let i = n.children.length - 1; i >= 0; i--) {
      const c = n.children[i];
      // a leaf can only matter as a `Dummy…` identifier (imports and calls have children)
      if (c.children.length || mayMentionDummy) {
        stack[sp++] = c;
      }
    }
  }
  for (let k = 0; k < nCalls; k++) {
    const c = calls[k];
    const fn = field(c, 'function');
    if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute')) {
      continue;
    }
    const raw = src.slice(fn);
    if (!INTERESTING_CALL.test(raw)) {
      continue;
    }
    const dotted = /^[\w.]+$/.test(raw) ? raw : dottedName(fn, src);
    if (!dotted) {
      continue;
    }
    const hasArgs = (field(c, 'arguments')?.children.length ?? 0) > 0;
    out.calls.push({ node: c, dotted, hasArgs, inPlot: inPlot(c, src) });
  }
  return out;
}

/** A random draw that is an argument of a plotting call (jitter, sample points): it does not touch any model. */
function inPlot(c: PyNode, src: SourceText): boolean {
  for (let p = c.parent; p && p.type !== 'expression_statement' && p.type !== 'block'; p = p.parent) {
    const fn = p.type === 'call' ? field(p, 'function') : undefined;
    if (fn && /^(plt|sns|ax\w*|axs?\[.*\]|fig|px|go|matplotlib|seaborn)\./.test(src.slice(fn))) {
      return true;
    }
  }
  return false;
}

interface Suppressions {
  lines: Map<number, Set<string> | 'all'>;
  file: Set<string> | 'all' | undefined;
}

const SUPPRESS = /#\s*mlsight:\s*ignore(-file)?(?:\[([^\]]*)\])?/g;

/** `# mlsight: ignore[rule, …]` on a line (or alone on the line above); `# mlsight: ignore-file[…]` anywhere. */
function suppressions(src: SourceText): Suppressions {
  const out: Suppressions = { lines: new Map(), file: undefined };
  if (!src.text.includes('mlsight')) {
    return out;
  }
  for (let line = 0; line < src.lineCount; line++) {
    const text = src.lineText(line);
    if (!text.includes('mlsight')) {
      continue;
    }
    for (const m of text.matchAll(SUPPRESS)) {
      const ids: Set<string> | 'all' = m[2]
        ? new Set(
            m[2]
              .split(',')
              .map(x => x.trim())
              .filter(Boolean),
          )
        : 'all';
      if (m[1]) {
        out.file = out.file === 'all' || ids === 'all' ? 'all' : new Set([...(out.file ?? []), ...ids]);
        continue;
      }
      const targets = [line];
      if (/^\s*#/.test(text)) {
        targets.push(line + 1);
      }
      for (const t of targets) {
        const cur = out.lines.get(t);
        out.lines.set(t, cur === 'all' || ids === 'all' ? 'all' : new Set([...(cur ?? []), ...ids]));
      }
    }
  }
  return out;
}

function isSuppressed(s: Suppressions, rule: string, line: number): boolean {
  if (s.file === 'all' || s.file?.has(rule)) {
    return true;
  }
  const l = s.lines.get(line);
  return l === 'all' || !!l?.has(rule);
}

function effectiveSeverity(rule: RuleId, options: AnalyzeOptions | undefined): Severity | undefined {
  const setting = options?.rules?.[rule];
  if (setting === false || setting === 'off') {
    return undefined;
  }
  if (setting === 'error' || setting === 'warning' || setting === 'info') {
    return setting;
  }
  return DEFAULT_SEVERITY.get(rule);
}

/** Range of a reported call: from its start to its end, or to the end of its first line if it spans several. */
function reportRange(src: SourceText, n: PyNode): Range {
  const r = src.range(n.start, n.end);
  if (r.endLine === r.startLine) {
    return r;
  }
  const lineText = src.lineText(r.startLine);
  return {
    startLine: r.startLine,
    startColumn: r.startColumn,
    endLine: r.startLine,
    endColumn: Math.max(r.startColumn + 1, lineText.trimEnd().length),
  };
}

/** Text of the parse-error-tolerant analysis of one Python text (a file, or notebook cells joined). */
export function analyzeText(text: string, options: AnalyzeOptions | undefined, cellMap?: CellMap): AnalysisResult {
  const t0 = performance.now();
  // A byte-order mark is replaced (not removed) so that offsets stay those of the caller's text.
  const clean = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  // Binary content (a NUL character near the start) is not Python: report it instead of parsing it.
  const nul = clean.slice(0, 8192).indexOf('\0');
  if (nul >= 0) {
    const pos = new SourceText(clean.slice(0, nul)).position(nul);
    const at = { startLine: pos.line, startColumn: pos.column, endLine: pos.line, endColumn: pos.column };
    return {
      findings: [],
      syntaxErrors: 1,
      firstSyntaxError: at,
      parseTimedOut: false,
      skipped: 'binary',
      timings: { parseMs: 0, analyzeMs: performance.now() - t0 },
    };
  }
  const parsed = parsePython(clean, options?.parseTimeoutMs ?? 10_000, options?.documentKey);
  const t1 = performance.now();
  const src = new SourceText(clean);
  const result: AnalysisResult = {
    findings: [],
    syntaxErrors: parsed.errors,
    parseTimedOut: parsed.timedOut,
    timings: { parseMs: t1 - t0, analyzeMs: 0 },
  };
  if (parsed.firstErrorOffset !== undefined) {
    result.firstSyntaxError = src.range(parsed.firstErrorOffset, parsed.firstErrorOffset);
  }
  if (parsed.timedOut) {
    result.timings.analyzeMs = performance.now() - t1;
    return result;
  }

  const documentKey = options?.documentKey;
  const units = documentKey === undefined ? undefined : unitCacheFor(documentKey);
  const facts = analyzeTree(parsed.root, src, undefined, units);
  const syn = syntaxFacts(parsed.root, src, units);
  if (cellMap) {
    addOutputEvidence(facts, src, cellMap);
  }
  const where = (offset: number): string => {
    const line = src.lineOf(offset);
    if (!cellMap) {
      return `line ${line + 1}`;
    }
    const cell = cellOfLine(cellMap, line);
    return cell ? `cell ${cell.index + 1}, line ${line - cell.startLine + 1}` : `line ${line + 1}`;
  };
  const ctx: RuleContext = {
    src,
    root: parsed.root,
    facts,
    syn,
    where,
    seed: options?.seed ?? 42,
    cellStarts: cellMap ? cellMap.cells.map(c => c.startLine) : [],
  };
  const raw = runRules(ctx);
  const sup = options?.suppressions === false ? undefined : suppressions(src);
  const seen = new Set<string>();
  const seenStatements = new Map<string, Set<PyNode>>();
  const findings: Finding[] = [];
  for (const r of raw) {
    const severity = effectiveSeverity(r.rule, options);
    if (!severity) {
      continue;
    }
    const range = reportRange(src, r.node);
    if (sup && isSuppressed(sup, r.rule, range.startLine)) {
      continue;
    }
    // One finding of a rule per line, and per statement (`pd.cut(x, bins=[x.min(), x.quantile(0.5), x.max()])` over
    // several lines is one leak).
    // (By the statement node itself: node ids of statements re-used after an edit are not unique in the new tree.)
    const stmt = simpleStatementOf(r.node);
    const key = `${r.rule}:${range.startLine}`;
    const stmts = seenStatements.get(r.rule) ?? new Set<PyNode>();
    if (seen.has(key) || (stmt && stmts.has(stmt))) {
      continue;
    }
    seen.add(key);
    if (stmt) {
      seenStatements.set(r.rule, stmts.add(stmt));
    }
    findings.push(toFinding(r, severity, range, src, cellMap));
  }
  findings.sort(
    (a, b) =>
      a.range.startLine - b.range.startLine ||
      a.range.startColumn - b.range.startColumn ||
      a.rule.localeCompare(b.rule),
  );
  result.findings = findings;
  result.timings.analyzeMs = performance.now() - t1;
  return result;
}

const SIMPLE_STATEMENTS = new Set(['expression_statement', 'return_statement', 'assert_statement', 'delete_statement']);

/** The simple statement a node is part of (none for a node in a compound statement's header). */
function simpleStatementOf(n: PyNode): PyNode | undefined {
  for (let p: PyNode | null = n; p; p = p.parent) {
    if (SIMPLE_STATEMENTS.has(p.type)) {
      return p;
    }
    if (p.type === 'block' || p.type === 'module') {
      return undefined;
    }
  }
  return undefined;
}

function cellOfLine(map: CellMap, line: number): CellMap['cells'][number] | undefined {
  let lo = 0;
  let hi = map.cells.length - 1;
  let found: CellMap['cells'][number] | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map.cells[mid].startLine <= line) {
      found = map.cells[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Maps a joined-text range into a cell; undefined if it crosses a cell boundary. */
function toCell(map: CellMap, r: Range): { cell: number; cellRange: Range } | undefined {
  const c = cellOfLine(map, r.startLine);
  if (!c || r.endLine >= c.startLine + c.lineCount) {
    return undefined;
  }
  // A position at the end of a blanked line is the end of the original line (so edits never cut into a magic).
  const col = (line: number, column: number) => {
    const ch = c.changed?.get(line);
    return ch && column >= ch[0] ? ch[1] : column;
  };
  const startLine = r.startLine - c.startLine;
  const endLine = r.endLine - c.startLine;
  return {
    cell: c.index,
    cellRange: { startLine, startColumn: col(startLine, r.startColumn), endLine, endColumn: col(endLine, r.endColumn) },
  };
}

function toFinding(
  r: RawFinding,
  severity: Severity,
  range: Range,
  src: SourceText,
  cellMap: CellMap | undefined,
): Finding {
  const f: Finding = { rule: r.rule, severity, message: r.message, range };
  if (cellMap) {
    Object.assign(f, toCell(cellMap, range));
  }
  if (r.related.length) {
    f.related = r.related.map(x => {
      const rr = reportRange(src, x.node);
      return { message: x.message, range: rr, ...(cellMap ? toCell(cellMap, rr) : {}) };
    });
  }
  const fixes = r.fixes
    .map(fix => {
      const edits: TextEdit[] = [];
      for (const e of fix.edits) {
        const er = src.range(e.start, e.end);
        const edit: TextEdit = { range: er, newText: e.newText };
        if (cellMap) {
          const c = toCell(cellMap, er);
          if (!c) {
            return undefined;
          }
          Object.assign(edit, c);
        }
        edits.push(edit);
      }
      return { title: fix.title, edits };
    })
    .filter((x): x is { title: string; edits: TextEdit[] } => !!x);
  if (fixes.length) {
    f.fixes = fixes;
  }
  return f;
}

/** Printed `value_counts()` output in a notebook cell that shows a skewed class distribution. */
function addOutputEvidence(facts: ReturnType<typeof analyzeTree>, src: SourceText, map: CellMap): void {
  for (const vc of facts.valueCounts) {
    const cell = cellOfLine(map, src.lineOf(vc.start));
    if (!cell?.outputs?.length) {
      continue;
    }
    const ratio = skewOf(cell.outputs.join('\n'));
    if (ratio !== undefined && ratio >= 4) {
      facts.imbalance.push({ node: vc, what: `value_counts() output with a ${Math.round(ratio)}:1 class ratio` });
    }
  }
}

/** Largest/smallest count in a printed pandas `value_counts()` Series, if the text looks like one. */
export function skewOf(text: string): number | undefined {
  const values: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\S+\s+(\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/.exec(line);
    if (m) {
      values.push(Number(m[1]));
    }
  }
  if (values.length < 2 || values.length > 50) {
    return undefined;
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min > 0 ? max / min : undefined;
}
