import * as fs from 'fs';
import * as path from 'path';
import { AnalysisResult, Finding, RULE_IDS, RuleId, RuleSetting, analyzeNotebookDetailed, analyzePythonDetailed } from './core/leakage';

/**
 * `mlsight lint [paths…] [--format json|text] [--fail-on error|warning|info|never] [--rule id=off|error|warning|info]`
 * Analyses .py files and .ipynb notebooks (folders are walked, skipping virtual environments and node_modules).
 * Exit 0: nothing at or above --fail-on (default warning); 3: findings at or above it; 1: error; 2: usage.
 */
export const LINT_USAGE = `  lint [paths…] [--format json|text] [--fail-on error|warning|info|never] [--rule <id>=off|error|warning|info]
                                     data-leakage and ML-mistake checks for .py files and .ipynb notebooks;
                                     exit 3 when there are findings at or above --fail-on (default warning)`;

const SKIP = new Set(['node_modules', '.git', '.venv', 'venv', 'env', '.env', 'site-packages', '__pycache__', '.mlsight', '.tox', '.ipynb_checkpoints']);
const ORDER = { info: 0, warning: 1, error: 2, never: 3 } as const;

export class LintUsageError extends Error {}

function collect(p: string, out: string[]): void {
  let st: fs.Stats;
  try { st = fs.statSync(p); } catch { throw new LintUsageError(`no such file or folder: ${p}`); }
  if (st.isFile()) { out.push(p); return; }
  for (const name of fs.readdirSync(p).sort()) {
    const full = path.join(p, name);
    let s: fs.Stats;
    try { s = fs.statSync(full); } catch { continue; }
    if (s.isDirectory()) { if (!SKIP.has(name)) { collect(full, out); } } else if (/\.(py|ipynb)$/.test(name)) { out.push(full); }
  }
}

export async function lintCommand(args: string[], out: (s: string) => void): Promise<number> {
  const paths: string[] = [];
  let format: 'json' | 'text' = 'text';
  let failOn: keyof typeof ORDER = 'warning';
  const rules: Partial<Record<RuleId, RuleSetting>> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string) => { const v = a.includes('=') && a.startsWith(`--${name}=`) ? a.slice(name.length + 3) : args[++i]; if (v === undefined) { throw new LintUsageError(`--${name} needs a value`); } return v; };
    if (a === '--format' || a.startsWith('--format=')) {
      const f = value('format');
      if (f !== 'json' && f !== 'text') { throw new LintUsageError(`--format must be json or text, not ${JSON.stringify(f)}`); }
      format = f;
    } else if (a === '--fail-on' || a.startsWith('--fail-on=')) {
      const f = value('fail-on');
      if (!(f in ORDER)) { throw new LintUsageError(`--fail-on must be error, warning, info or never`); }
      failOn = f as keyof typeof ORDER;
    } else if (a === '--rule' || a.startsWith('--rule=')) {
      const [id, setting] = value('rule').split('=');
      if (!(RULE_IDS as readonly string[]).includes(id)) { throw new LintUsageError(`unknown rule ${JSON.stringify(id)} (rules: ${RULE_IDS.join(', ')})`); }
      if (!['off', 'error', 'warning', 'info'].includes(setting)) { throw new LintUsageError(`--rule ${id}= must be off, error, warning or info`); }
      rules[id as RuleId] = setting as RuleSetting;
    } else if (a.startsWith('-')) {
      throw new LintUsageError(`unknown option ${a}`);
    } else { paths.push(a); }
  }
  const files: string[] = [];
  for (const p of paths.length ? paths : ['.']) { collect(path.resolve(p), files); }
  const results: { file: string; findings: Finding[]; syntaxErrors: number; error?: string; ms: number }[] = [];
  for (const file of files) {
    const t0 = performance.now();
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) { results.push({ file, findings: [], syntaxErrors: 0, error: String(e), ms: 0 }); continue; }
    let r: AnalysisResult & { error?: string };
    if (file.endsWith('.ipynb')) { r = await analyzeNotebookDetailed(text, { rules }); } else { r = await analyzePythonDetailed(text, { rules }); }
    results.push({ file: path.relative(process.cwd(), file) || file, findings: r.findings, syntaxErrors: r.syntaxErrors, error: r.error, ms: performance.now() - t0 });
  }
  const all = results.flatMap(r => r.findings);
  if (format === 'json') {
    out(JSON.stringify({
      files: results.map(r => ({
        file: r.file, syntaxErrors: r.syntaxErrors, error: r.error,
        findings: r.findings.map(f => ({ rule: f.rule, severity: f.severity, message: f.message, line: f.range.startLine + 1, column: f.range.startColumn + 1,
          endLine: f.range.endLine + 1, endColumn: f.range.endColumn + 1, cell: f.cell, fixes: (f.fixes ?? []).map(x => x.title) })),
      })),
      summary: { files: results.length, findings: all.length, errors: all.filter(f => f.severity === 'error').length, warnings: all.filter(f => f.severity === 'warning').length, infos: all.filter(f => f.severity === 'info').length },
    }, null, 2) + '\n');
  } else {
    for (const r of results) {
      if (r.error) { out(`${r.file}: could not be analysed: ${r.error}\n`); }
      for (const f of r.findings) {
        out(`${r.file}:${f.range.startLine + 1}:${f.range.startColumn + 1}: ${f.severity} ${f.rule}${f.cell !== undefined ? ` [cell ${f.cell + 1}]` : ''}: ${f.message}\n`);
      }
    }
    out(`${results.length} file${results.length === 1 ? '' : 's'}, ${all.length} finding${all.length === 1 ? '' : 's'} (${all.filter(f => f.severity === 'error').length} errors, ${all.filter(f => f.severity === 'warning').length} warnings, ${all.filter(f => f.severity === 'info').length} infos)\n`);
  }
  if (results.some(r => r.error && !r.file.endsWith('.py'))) { return 1; }
  return all.some(f => ORDER[f.severity] >= ORDER[failOn]) ? 3 : 0;
}
