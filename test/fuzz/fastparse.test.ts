// Fuzz tier: the fast Python parser (src/core/leakage/fastparse.ts) on damaged sources either gives up or builds
// exactly the tree of the tree-sitter path (every node's type, field, offsets, id and parent), and never accepts a
// text tree-sitter finds a syntax error in.
import * as assert from 'assert';
import { loadPythonParser } from '../../src/core/leakage';
import { fastParse } from '../../src/core/leakage/fastparse';
import { parsePythonWith } from '../../src/core/leakage/parser';
import { treeLines } from '../unit/helpers/pytree';
import { fuzzReader, mutated, pythonCorpusText } from './fuzzing';

describe('fuzz: fast Python parser against tree-sitter', () => {
  before(async () => {
    await loadPythonParser();
  });

  it('gives up or builds the tree-sitter tree on damaged sources', async () => {
    await fuzzReader('python-fast-parser', 40, mutated(pythonCorpusText()), async input => {
      const text = input.toString('utf8');
      const fast = fastParse(text);
      if (fast === undefined || fast === 'timeout') {
        return;
      }
      const ts = parsePythonWith(text, 'fast');
      assert.strictEqual(ts.errors, 0, 'the fast parser accepted a text with syntax errors');
      assert.strictEqual(treeLines(fast.root).join('\n'), treeLines(ts.root).join('\n'));
      assert.strictEqual(fast.nodeCount, ts.nodeCount);
    });
  });
});
