import * as assert from 'assert';
import {
  MODEL_PAGE_MESSAGES,
  ModelPageToHost,
  PROMOTE_MESSAGES,
  PromoteToHost,
  modelPageStateFrom,
} from '../../src/models/contract';
import { MessageValidators, validateMessage } from '../../src/platform/messages';

// The model page's and the promotion review's message contracts: every field of every message is checked on
// arrival (the panel host drops a message that fails, with a log line), and a model page's restored state is checked.

function check<M extends { type: string }>(
  validators: MessageValidators<M>,
  good: Record<M['type'], unknown[]>,
  bad: Record<M['type'], unknown[]>,
): void {
  for (const [type, messages] of Object.entries<unknown[]>(good)) {
    for (const m of messages) {
      const r = validateMessage(validators, m);
      assert.ok(r.ok, `${type}: ${JSON.stringify(m)} is well-formed (${r.ok ? '' : r.reason})`);
    }
  }
  for (const [type, messages] of Object.entries<unknown[]>(bad)) {
    assert.ok(messages.length > 0, `a malformed "${type}" message is tested`);
    for (const m of messages) {
      const r = validateMessage(validators, m);
      assert.ok(!r.ok, `${type}: ${JSON.stringify(m)} is rejected`);
      assert.match(r.ok ? '' : r.reason, new RegExp(`malformed "${type}"`));
    }
  }
  for (const m of [null, 'ready', 42, [], { type: 7 }, { type: 'data' }, { type: 'constructor' }]) {
    assert.ok(!validateMessage(validators, m).ok, `${JSON.stringify(m)} is rejected`);
  }
}

describe('models webview contracts (every field of every message checked)', () => {
  it('the promotion review: one malformed message of each type is dropped', () => {
    check<PromoteToHost>(
      PROMOTE_MESSAGES,
      {
        ready: [{ type: 'ready' }],
        promote: [
          { type: 'promote', reason: 'wins offline', override: false },
          { type: 'promote', reason: '', override: true },
        ],
        cancel: [{ type: 'cancel' }],
        openRun: [{ type: 'openRun', runId: '0123abcd' }],
      },
      {
        ready: [{ type: 'ready', review: {} }],
        promote: [
          { type: 'promote', reason: 'x' },
          { type: 'promote', reason: 'x', override: 'true' },
          { type: 'promote', reason: 7, override: false },
          { type: 'promote', reason: 'x'.repeat(10_001), override: false },
        ],
        cancel: [{ type: 'cancel', reason: 'x' }],
        openRun: [{ type: 'openRun' }, { type: 'openRun', runId: 42 }, { type: 'openRun', runId: 'r'.repeat(1001) }],
      },
    );
  });

  it('the model page: one malformed message of each type is dropped', () => {
    check<ModelPageToHost>(
      MODEL_PAGE_MESSAGES,
      {
        ready: [{ type: 'ready' }],
        openRun: [{ type: 'openRun', runId: 'run-1' }],
        showCommit: [
          { type: 'showCommit', commit: 'abcdef0123456789' },
          { type: 'showCommit', commit: 'ABCD' },
        ],
        configureCanary: [{ type: 'configureCanary' }],
        promote: [{ type: 'promote' }, { type: 'promote', version: 3 }],
        setAlias: [{ type: 'setAlias' }, { type: 'setAlias', version: 2 }],
        undoPromotion: [{ type: 'undoPromotion' }],
        refresh: [{ type: 'refresh' }],
      },
      {
        ready: [{ type: 'ready', tab: 'ab' }],
        openRun: [
          { type: 'openRun', runId: null },
          { type: 'openRun', runId: ['run-1'] },
        ],
        showCommit: [
          { type: 'showCommit', commit: '--output=/tmp/pwned' },
          { type: 'showCommit', commit: '-p' },
          { type: 'showCommit', commit: 'abc' },
          { type: 'showCommit', commit: 'a'.repeat(65) },
          { type: 'showCommit' },
        ],
        configureCanary: [{ type: 'configureCanary', model: 'other' }],
        promote: [
          { type: 'promote', version: '2' },
          { type: 'promote', version: 1.5 },
          { type: 'promote', version: 0 },
          { type: 'promote', version: Number.NaN },
        ],
        setAlias: [
          { type: 'setAlias', version: '2' },
          { type: 'setAlias', version: -1 },
        ],
        undoPromotion: [{ type: 'undoPromotion', model: 'other' }],
        refresh: [{ type: 'refresh', force: true }],
      },
    );
  });

  it('a model page restored after a reload keeps a checked state, or closes', () => {
    assert.deepStrictEqual(modelPageStateFrom({ folder: 'file:///w', model: 'churn', tab: 'ab' }), {
      folder: 'file:///w',
      model: 'churn',
      tab: 'ab',
    });
    assert.deepStrictEqual(modelPageStateFrom({ folder: 'file:///w', model: 'churn', tab: '<script>' }), {
      folder: 'file:///w',
      model: 'churn',
    });
    // a team model's page: no folder, whatever the stored state says
    assert.deepStrictEqual(modelPageStateFrom({ folder: 'file:///w', model: 'churn', team: true }), {
      folder: '',
      model: 'churn',
      team: true,
    });
    assert.deepStrictEqual(modelPageStateFrom({ folder: 'file:///w', model: 'churn', team: 'yes' }), {
      folder: 'file:///w',
      model: 'churn',
    });
    for (const raw of [undefined, null, 'x', {}, { folder: 'file:///w' }, { folder: 1, model: 'churn' }]) {
      assert.strictEqual(modelPageStateFrom(raw), undefined, JSON.stringify(raw));
    }
  });
});
