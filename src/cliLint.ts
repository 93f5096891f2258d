import * as fs from 'fs';
import * as path from 'path';
import { RULES, RULE_IDS, RuleId, RuleSetting } from './core/leakage';
import { LintThreads, lintFiles } from './core/leakage/lintPool';
import { VERSION } from './core/version';

/**
 * `mlsight lint [paths…] [--format text|json|sarif] [--fail-on error|warning|info|never] [--rule id=off|error|warning|info]`
 * Analyses .py files and .ipynb notebooks (folders are walked, skipping virtual environments and node_modules).
 * JSON: an array of {file, line, column, endLine, endColumn, rule, severity, message} with 1-based lines (a
 * notebook's line N is line N of its code cells joined in order with one newline; `cell` is added). SARIF 2.1.0
 * for code-scanning tools. Exit 0: nothing at or above --fail-on (default warning); 1: findings at or above it;
 * 2: usage error. Unparseable files are reported (syntax errors on stderr), not fatal.
 */
export const LINT_USAGE = `  lint [paths…] [--format text|json|sarif] [--fail-on error|warning|info|never] [--rule <id>=off|error|warning|info]
                                     data-leakage and ML-mistake checks for .py files and .ipynb notebooks;
                                     exit 1 when there are findings at or above --fail-on (default warning), and
                                     when a file cannot be read or parsed (a truncated .ipynb) unless
                                     --unreadable warn`;

const SKIP = new Set([
  'node_modules',
  '.git',
  '.venv',
  'venv',
  'env',
  '.env',
  'site-packages',
  '__pycache__',
  '.mlsight',
  '.tox',
  '.ipynb_checkpoints',
]);
const ORDER = { info: 0, warning: 1, error: 2, never: 3 } as const;

export class LintUsageError extends Error {}

function collect(p: string, out: string[]): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new LintUsageError(`no such file or folder: ${p}`);
  }
  if (st.isFile()) {
    out.push(p);
    return;
  }
  for (const name of fs.readdirSync(p).sort()) {
    const full = path.join(p, name);
    let s: fs.Stats;
    try {
      s = fs.statSync(full);
    } catch {
      continue;
    }
    if (s.isDirectory()) {
      if (!SKIP.has(name)) {
        collect(full, out);
      }
    } else if (/\.(py|ipynb)$/.test(name)) {
      out.push(full);
    }
  }
}

