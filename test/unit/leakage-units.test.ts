// Re-analysis after edits re-uses the analysis of unchanged functions (unitcache.ts): the findings must be exactly
// those of a fresh analysis, also when what a re-used function read from the module changes, when a function calls
// a re-used one, and after long series of random edits of a file made of functions that use each other.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebookSync, analyzePythonSync, loadPythonParser, releaseDocument } from '../../src/core/leakage';
import { unitStats } from '../../src/core/leakage/unitcache';
import { assertEditsMatchFresh, rng } from './helpers/pytree';

const PREAMBLE = `import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split, cross_val_score
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

SEED = 42
TEST_SIZE = 0.2
raw = pd.read_csv('data.csv')


def load():
    return pd.read_csv('train.csv')


def scale(X):
    return StandardScaler().fit_transform(X)


def evaluate(model, X, y):
    return accuracy_score(y, model.predict(X))


class Trainer:
    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.model.fit(X, y)
        return self


def uses_raw():
    X = raw.drop(columns=['target'])
    y = raw['target']
    X = scale(X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=TEST_SIZE, random_state=SEED)
    m = LogisticRegression().fit(X_tr, y_tr)
    return evaluate(m, X_te, y_te)


def uses_unbound():
    X = features
    X = StandardScaler().fit_transform(X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, labels)
    print(len(X_tr))


def local_data():
    X = pd.read_csv('local.csv')
    y = X.pop('target')
    X = StandardScaler().fit_transform(X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=SEED)
    m = LogisticRegression().fit(X_tr, y_tr)
    print(m.score(X_te, y_te))


def sets_global():
    global counter
    print(counter)
    counter = 1


def nested_uncalled():
    def inner(X):
        return StandardScaler().fit(X)
    data = np.random.rand(10, 3)
    X_tr, X_te = train_test_split(data)


def calls_later():
    m = Trainer(LogisticRegression()).fit(features, labels)
    print(evaluate(m.model, features, labels))

`;

/** Corpus scripts, each wrapped in a function of its own (as in the lint bench). */
function functionsFile(count: number): string {
  const dir = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'leakage-realworld');
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.py'))
    .sort()
    .slice(0, count);
  const out = [PREAMBLE];
  files.forEach((f, i) => {
    const src = fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
    out.push(`def script_${i}():`, ...src.map(l => (l.trim() ? '    ' + l : '')), '    pass', '');
  });
  return out.join('\n');
}

/** Lines that tie functions to each other or to the module, inserted at a line start with that line's indent. */
const LINES = [
  'features = raw',
  'features = 3',
  'uses_unbound()',
  'helper = calls_later()',
  'global features',
  'counter = 0',
  'return uses_unbound()',
  'print = 3',
  'X = scale(features)',
  'script_3()',
  'labels = load()',
  'SEED = None',
  'import numpy as np',
  'from sklearn.preprocessing import StandardScaler as scale',
  'self.model = LogisticRegression()',
  'features, labels = load(), load()',
  'del raw',
  'X_train, X_test, y_train, y_test = train_test_split(features, labels)',
  'np = None',
];

function randomEdit(text: string, r: () => number): string {
  const at = Math.floor(r() * (text.length + 1));
  const s = text.lastIndexOf('\n', at - 1) + 1;
  const kind = r();
  if (kind < 0.5) {
    const indent = /^[ \t]*/.exec(text.slice(s))![0];
    return text.slice(0, s) + indent + LINES[Math.floor(r() * LINES.length)] + '\n' + text.slice(s);
  }
  if (kind < 0.65) {
    return text.slice(0, at) + 'x' + text.slice(at);
  }
  if (kind < 0.8) {
    return text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(r() * 12)));
  }
  const e = text.indexOf('\n', at);
  const end = e < 0 ? text.length : e + 1;
  // delete or duplicate a whole line
  return r() < 0.5 ? text.slice(0, s) + text.slice(end) : text.slice(0, end) + text.slice(s, end) + text.slice(end);
}

const findingLines = (t: string) => analyzePythonSync(t).findings.map(f => `${f.rule}:${f.range.startLine}`);

