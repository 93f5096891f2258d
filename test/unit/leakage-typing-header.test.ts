// A compound statement's header typed at column 0 inside a function, before its colon (`for`, `for item in items`,
// `if a`): tree-sitter reads the indented lines after it as the rest of the header, and how far that goes depends
// on text anywhere after it (an `as` in `import numpy as np` further down), so parsing only the pieces around it
// (splitparse.ts) or only the statements around the edit (reparse.ts) gave another tree and other findings than the
// whole-file parse (issue 16's typing property test, seed 20261208: `for` typed at column 0 inside a function).
// The same with a bracket still open (`if f(`): the recovery stopped before the region's margin only because the
// region's text ended there. The minimal texts below failed before the fix; the stress test types headers and other
// dedents at column 0 in function bodies of long corpus texts (fixed seed, a bounded number of cases).
import * as assert from 'assert';
import { analyzePythonSync, loadPythonParser, releaseDocument } from '../../src/core/leakage';
import { fastParse } from '../../src/core/leakage/fastparse';
import { parsePython } from '../../src/core/leakage/parser';
import { lexicalHazard, openHeaderEnd } from '../../src/core/leakage/splitparse';
import {
  leakageCorpusTexts,
  longText,
  rng,
  treeSitterParse,
  parseDump as dump,
  wholeFileReference as reference,
} from './helpers/pytree';

/** `for` typed at column 0 in the body of f_191 (lines of the corpus, as the typing test built them). */
const FOR_TEXT = [
  'def f_158():',
  '    from sklearn.model_selection import train_test_split',
  '    from sklearn.neighbors import KNeighborsRegressor',
  '    from sklearn.metrics import r2_score',
  "    autos = autos.dropna(subset=numeric + ['price'])",
  '    normalized = autos[numeric].apply(lambda c: (c - c.min()) / (c.max() - c.min()))',
  "    X_train, X_test, y_train, y_test = train_test_split(normalized, autos['price'], test_size=0.2, random_state=10)",
  '    knn = KNeighborsRegressor(n_neighbors=5).fit(X_train, y_train)',
  '    print(r2_score(y_test, knn.predict(X_test)))',
  'def f_191():',
  '    from sklearn.preprocessing import LabelEncoder',
  'for',
  '    train_tickets = pd.read_csv("tickets_train.csv")',
  '    test_tickets = pd.read_csv("tickets_test.csv")',
  '    logreg_urgency = LogisticRegression(max_iter=2000)',
  '    logreg_urgency.fit(train_text, train_urgency)',
  '    print("urgency macro F1 (logreg)", f1_score(test_urgency, logreg_urgency.predict(test_text), average="macro"))',
  '    svm_team = svm.SVC(C=1.0, kernel="linear")',
  '    svm_team.fit(train_text, train_team)',
  '    print("team macro F1", f1_score(test_team, svm_team.predict(test_text), average="macro"))',
  '    pass',
  'import numpy as np',
  'import pandas as pd',
  'from sklearn.linear_model import LinearRegression',
].join('\n');

/** `if a` typed at column 0 in a function's body. */
const IF_TEXT = [
  'for col in ["friends", "posts_per_week"]:',
  '    survey[col] = survey[col].fillna(survey[col].mean())  # expect: preprocessing-before-split',
  'features = ["friends", "stage_fear", "city_Lyon", "city_Oslo"]',
  'X_tr, X_va, y_tr, y_va = train_test_split(survey[features], survey["introvert"], random_state=42)',
  'def f_49():',
  "        sm = SMOTE(sampling_strategy='minority', random_state=seed)",
  'if a',
  '    X_bal, y_bal = balance(X, y)',
  '    X_train, X_test, y_train, y_test = train_test_split(X_bal, y_bal, test_size=0.2, random_state=0)',
  '    rf = RandomForestClassifier(random_state=0).fit(X_train, y_train)',
  '    pass',
  'import re',
  'import numpy as np',
].join('\n');

/**
 * `if f(` typed at column 0 before the rest of a function's body: a bracket left open, whose recovery ran on over
 * the margin (`import torch`) only when more statements followed it.
 */
const BRACKET_TEXT = [
  'if f(',
  '    model.evaluate(x_test / 255.0, y_test)',
  '    pass',
  'import torch',
  'X_train, X_test, y_train, y_test = train_test_split(kept[cols], kept["failure"], test_size=0.2, random_state=0)',
].join('\n');

/**
 * `print(f'{score:.3f}')` typed at line 2, at column 0 (seed 20261218 of the typing test): while the f-string is open
 * the whole text goes to tree-sitter, whose recovery left f_287 with another shape than a parse from its own start
 * gives; the next keystroke re-used f_287 as it was.
 */
const FSTRING_BASE = [
  'def f_269():',
  '    reg = xgb.XGBRegressor(n_estimators=2000, early_stopping_rounds=50, random_state=1)',
  '    pass',
  'def f_287():',
  '    from sklearn.preprocessing import MinMaxScaler',
  'print(Ridge().fit(X_train, y_train).score(X_test, y_test))',
].join('\n');

/** Statements typed at column 0 (a dedent) at the start of a line of a function's body. */
const DEDENTS = [
  'for item in items:',
  'if f(a, b):',
  'def g(a, b=2):',
  'class C:',
  'else:',
  'x',
  '# c',
  'with open(p) as f:',
];

/**
 * Types `typed` character by character (then a newline) at the start of line `line` of `base` in one document; after
 * each keystroke, the tree the analysis used and its findings are those of the whole-file tree-sitter path. Returns
 * the number of keystrokes.
 */
