// Shared by the parser tests (fast parser, parse in pieces, incremental re-parse) and their fuzz tier: a pre-order
// dump of a syntax tree to compare trees node for node, the Python files of a corpus, and tree-sitter's own parse.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzePythonSync, releaseDocument } from '../../../src/core/leakage';
import { ParsedPython, PyNode, parsePython, setFastParser } from '../../../src/core/leakage/parser';

export { seededRandom as rng } from '../../../src/core/stats/multiple';

/** Pre-order dump of a tree: id, parent id, type, field and offsets of every node. */
export function treeLines(root: PyNode): string[] {
  const out: string[] = [];
  const walk = (n: PyNode): void => {
    out.push(`${n.id}:${n.parent?.id ?? '-'}:${n.type}:${n.field ?? ''}:${n.start}-${n.end}`);
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** The files under dir (recursively, sorted) whose names end with ext. */
export function corpusFiles(dir: string, ext = '.py'): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap(n => {
      const p = path.join(dir, n);
      return fs.statSync(p).isDirectory() ? corpusFiles(p, ext) : n.endsWith(ext) ? [p] : [];
    });
}

/** The texts of both leakage corpora (test/unit/fixtures/leakage and leakage-realworld). */
export function leakageCorpusTexts(): string[] {
  const fixtures = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures');
  return [...corpusFiles(path.join(fixtures, 'leakage')), ...corpusFiles(path.join(fixtures, 'leakage-realworld'))].map(
    f => fs.readFileSync(f, 'utf8'),
  );
}

/** A long text: corpus texts one after another, some (a share `wrapped`) inside functions, as in the lint bench. */
export function longText(all: string[], random: () => number, lines: number, wrapped = 0.5): string {
  const out: string[] = [];
  while (out.length < lines) {
    const src = all[Math.floor(random() * all.length)].split('\n');
    if (random() < wrapped) {
      out.push(`def f_${out.length}():`, ...src.map(l => (l.trim() ? '    ' + l : '')), '    pass', '');
    } else {
      out.push(...src, '');
    }
  }
  return out.join('\n');
}

/** Tree-sitter's parse of the whole text (the fast parser switched off), with its per-statement errors. */
export function treeSitterParse(text: string): ParsedPython {
  setFastParser(false);
  try {
    return parsePython(text);
  } finally {
    setFastParser(true);
  }
}

/**
 * Random edits typed into one document (`edit`, sometimes back to `base`): after each, the analysis that re-uses the
 * document's last one gives exactly the findings and syntax errors of a fresh analysis.
 */
export function assertEditsMatchFresh(
  base: string,
  key: string,
  steps: number,
  backToBase: number,
  edit: (text: string) => string,
  r: () => number,
): void {
  let text = base;
  for (let step = 0; step < steps; step++) {
    text = r() < backToBase ? base : edit(text);
    const inc = analyzePythonSync(text, { documentKey: key });
    const fresh = analyzePythonSync(text);
    assert.deepStrictEqual(inc.findings, fresh.findings, `findings after step ${step}`);
    assert.strictEqual(inc.syntaxErrors, fresh.syntaxErrors);
  }
  releaseDocument(key);
}

/** The tree, error count and first error of a parse, to compare. */
export const parseDump = (p: ParsedPython): string[] => [
  ...treeLines(p.root),
  `errors ${p.errors} first ${p.firstErrorOffset}`,
];

/** Findings and syntax errors of the whole-file tree-sitter path (the fast parser off). */
export function wholeFileReference(text: string): { findings: unknown; syntaxErrors: number } {
  setFastParser(false);
  try {
    const r = analyzePythonSync(text);
    return { findings: r.findings, syntaxErrors: r.syntaxErrors };
  } finally {
    setFastParser(true);
  }
}
