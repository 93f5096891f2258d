/**
 * The real-world-style leakage corpus (test/unit/fixtures/leakage-realworld/): Kaggle-style scripts, long notebooks,
 * helper functions, train+test concatenation, PyTorch data loaders — no markers in the code; the hand labels are in
 * `labels.json` (file → [{ rule, line, code }], `line` 1-based in the analysed text — the joined cells of a
 * notebook, as `mlsight lint` reports it — and `code` the labelled line's text, checked so labels cannot drift).
 * A finding is a true positive when a label has the same rule and line. Only the leakage rules are scored.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebook, analyzePython, notebookText } from '../../src/core/leakage';
import type { Finding } from '../../src/core/leakage';

export const SCORED_RULES = [
  'preprocessing-before-split',
  'oversampling-before-split',
  'test-data-in-fit',
  'multi-test',
  'target-in-features',
  'evaluation-on-training-data',
] as const;

export interface Label {
  rule: string;
  line: number;
  code: string;
}
export interface RuleScore {
  rule: string;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}
export interface RealWorldScore {
  files: number;
  cleanFiles: number;
  /** Findings of scored rules on files with no label at all. */
  findingsOnClean: string[];
  rules: RuleScore[];
  overall: RuleScore;
  misses: string[];
  falseAlarms: string[];
}

export function realWorldDir(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'test', 'unit', 'fixtures', 'leakage-realworld');
      if (fs.existsSync(candidate)) {
        return candidate;
      }
      if (path.dirname(dir) === dir) {
        break;
      }
    }
  }
  throw new Error('test/unit/fixtures/leakage-realworld not found');
}

export function realWorldLabels(): Record<string, Label[]> {
  return (
    JSON.parse(fs.readFileSync(path.join(realWorldDir(), 'labels.json'), 'utf8')) as { files: Record<string, Label[]> }
  ).files;
}

export async function analyzeRealWorldFile(file: string): Promise<{ text: string; findings: Finding[] }> {
  const raw = fs.readFileSync(path.join(realWorldDir(), file), 'utf8');
  if (file.endsWith('.ipynb')) {
    return { text: notebookText(raw), findings: await analyzeNotebook(raw) };
  }
  return { text: raw, findings: await analyzePython(raw) };
}

const ratio = (a: number, b: number) => (b ? a / b : 1);

/**
 * Scores the corpus, or the files a filter keeps. The `holdout-*` files were written and labelled after the rules
 * were last changed and have not been used to change them: their score is the closest to an unseen-code estimate.
 */
export async function scoreRealWorld(keep: (file: string) => boolean = () => true): Promise<RealWorldScore> {
  const labels = Object.fromEntries(Object.entries(realWorldLabels()).filter(([f]) => keep(f)));
  const scored = new Set<string>(SCORED_RULES);
  const counts = new Map<string, { tp: number; fp: number; fn: number }>(
    SCORED_RULES.map(r => [r, { tp: 0, fp: 0, fn: 0 }]),
  );
  const out: RealWorldScore = {
    files: 0,
    cleanFiles: 0,
    findingsOnClean: [],
    rules: [],
    overall: undefined!,
    misses: [],
    falseAlarms: [],
  };
  for (const [file, ls] of Object.entries(labels)) {
    out.files++;
    const { text, findings } = await analyzeRealWorldFile(file);
    const lines = text.split('\n');
    for (const l of ls) {
      if ((lines[l.line - 1] ?? '').trim() !== l.code) {
        throw new Error(`${file}: label on line ${l.line} does not match its code`);
      }
    }
    const got = findings.filter(f => scored.has(f.rule));
    const want = new Set(ls.map(l => `${l.rule}@${l.line}`));
    const have = new Set(got.map(f => `${f.rule}@${f.range.startLine + 1}`));
    if (!ls.length) {
      out.cleanFiles++;
    }
    for (const f of got) {
      const key = `${f.rule}@${f.range.startLine + 1}`;
      if (want.has(key)) {
        continue;
      }
      counts.get(f.rule)!.fp++;
      out.falseAlarms.push(`${file} ${key}: ${f.message}`);
      if (!ls.length) {
        out.findingsOnClean.push(`${file} ${key}`);
      }
    }
    for (const k of want) {
      const rule = k.split('@')[0];
      if (have.has(k)) {
        counts.get(rule)!.tp++;
      } else {
        counts.get(rule)!.fn++;
        out.misses.push(`${file} ${k}`);
      }
    }
  }
  const tot = { tp: 0, fp: 0, fn: 0 };
  for (const [rule, c] of counts) {
    tot.tp += c.tp;
    tot.fp += c.fp;
    tot.fn += c.fn;
    out.rules.push({ rule, ...c, precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.tp, c.tp + c.fn) });
  }
  out.overall = {
    rule: 'overall',
    ...tot,
    precision: ratio(tot.tp, tot.tp + tot.fp),
    recall: ratio(tot.tp, tot.tp + tot.fn),
  };
  return out;
}

export function formatScore(s: RealWorldScore): string {
  const row = (r: RuleScore) =>
    `${r.rule.padEnd(28)} P ${r.precision.toFixed(2)}  R ${r.recall.toFixed(2)}  (tp ${r.tp}, fp ${r.fp}, fn ${r.fn})`;
  return [`${s.files} files (${s.cleanFiles} with no leak):`, ...s.rules.map(row), row(s.overall)].join('\n');
}
