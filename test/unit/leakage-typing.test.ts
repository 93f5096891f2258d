// Syntax errors while typing (splitparse.ts, reparse.ts): a statement typed character by character at the end of a
// long file, or at a line in its middle, an unfinished statement at the end, a syntax error or a cut anywhere. The
// fast paths (the fast parser, parse in pieces, re-parse of the statements around an edit with `documentKey`) must
// give exactly the tree and the findings of the whole-file tree-sitter parse, the path used before them (fast-check,
// fixed seed, a fixed number of cases); and typing at the end must stay on the fast paths.
import * as assert from 'assert';
import fc from 'fast-check';
import { analyzePythonSync, loadPythonParser, releaseDocument } from '../../src/core/leakage';
import { fastParse } from '../../src/core/leakage/fastparse';
import { parsePython, reparseStats } from '../../src/core/leakage/parser';
import { splitParse } from '../../src/core/leakage/splitparse';
import {
  leakageCorpusTexts,
  longText,
  rng,
  treeSitterParse,
  parseDump as dump,
  wholeFileReference as reference,
} from './helpers/pytree';

const SEED = Number(process.env.MLSIGHT_TYPING_SEED ?? 20261207);

/** Statements as a user types them (some with a block body, some with a string typed open for a while). */
const TYPED = [
  'for item in items:',
  'for item in items:\n    total += item\n',
  'if X.shape[0] > 100:\n    X = X[:100]\n',
  'def helper(a, b=2):\n    return a + b\n',
  'model.fit(X_train, y_train)',
  'with open(path) as f:',
  'X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)',
  'class Model(nn.Module):\n    pass\n',
  'scaler = StandardScaler().fit(X)',
  'try:\n    run()\nexcept ValueError:\n    pass\n',
  "print(f'{score:.3f}')",
  'results[name] = [m.score(X_test, y_test) for m in models]',
  'while not done:',
  '@torch.no_grad()\ndef evaluate(model):\n    return model(X_val)\n',
];

/** Syntax errors inserted anywhere. */
const DAMAGE = ['(', ')', '[', ':', '"', "'", '=', ',', 'x y', '\n    ', 'def', 'else:\n', 'for x in y:', 'if a'];

/** Long texts made of corpus files, some wrapped in functions (as in the lint bench). */
function longTexts(count: number, lines: number): string[] {
  const files = leakageCorpusTexts().filter(t => typeof fastParse(t) === 'object');
  const random = rng(5);
  return Array.from({ length: count }, () => longText(files, random, lines, 0.6));
}

/** Offset of the start of line `line` (0-based, clamped to the last line). */
function lineOffset(text: string, line: number): number {
  let at = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0 || nl + 1 >= text.length) {
      break;
    }
    at = nl + 1;
  }
  return at;
}

describe('leakage analysis while typing (syntax errors stay local)', function () {
  this.timeout(300_000);
  let texts: string[] = [];

  before(async () => {
    await loadPythonParser();
    texts = longTexts(4, 400);
  });

  it('gives the whole-file parse and findings for unfinished statements, syntax errors and cuts (fast-check)', () => {
    let split = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.nat(texts.length - 1),
        fc.nat(450),
        fc.constantFrom('unfinished', 'damage', 'cut'),
        fc.nat(TYPED.length - 1),
        fc.nat(DAMAGE.length - 1),
        fc.nat(200),
        (ti, line, kind, typed, damage, col) => {
          const base = texts[ti];
          const at = lineOffset(base, line);
          let text: string;
          if (kind === 'unfinished') {
            // the text up to a line, then a statement typed part of the way
            const s = TYPED[typed];
            text = base.slice(0, at) + s.slice(0, 1 + (col % s.length));
          } else if (kind === 'damage') {
            const p = Math.min(base.length, at + (col % 40));
            text = base.slice(0, p) + DAMAGE[damage] + base.slice(p);
          } else {
            text = base.slice(0, Math.min(base.length, at + col));
          }
          runs++;
          if (splitParse(text, t => fastParse(t), treeSitterParse) instanceof Object) {
            split++;
          }
          assert.deepStrictEqual(dump(parsePython(text)), dump(treeSitterParse(text)), 'tree');
          const fast = analyzePythonSync(text);
          const ref = reference(text);
          assert.deepStrictEqual(fast.findings, ref.findings, 'findings');
          assert.strictEqual(fast.syntaxErrors, ref.syntaxErrors, 'syntax errors');
        },
      ),
      { seed: SEED, numRuns: 120, endOnFailure: true },
    );
    console.log(`      ${split} of ${runs} texts parsed in pieces`);
    assert.ok(split > runs / 4, `only ${split} of ${runs} texts parsed in pieces`);
  });

  it('re-analyses as the whole-file path does while a statement is typed at the end or in the middle (fast-check)', () => {
    let keystrokes = 0;
    let reusedAtEnd = 0;
    let keystrokesAtEnd = 0;
    fc.assert(
      fc.property(
        fc.nat(texts.length - 1),
        fc.nat(TYPED.length - 1),
        fc.option(fc.nat(400), { freq: 2 }),
        (ti, typed, line) => {
          const key = `file:///tmp/typing-${ti}.py`;
          // the end: a file that ends with a newline, as editors save it; or the start of a line in the middle
          const base = texts[ti].endsWith('\n') ? texts[ti] : texts[ti] + '\n';
          const at = line === null ? base.length : lineOffset(base, line);
          const s = TYPED[typed];
          analyzePythonSync(base, { documentKey: key });
          for (let c = 1; c <= s.length; c++) {
            const text = base.slice(0, at) + s.slice(0, c) + (line === null ? '' : '\n') + base.slice(at);
            const reused0 = reparseStats.reused;
            const inc = analyzePythonSync(text, { documentKey: key });
            keystrokes++;
            if (line === null) {
              keystrokesAtEnd++;
              reusedAtEnd += reparseStats.reused - reused0;
            }
            const ref = reference(text);
            assert.deepStrictEqual(inc.findings, ref.findings, `findings after ${JSON.stringify(s.slice(0, c))}`);
            assert.strictEqual(
              inc.syntaxErrors,
              ref.syntaxErrors,
              `syntax errors after ${JSON.stringify(s.slice(0, c))}`,
            );
          }
          // the tree kept for the document is the whole-file tree too
          const last = base.slice(0, at) + s + (line === null ? '' : '\n') + base.slice(at);
          assert.deepStrictEqual(dump(parsePython(last, 10_000, key)), dump(treeSitterParse(last)), 'tree');
          releaseDocument(key);
        },
      ),
      { seed: SEED + 1, numRuns: 16, endOnFailure: true },
    );
    console.log(
      `      ${keystrokes} keystrokes; at the end of the file ${reusedAtEnd} of ${keystrokesAtEnd} re-used statements`,
    );
    // typing at the end re-parses only the statements around it, unless a string is open (an unterminated string
    // can change how tree-sitter reads the rest of the file)
    assert.ok(
      reusedAtEnd > keystrokesAtEnd * 0.7,
      `${reusedAtEnd} of ${keystrokesAtEnd} keystrokes re-used statements`,
    );
  });
});
