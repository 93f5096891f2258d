// Syntax errors stay local (src/core/leakage/splitparse.ts): a text the fast parser gives up on is parsed in
// top-level pieces, tree-sitter parsing only the failing ones. Wherever that is used, the tree (every node's type,
// field, offsets, id and parent), the error count, the first error and the per-statement errors must be exactly
// those of tree-sitter's parse of the whole text: on the corpora with one damaged statement, on random edits of long
// texts made of corpus files (fixed seed), and through analysePython (same findings).
import * as assert from 'assert';
import { analyzePythonSync, loadPythonParser } from '../../src/core/leakage';
import { FastPrefix, fastParse, fastParseBail } from '../../src/core/leakage/fastparse';
import { ParsedPython, parsePythonWith, setFastParser } from '../../src/core/leakage/parser';
import { candidateStarts, splitParse } from '../../src/core/leakage/splitparse';
import { leakageCorpusTexts, longText, rng, treeLines, treeSitterParse } from './helpers/pytree';

/** The tree with its error count and first error last (as the differences are reported). */
const dump = (p: ParsedPython): string[] => [...treeLines(p.root), `errors ${p.errors} first ${p.firstErrorOffset}`];

/** 'split' (pieces used, same tree), 'whole' (not used), or the first difference. */
function compare(text: string): string {
  // as parsePython does: the statements the fast parser completed on the whole text are re-used
  const prefix: { value?: FastPrefix } = {};
  fastParse(text, Infinity, prefix);
  const split = splitParse(
    text,
    t => fastParse(t),
    t => treeSitterParse(t),
    prefix.value,
  );
  if (split === undefined || split === 'timeout') {
    return 'whole';
  }
  const ts = treeSitterParse(text);
  const a = dump(ts);
  const b = dump(split);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `tree-sitter ${a[i]} / pieces ${b[i]}`;
    }
  }
  if (JSON.stringify(ts.statementErrors) !== JSON.stringify(split.statementErrors)) {
    return `statement errors ${JSON.stringify(ts.statementErrors)} / ${JSON.stringify(split.statementErrors)}`;
  }
  return 'split';
}

const texts = leakageCorpusTexts;

const DAMAGE = ['(', ')', '[', ']', ':', '"', '"""', "'", '\\\n', '=', ',', 'x y', '\n    ', '\n', 'def', 'else:\n'];

