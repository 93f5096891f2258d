// Re-analysis after edits (documentKey): the tree re-used statement by statement, and the findings, must be exactly
// those of a fresh parse and analysis of the same text, after a long series of random edits (fixed seed).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { loadPythonParser, releaseDocument } from '../../src/core/leakage';
import { parsePython, reparseStats } from '../../src/core/leakage/parser';
import { assertEditsMatchFresh, rng, treeLines } from './helpers/pytree';
import { changedRange } from '../../src/core/leakage/reparse';

const SNIPPETS = [
  'x',
  ' ',
  '\n',
  '\n    ',
  '    ',
  '(',
  ')',
  '[',
  ']',
  ':',
  '"',
  '"""',
  "'",
  '\\\n',
  '#',
  ',',
  '=',
  '.fit(X)',
  'def g(a):\n    return a\n',
  'if x:\n',
  'else:\n    pass\n',
  'X = StandardScaler().fit_transform(X)\n',
  'X_train, X_test, y_train, y_test = train_test_split(X, y)\n',
  '@dec\n',
  'try:\n',
  'except E:\n    pass\n',
  ';',
  'lambda: 0',
  'for i in range(3):\n    m.fit(X, y)\n',
  '\r\n',
  '\t',
  'é',
  '\n\n# note\n',
];

function corpusText(): string {
  const dir = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'leakage-realworld');
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.py'))
    .sort()
    .slice(0, 12);
  return files.map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

function randomEdit(text: string, r: () => number): string {
  const at = Math.floor(r() * (text.length + 1));
  const kind = r();
  if (kind < 0.45) {
    return text.slice(0, at) + SNIPPETS[Math.floor(r() * SNIPPETS.length)] + text.slice(at);
  }
  if (kind < 0.8) {
    return text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(r() * 12)));
  }
  if (kind < 0.9) {
    // delete or duplicate whole lines
    const s = text.lastIndexOf('\n', at - 1) + 1;
    const e = text.indexOf('\n', at);
    const end = e < 0 ? text.length : e + 1;
    return r() < 0.5 ? text.slice(0, s) + text.slice(end) : text.slice(0, end) + text.slice(s, end) + text.slice(end);
  }
  // undo-like: type a character and take it back is covered by pairs; here replace a character
  return text.slice(0, at) + 'y' + text.slice(at + 1);
}

describe('leakage re-analysis after edits (statement re-use)', function () {
  this.timeout(120_000);

  it('changedRange finds the common prefix and suffix', () => {
    assert.deepStrictEqual(changedRange('abcdef', 'abXdef'), { start: 2, oldEnd: 3, newEnd: 3 });
    assert.deepStrictEqual(changedRange('aaa', 'aaaa'), { start: 3, oldEnd: 3, newEnd: 4 });
    assert.deepStrictEqual(changedRange('abc', ''), { start: 0, oldEnd: 3, newEnd: 0 });
  });

  it('gives the same tree and findings as a fresh parse after 400 random edits (seed 16)', async () => {
    await loadPythonParser();
    const r = rng(Number(process.env.MLSIGHT_EDIT_SEED ?? 16));
    const base = corpusText();
    let text = base;
    const key = 'file:///tmp/random-edits.py';
    let reusedClean = 0;
    const reused0 = reparseStats.reused;
    for (let step = 0; step < 400; step++) {
      // mostly edit the current text; sometimes go back to the clean original (a parse without errors to re-use)
      text = r() < 0.15 ? base : randomEdit(text, r);
      const inc = parsePython(text, 10_000, key);
      const incDump = treeLines(inc.root);
      const fresh = parsePython(text);
      assert.deepStrictEqual(incDump, treeLines(fresh.root), `tree after step ${step}`);
      assert.strictEqual(inc.errors, fresh.errors, `errors after step ${step}`);
      assert.strictEqual(inc.firstErrorOffset, fresh.firstErrorOffset, `first error after step ${step}`);
      assert.strictEqual(inc.nodeCount, fresh.nodeCount, `node count after step ${step}`);
      if (!fresh.errors) {
        reusedClean++;
      }
    }
    releaseDocument(key);
    console.log(
      `      ${reparseStats.reused - reused0} of 400 edits re-used statements; ${reusedClean} left no syntax error`,
    );
    assert.ok(reusedClean > 50, `only ${reusedClean} edits left the text without syntax errors`);
    assert.ok(
      reparseStats.reused - reused0 > 40,
      `statements re-used after only ${reparseStats.reused - reused0} edits`,
    );
  });

  it('gives the same findings as a fresh analysis after a series of small edits (seed 7)', async () => {
    await loadPythonParser();
    const r = rng(7);
    const base = corpusText();
    assertEditsMatchFresh(base, 'file:///tmp/random-edits-findings.py', 120, 0.2, text => randomEdit(text, r), r);
  });

  it('re-uses the statements around a one-character edit of a clean file', async () => {
    await loadPythonParser();
    const base = corpusText();
    const key = 'file:///tmp/reuse.py';
    const before = parsePython(base, 10_000, key);
    const lastStatement = before.root.children[before.root.children.length - 1];
    const firstStatement = before.root.children[0];
    const at = base.indexOf('\n', Math.floor(base.length / 2));
    const reused0 = reparseStats.reused;
    const after = parsePython(base.slice(0, at) + 'x' + base.slice(at), 10_000, key);
    assert.strictEqual(reparseStats.reused, reused0 + 1);
    assert.strictEqual(after.root.children[0], firstStatement, 'the first statement object is re-used');
    assert.strictEqual(after.root.children[after.root.children.length - 1], lastStatement, 'the last one too');
    releaseDocument(key);
  });
});