function typeAtLine(base: string, line: number, typed: string, findingsEvery = 1): number {
  const key = `file:///tmp/typing-header-${line}.py`;
  const lines = base.split('\n');
  const at = lines.slice(0, line).join('\n').length + (line ? 1 : 0);
  analyzePythonSync(base, { documentKey: key });
  try {
    for (let c = 1; c <= typed.length; c++) {
      const text = base.slice(0, at) + typed.slice(0, c) + '\n' + base.slice(at);
      const what = `${JSON.stringify(typed.slice(0, c))} at line ${line + 1}`;
      const inc = analyzePythonSync(text, { documentKey: key });
      assert.deepStrictEqual(dump(parsePython(text, 10_000, key)), dump(treeSitterParse(text)), `tree after ${what}`);
      if (c % findingsEvery === 0 || c === typed.length) {
        const ref = reference(text);
        assert.deepStrictEqual(inc.findings, ref.findings, `findings after ${what}`);
        assert.strictEqual(inc.syntaxErrors, ref.syntaxErrors, `syntax errors after ${what}`);
      }
    }
  } finally {
    releaseDocument(key);
  }
  return typed.length;
}

describe('leakage analysis while a block header is typed at column 0 inside a function', function () {
  this.timeout(120_000);

  before(async () => {
    await loadPythonParser();
  });

  it('finds a header without its colon that more code follows', () => {
    const end = (t: string) => openHeaderEnd(t, 0, t.length);
    assert.strictEqual(end('x = 1\nfor\n    y = 2\n'), 9);
    assert.strictEqual(end('if a  # comment\n    b\n'), 15);
    assert.strictEqual(end('async def f(a: int) -> int\n'), 26);
    assert.strictEqual(end('with open(p) as f'), 17);
    assert.strictEqual(end('for i in range(3)\n    a\n'), 17);
    // a header inside a bracket left open is a bracket left open (a local error, see lexicalHazard)
    assert.strictEqual(end('def broken(:\n    return 1 +\nX = 2\n'), -1);
    // colons outside brackets end a header; those inside brackets, strings, comments or a walrus do not
    assert.strictEqual(end('for x in y: print(x)\nif a: pass\nelse:\n    b\n'), -1);
    assert.strictEqual(end('if d["a:b"]  # c:\n    x\n'), 17);
    assert.strictEqual(end('while (n := f()) > 0\n'), 20);
    assert.strictEqual(end('while n := f():\n'), -1);
    assert.strictEqual(end('if a and \\\n   b:\n    c\n'), -1);
    // not headers: a comprehension's `for`/`if` inside brackets, keywords inside a line, names that start with one
    assert.strictEqual(end('y = [a\n     for a in b\n     if a]\nx = 1 if a else 2\nformat = 1\niffy(2)\n'), -1);
    // a hazard only when code follows the header (typing at the end of a file stays local)
    assert.ok(lexicalHazard('def f():\n    a\nfor\n    b\n'));
    assert.ok(lexicalHazard('a\nfor x in y\nb\n', 2, 13));
    assert.ok(!lexicalHazard('def f():\n    a\nfor item in items\n\n# end\n'));
    assert.ok(!lexicalHazard('def f():\n    a\nfor item in items:\n    b\n'));
  });

  it('parses a header without its colon before indented lines as the whole-file tree-sitter parse does', () => {
    for (const text of [FOR_TEXT, IF_TEXT, BRACKET_TEXT]) {
      assert.strictEqual(fastParse(text), undefined);
      assert.deepStrictEqual(dump(parsePython(text)), dump(treeSitterParse(text)));
      const fresh = analyzePythonSync(text);
      const ref = reference(text);
      assert.deepStrictEqual(fresh.findings, ref.findings);
      assert.strictEqual(fresh.syntaxErrors, ref.syntaxErrors);
    }
  });

  it('re-analyses as the whole-file path does while `for item in items:`, `if a:`, `if f(a, b):` are typed', () => {
    const cases: [string, number, string][] = [
      [FOR_TEXT, 11, 'for item in items:'],
      [IF_TEXT, 6, 'if a:'],
      [BRACKET_TEXT, 0, 'if f(a, b):'],
    ];
    for (const [text, line, typed] of cases) {
      // the text without the header's line, as before it was typed
      const lines = text.split('\n');
      const base = [...lines.slice(0, line), ...lines.slice(line + 1)].join('\n') + '\n';
      typeAtLine(base, line, typed);
    }
  });

  it('does not re-use the statements of a whole-file tree-sitter parse with errors (an f-string typed at column 0)', () => {
    typeAtLine(FSTRING_BASE, 1, "print(f'{score:.3f}')");
  });

  it('types headers and other dedents at column 0 in function bodies of long texts like the whole-file path', () => {
    const files = leakageCorpusTexts().filter(t => typeof fastParse(t) === 'object');
    const random = rng(16);
    const texts = [longText(files, random, 300, 1), longText(files, random, 300, 1)];
    let keystrokes = 0;
    for (let i = 0; i < 16; i++) {
      const base = texts[i % texts.length];
      const lines = base.split('\n');
      // a line of a function's body (indented, after the def's first line)
      const body = lines.flatMap((l, n) =>
        n > 0 && /^ {4}\S/.test(l) && /^( {4}|def )/.test(lines[n - 1]) ? [n] : [],
      );
      const line = body[Math.floor(random() * body.length)];
      keystrokes += typeAtLine(base, line, DEDENTS[i % DEDENTS.length], 4);
    }
    assert.ok(keystrokes > 100, `${keystrokes} keystrokes`);
  });
});