describe('leakage parse in pieces (syntax errors stay local)', () => {
  before(async () => {
    await loadPythonParser();
  });

  it('finds candidate statement starts at column 0, not continuation or closing lines', () => {
    const t = 'import a\n# c\nif x:\n    y = 1\nelse:\n    pass\nz = (\n  1\n)\n@d\ndef f(): pass\n';
    const starts = candidateStarts(t).map(s => t.slice(s, s + 6));
    assert.deepStrictEqual(starts, ['import', 'if x:\n', 'z = (\n', '@d\ndef', '']);
  });

  it('parses a long text with one damaged statement like tree-sitter does, in pieces', () => {
    const random = rng(Number(process.env.SP_SEED1 ?? 7));
    const all = texts();
    let split = 0;
    // 80 texts (not 40): the share parsed in pieces is about 0.3 (20–28 of 80 over seeds 1–14), and it moves with
    // every file added to the corpus the texts are drawn from; the floor (15%) only guards against the parse in
    // pieces being switched off, while every text is checked against tree-sitter above.
    for (let k = 0; k < 80; k++) {
      let text = longText(all, random, 400);
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + DAMAGE[Math.floor(random() * DAMAGE.length)] + text.slice(at);
      const r = compare(text);
      assert.ok(r === 'split' || r === 'whole', `text ${k}: ${r}`);
      split += r === 'split' ? 1 : 0;
    }
    assert.ok(split >= 12, `${split} of 80 damaged texts parsed in pieces`);
  });

  /** Random edits of long texts (seeded): each parse in pieces equals tree-sitter's; how many were parsed in pieces. */
  const randomEdits = (seed: number, n: number): number => {
    const random = rng(seed);
    const all = texts();
    let split = 0;
    for (let k = 0; k < n; k++) {
      let text = longText(all, random, 150);
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (text.length + 1));
        const del = random() < 0.5 ? Math.floor(random() * 6) : 0;
        const ins = random() < 0.8 ? DAMAGE[Math.floor(random() * DAMAGE.length)] : '';
        text = text.slice(0, at) + ins + text.slice(at + del);
      }
      const r = compare(text);
      assert.ok(r === 'split' || r === 'whole', `edit ${k}: ${r}\n${text}`);
      split += r === 'split' ? 1 : 0;
    }
    return split;
  };

  it('agrees with tree-sitter after random edits of long texts (fixed seed)', () => {
    const n = Number(process.env.SP_N ?? 150);
    const split = randomEdits(Number(process.env.SP_SEED ?? 16), n);
    assert.ok(split > n / 10, `${split} of ${n} edited texts parsed in pieces`);
  });

  it("keeps a region's margin a whole statement when a string spans pieces (seed 4: a docstring, column-0 lines)", () => {
    // edit 52 of seed 4 damaged the line after a docstring whose lines start at column 0: the region's margin was
    // the docstring's last line, so the region began inside a string
    randomEdits(4, 53);
  });

  it('re-uses as a prefix exactly the statements a parse of the text cut before the failing statement gives', () => {
    const random = rng(21);
    const all = texts();
    let prefixes = 0;
    let fromTokenizer = 0;
    for (let k = 0; k < 60; k++) {
      let text = longText(all, random, 200);
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + DAMAGE[Math.floor(random() * DAMAGE.length)] + text.slice(at);
      const prefix: { value?: FastPrefix } = {};
      if (fastParse(text, Infinity, prefix) !== undefined || !prefix.value) {
        continue;
      }
      prefixes++;
      fromTokenizer += fastParseBail(text)?.includes('bracket') ? 1 : 0;
      const cut = fastParse(text.slice(0, prefix.value.next));
      assert.ok(cut && cut !== 'timeout', `text ${k}: the text cut at ${prefix.value.next} parses`);
      const kids = prefix.value.root.children;
      assert.deepStrictEqual(
        kids.flatMap(n => treeLines(n)),
        cut.root.children.flatMap(n => treeLines(n)),
        `text ${k}`,
      );
      assert.strictEqual(prefix.value.root.start, cut.root.start, `text ${k}: module start`);
    }
    console.log(`      ${prefixes} of 60 damaged texts: prefixes, ${fromTokenizer} of them after a bracket left open`);
    assert.ok(prefixes > 20 && fromTokenizer > 3, `${prefixes} prefixes, ${fromTokenizer} after a bracket left open`);
  });

  it('parses an unfinished block header at the end of the text in pieces (`for item in items:` being typed)', () => {
    const pad = Array.from({ length: 60 }, (_, i) => `x${i} = ${i}`).join('\n');
    for (const tail of ['for item in items:', 'for item in items:\n    ', 'with open(p) as f:  # note\n']) {
      assert.strictEqual(compare(`${pad}\n${tail}`), 'split', tail);
    }
    // not when the line after it is indented: tree-sitter's reading of it depends on the text before
    assert.strictEqual(compare(`${pad}\nfor item in items:\n    total, \n        x = 1\n`), 'whole');
  });

  it('gives the findings of the whole tree-sitter parse', () => {
    const random = rng(3);
    const all = texts();
    for (let k = 0; k < 10; k++) {
      let text = longText(all, random, 300);
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + DAMAGE[Math.floor(random() * DAMAGE.length)] + text.slice(at);
      setFastParser(false);
      const before = { ...analyzePythonSync(text), timings: undefined };
      setFastParser(true);
      const after = { ...analyzePythonSync(text), timings: undefined };
      assert.deepStrictEqual(after, before, `text ${k}`);
      assert.strictEqual(parsePythonWith(text, 'fast').errors, after.syntaxErrors);
    }
  });
});
