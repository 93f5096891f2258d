// Fuzz tier: a damaged source parsed in pieces (src/core/leakage/splitparse.ts: the fast parser for the pieces it
// accepts, tree-sitter for the others) either is left to tree-sitter as a whole or gives exactly tree-sitter's tree
// of the whole text (every node's type, field, offsets, id and parent), error count, first error and per-statement
// errors.
import * as assert from 'assert';
import { loadPythonParser } from '../../src/core/leakage';
import { FastPrefix, fastParse } from '../../src/core/leakage/fastparse';
import { ParsedPython } from '../../src/core/leakage/parser';
import { treeLines, treeSitterParse } from '../unit/helpers/pytree';
import { splitParse } from '../../src/core/leakage/splitparse';
import { fuzzReader, mutated, pythonCorpusText } from './fuzzing';

const dump = (p: ParsedPython): string =>
  [`errors ${p.errors} first ${p.firstErrorOffset} ${JSON.stringify(p.statementErrors)}`, ...treeLines(p.root)].join(
    '\n',
  );

describe('fuzz: parse in pieces against tree-sitter', () => {
  before(async () => {
    await loadPythonParser();
  });

  it('leaves the text to tree-sitter or builds its tree on damaged sources', async () => {
    await fuzzReader('python-split-parser', 40, mutated(pythonCorpusText()), async input => {
      const text = input.toString('utf8');
      // half the cases with the statements the fast parser completed on the whole text, as parsePython passes them
      const prefix: { value?: FastPrefix } = {};
      if (input.length % 2) {
        fastParse(text, Infinity, prefix);
      }
      const split = splitParse(text, t => fastParse(t), treeSitterParse, prefix.value);
      if (split === undefined || split === 'timeout') {
        return;
      }
      assert.strictEqual(dump(split), dump(treeSitterParse(text)));
    });
  });
});