export async function lintCommand(
  args: string[],
  out: (s: string) => void,
  err: (s: string) => void = () => undefined,
  threads?: LintThreads,
): Promise<number> {
  const paths: string[] = [];
  let format: 'json' | 'text' | 'sarif' = 'text';
  let failOn: keyof typeof ORDER = 'warning';
  const rules: Partial<Record<RuleId, RuleSetting>> = {};
  let unreadable: 'error' | 'warn' = 'error';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string) => {
      const v = a.includes('=') && a.startsWith(`--${name}=`) ? a.slice(name.length + 3) : args[++i];
      if (v === undefined) {
        throw new LintUsageError(`--${name} needs a value`);
      }
      return v;
    };
    if (a === '--format' || a.startsWith('--format=')) {
      const f = value('format');
      if (f !== 'json' && f !== 'text' && f !== 'sarif') {
        throw new LintUsageError(`--format must be text, json or sarif, not ${JSON.stringify(f)}`);
      }
      format = f;
    } else if (a === '--fail-on' || a.startsWith('--fail-on=')) {
      const f = value('fail-on');
      if (!(f in ORDER)) {
        throw new LintUsageError(`--fail-on must be error, warning, info or never`);
      }
      failOn = f as keyof typeof ORDER;
    } else if (a === '--unreadable' || a.startsWith('--unreadable=')) {
      const u = value('unreadable');
      if (u !== 'error' && u !== 'warn') {
        throw new LintUsageError('--unreadable must be error or warn');
      }
      unreadable = u;
    } else if (a === '--rule' || a.startsWith('--rule=')) {
      const [id, setting] = value('rule').split('=');
      if (!(RULE_IDS as readonly string[]).includes(id)) {
        throw new LintUsageError(`unknown rule ${JSON.stringify(id)} (rules: ${RULE_IDS.join(', ')})`);
      }
      if (!['off', 'error', 'warning', 'info'].includes(setting)) {
        throw new LintUsageError(`--rule ${id}= must be off, error, warning or info`);
      }
      rules[id as RuleId] = setting as RuleSetting;
    } else if (a.startsWith('-')) {
      throw new LintUsageError(`unknown option ${a}`);
    } else {
      paths.push(a);
    }
  }
  const files: string[] = [];
  for (const p of paths.length ? paths : ['.']) {
    collect(path.resolve(p), files);
  }
  const analysed = await lintFiles(files, { rules }, threads, reason =>
    err(`mlsight lint: worker threads unavailable (${reason}); linting in one thread\n`),
  );
  const results = files.map((file, i) => ({
    ...analysed[i],
    file: analysed[i].unreadable ? file : path.relative(process.cwd(), file) || file,
  }));
  const all = results.flatMap(r => r.findings);
  for (const r of results) {
    if (r.error) {
      err(`mlsight lint: ${r.file}: could not be analysed: ${r.error}\n`);
    } else if (r.syntaxErrors) {
      err(
        `mlsight lint: ${r.file}: ${r.syntaxErrors} syntax error${r.syntaxErrors === 1 ? '' : 's'} (the rest was analysed)\n`,
      );
    }
  }
  const flat = results.flatMap(r =>
    r.findings.map(f => ({
      file: r.file,
      line: f.range.startLine + 1,
      column: f.range.startColumn + 1,
      endLine: f.range.endLine + 1,
      endColumn: f.range.endColumn + 1,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      ...(f.cell !== undefined ? { cell: f.cell } : {}),
      fixes: (f.fixes ?? []).map(x => x.title),
    })),
  );
  if (format === 'json') {
    out(JSON.stringify(flat, null, 2) + '\n');
  } else if (format === 'sarif') {
    const level = { error: 'error', warning: 'warning', info: 'note' } as const;
    out(
      JSON.stringify(
        {
          $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
          version: '2.1.0',
          runs: [
            {
              tool: {
                driver: {
                  name: 'ML Sight',
                  version: VERSION,
                  informationUri: 'https://example.invalid/ml-sight',
                  rules: RULES.map(r => ({
                    id: r.id,
                    shortDescription: { text: r.summary },
                    defaultConfiguration: { level: level[r.severity] },
                  })),
                },
              },
              artifacts: results.map(r => ({ location: { uri: r.file.split(path.sep).join('/') } })),
              results: flat.map(f => ({
                ruleId: f.rule,
                ruleIndex: RULE_IDS.indexOf(f.rule),
                level: level[f.severity],
                message: { text: f.message },
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: { uri: f.file.split(path.sep).join('/') },
                      region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
                    },
                  },
                ],
              })),
            },
          ],
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const f of flat) {
      out(
        `${f.file}:${f.line}:${f.column}: ${f.severity} ${f.rule}${f.cell !== undefined ? ` [cell ${f.cell + 1}]` : ''}: ${f.message}\n`,
      );
    }
    out(
      `${results.length} file${results.length === 1 ? '' : 's'}, ${all.length} finding${all.length === 1 ? '' : 's'} (${all.filter(f => f.severity === 'error').length} errors, ${all.filter(f => f.severity === 'warning').length} warnings, ${all.filter(f => f.severity === 'info').length} infos)\n`,
    );
  }
  const failed = results.filter(r => r.error).length;
  if (failed && unreadable === 'error') {
    err(
      `mlsight lint: ${failed} file${failed === 1 ? '' : 's'} could not be analysed; failing (--unreadable warn to only warn)\n`,
    );
    return 1;
  }
  return all.some(f => ORDER[f.severity] >= ORDER[failOn]) ? 1 : 0;
}
