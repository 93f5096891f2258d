/**
 * The labelled leakage corpus (test/unit/fixtures/leakage/**): Python files and notebooks whose expected findings
 * are written in the code itself.
 *
 *   `# expect: rule-a, rule-b`  at the end of a line: those rules must be reported on exactly that line.
 *   `# checks: rule-a, …` / `# checks: all`  anywhere: rules checked strictly in this file (every finding of a
 *       checked rule must be expected, every expectation found). Rules named in `expect` are always checked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RULE_IDS, analyzeNotebook, analyzePython, notebookText } from '../../src/core/leakage';
import type { Finding, RuleId } from '../../src/core/leakage';

/** The fixtures folder, found from the compiled test's location (dist/test/unit) or the sources. */
export function corpusDir(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'test', 'unit', 'fixtures', 'leakage');
      if (fs.existsSync(candidate)) {
        return candidate;
      }
      if (path.dirname(dir) === dir) {
        break;
      }
    }
  }
  throw new Error(`test/unit/fixtures/leakage not found above ${__dirname} or ${process.cwd()}`);
}

export function corpusFiles(): string[] {
  const root = corpusDir();
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of fs.readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (fs.statSync(p).isDirectory()) {
        walk(p);
      } else if (/\.(py|ipynb)$/.test(n)) {
        out.push(p);
      }
    }
  };
  walk(root);
  return out;
}

export interface Expectations {
  /** Expected findings as `rule@line` (1-based lines, in the analysed text). */
  expected: string[];
  checks: Set<RuleId>;
}

export function expectationsOf(text: string): Expectations {
  const expected: string[] = [];
  const checks = new Set<RuleId>();
  const known = new Set<string>(RULE_IDS);
  text.split('\n').forEach((line, i) => {
    const e = /#\s*expect:\s*([\w\-, ]+)/.exec(line);
    if (e) {
      for (const r of e[1]
        .split(',')
        .map(x => x.trim())
        .filter(Boolean)) {
        if (!known.has(r)) {
          throw new Error(`unknown rule "${r}" in an expect marker on line ${i + 1}`);
        }
        expected.push(`${r}@${i + 1}`);
        checks.add(r as RuleId);
      }
    }
    const c = /#\s*checks:\s*([\w\-, ]+)/.exec(line);
    if (c) {
      for (const r of c[1]
        .split(',')
        .map(x => x.trim())
        .filter(Boolean)) {
        if (r === 'all') {
          RULE_IDS.forEach(x => checks.add(x));
          continue;
        }
        if (!known.has(r)) {
          throw new Error(`unknown rule "${r}" in a checks header on line ${i + 1}`);
        }
        checks.add(r as RuleId);
      }
    }
  });
  return { expected, checks };
}

export interface CorpusResult {
  file: string;
  text: string;
  findings: Finding[];
  expected: string[];
  got: string[];
  missing: string[];
  extra: string[];
  checks: Set<RuleId>;
}

/** Analyses one corpus file and compares the checked rules' findings with its markers. */
export async function runCorpusFile(file: string): Promise<CorpusResult> {
  const raw = fs.readFileSync(file, 'utf8');
  const isNotebook = file.endsWith('.ipynb');
  const text = isNotebook ? notebookText(raw) : raw;
  const findings = isNotebook ? await analyzeNotebook(raw) : await analyzePython(raw);
  return compare(file, text, findings);
}

export function compare(file: string, text: string, findings: Finding[]): CorpusResult {
  const { expected, checks } = expectationsOf(text);
  const got = findings.filter(f => checks.has(f.rule)).map(f => `${f.rule}@${f.range.startLine + 1}`);
  return {
    file,
    text,
    findings,
    expected,
    got,
    checks,
    missing: expected.filter(e => !got.includes(e)),
    extra: got.filter(g => !expected.includes(g)),
  };
}