describe('leakage re-analysis re-uses unchanged functions', function () {
  this.timeout(120_000);

  it('re-uses every unchanged function after a one-character edit, with the findings of a fresh analysis', async () => {
    await loadPythonParser();
    const key = 'file:///tmp/units-one-edit.py';
    const base = functionsFile(30);
    analyzePythonSync(base, { documentKey: key });
    const reused0 = unitStats.reused;
    const at = base.indexOf('    pass\n', base.length >> 1);
    const edited = `${base.slice(0, at)}    passx = 1\n${base.slice(at)}`;
    const inc = analyzePythonSync(edited, { documentKey: key });
    assert.deepStrictEqual(inc.findings, analyzePythonSync(edited).findings);
    assert.ok(inc.findings.length > 10, `${inc.findings.length} findings`);
    assert.ok(unitStats.reused - reused0 >= 25, `${unitStats.reused - reused0} functions re-used`);
    releaseDocument(key);
  });

  it('analyses a function again when a module-level name it read changes', async () => {
    await loadPythonParser();
    const key = 'file:///tmp/units-global.py';
    const base = functionsFile(10);
    analyzePythonSync(base, { documentKey: key });
    // `features` was unbound (a dataset from elsewhere); now it is a number: uses_unbound() has nothing to leak
    const edited = base.replace('raw = pd.read_csv', 'features = 3\nraw = pd.read_csv');
    assert.notDeepStrictEqual(findingLines(edited), findingLines(base));
    assert.deepStrictEqual(
      analyzePythonSync(edited, { documentKey: key }).findings,
      analyzePythonSync(edited).findings,
    );
    // a library name bound to something else at module level: local_data() no longer fits a scaler
    const rebound = edited.replace('SEED = 42', 'SEED = 42\nStandardScaler = None');
    assert.notDeepStrictEqual(findingLines(rebound), findingLines(edited));
    assert.deepStrictEqual(
      analyzePythonSync(rebound, { documentKey: key }).findings,
      analyzePythonSync(rebound).findings,
    );
    releaseDocument(key);
  });

  it('runs the analysis again when a function analysed later calls a re-used one', async () => {
    await loadPythonParser();
    const key = 'file:///tmp/units-call.py';
    const base = functionsFile(10);
    analyzePythonSync(base, { documentKey: key });
    const rerun0 = unitStats.rerun;
    // script_9 (analysed after uses_unbound, which is re-used) now calls it
    const at = base.lastIndexOf('    pass\n');
    const edited = `${base.slice(0, at)}    uses_unbound()\n${base.slice(at)}`;
    assert.deepStrictEqual(
      analyzePythonSync(edited, { documentKey: key }).findings,
      analyzePythonSync(edited).findings,
    );
    assert.strictEqual(unitStats.rerun, rerun0 + 1, 'the analysis ran again without re-use');
    // recorded after the call: uses_unbound is no longer re-used, so the next edit needs no second run
    const again = edited.replace('def script_0():', 'def script_0():\n    a = 1');
    assert.deepStrictEqual(analyzePythonSync(again, { documentKey: key }).findings, analyzePythonSync(again).findings);
    assert.strictEqual(unitStats.rerun, rerun0 + 1);
    releaseDocument(key);
  });

  it('re-uses functions across the cells of a notebook, with the findings of a fresh analysis', async () => {
    await loadPythonParser();
    const key = 'vscode-notebook://units.ipynb';
    const cells = functionsFile(12)
      .split(/\n(?=def |class )/)
      .map((source, index) => ({ source, index }));
    const reused0 = unitStats.reused;
    analyzeNotebookSync(cells, { documentKey: key });
    for (const at of [3, cells.length - 2, 0]) {
      cells[at] = { ...cells[at], source: `${cells[at].source}\nprint('edited')` };
      const inc = analyzeNotebookSync(cells, { documentKey: key });
      assert.deepStrictEqual(inc.findings, analyzeNotebookSync(cells).findings, `after editing cell ${at}`);
    }
    assert.ok(unitStats.reused - reused0 > 20, `${unitStats.reused - reused0} functions re-used`);
    releaseDocument(key);
  });

  it('gives the same findings as a fresh analysis after 150 random edits of a file of functions (seed 11)', async () => {
    await loadPythonParser();
    const r = rng(Number(process.env.MLSIGHT_EDIT_SEED ?? 11));
    const base = functionsFile(24);
    const key = 'file:///tmp/units-random.py';
    const reused0 = unitStats.reused;
    const rerun0 = unitStats.rerun;
    assertEditsMatchFresh(base, key, 150, 0.1, text => randomEdit(text, r), r);
    const reused = unitStats.reused - reused0;
    console.log(`      ${reused} function analyses re-used; ${unitStats.rerun - rerun0} analyses run again`);
    assert.ok(reused > 500, `only ${reused} function analyses re-used`);
  });
});
