import * as assert from 'assert';
import {
  COMPARE_MESSAGES,
  WebviewToHost,
  defaultViewSettings,
  selectionFrom,
  viewSettingsFrom,
} from '../../src/compare/contract';
import { RUN_PAGE_MESSAGES, RunPageToHost, runPageStateFrom } from '../../src/runs/contract';
import { MessageValidators, validateMessage } from '../../src/platform/messages';

// The run page's and the comparison's message contracts: every field of every message is checked on arrival
// (the panel host drops a message that fails), and what VS Code restores after a reload is checked too.

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
  for (const m of [
    null,
    'ready',
    42,
    [],
    { type: 7 },
    { type: 'state' },
    { type: '__proto__' },
    { type: 'toString' },
  ]) {
    assert.ok(!validateMessage(validators, m).ok, `${JSON.stringify(m)} is rejected`);
  }
}

describe('webview contracts: run page', () => {
  it('accepts each well-formed message and rejects a malformed one of each type', () => {
    check<RunPageToHost>(
      RUN_PAGE_MESSAGES,
      {
        ready: [{ type: 'ready' }],
        openArtifact: [{ type: 'openArtifact', path: 'models/model.pkl' }],
        showDiff: [{ type: 'showDiff' }],
        checkoutWorktree: [{ type: 'checkoutWorktree' }],
        compareWith: [{ type: 'compareWith' }],
        copy: [{ type: 'copy', text: 'run-1' }],
      },
      {
        // a message without fields is malformed when it carries one
        ready: [{ type: 'ready', state: { folder: 'f', runId: 'r' } }],
        openArtifact: [
          { type: 'openArtifact' },
          { type: 'openArtifact', path: 7 },
          { type: 'openArtifact', path: ['a'] },
          { type: 'openArtifact', path: 'x'.repeat(5000) },
        ],
        showDiff: [{ type: 'showDiff', commit: '--output=/tmp/x' }],
        checkoutWorktree: [{ type: 'checkoutWorktree', commit: 'HEAD' }],
        compareWith: [{ type: 'compareWith', runIds: ['a'] }],
        copy: [{ type: 'copy' }, { type: 'copy', text: { toString: 'x' } }, { type: 'copy', text: 'x'.repeat(20_000) }],
      },
    );
  });

  it('the messages without fields are still rejected when they are not objects with their type', () => {
    for (const type of ['ready', 'showDiff', 'checkoutWorktree', 'compareWith']) {
      assert.ok(validateMessage(RUN_PAGE_MESSAGES, { type }).ok);
      assert.ok(!validateMessage(RUN_PAGE_MESSAGES, [type]).ok);
      assert.ok(!validateMessage(RUN_PAGE_MESSAGES, { type: type.toUpperCase() }).ok);
    }
  });

  it('restores a run page only from a state with a folder and a run id', () => {
    assert.deepStrictEqual(runPageStateFrom({ folder: 'file:///w', runId: 'r1', extra: 1 }), {
      folder: 'file:///w',
      runId: 'r1',
    });
    for (const raw of [undefined, null, 'x', { folder: 'file:///w' }, { folder: 1, runId: 'r' }, { runId: 'r' }]) {
      assert.strictEqual(runPageStateFrom(raw), undefined, JSON.stringify(raw));
    }
  });
});

describe('webview contracts: comparison', () => {
  it('accepts each well-formed message and rejects a malformed one of each type', () => {
    const bad: Record<WebviewToHost['type'], unknown[]> = {
      ready: [{ type: 'ready', selection: { folder: 'f', runIds: [] } }],
      setReference: [{ type: 'setReference' }, { type: 'setReference', runId: 3 }, { type: 'setReference', runId: {} }],
      setBaseline: [{ type: 'setBaseline' }, { type: 'setBaseline', runId: null }, { type: 'setBaseline', runId: 1 }],
      openRun: [{ type: 'openRun' }, { type: 'openRun', runId: ['r'] }],
      addBaselineSnippet: [{ type: 'addBaselineSnippet', code: 'import os' }],
      save: [
        { type: 'save', kind: 'exe', suggestedName: 'a', content: '' },
        { type: 'save', kind: 'csv', content: '' },
        { type: 'save', kind: 'png', suggestedName: 'a' },
        { type: 'save', kind: 'csv', suggestedName: 'a', content: 12 },
      ],
      firstPaint: [
        { type: 'firstPaint', ms: 'fast', points: 1 },
        { type: 'firstPaint', ms: 1 },
        { type: 'firstPaint', ms: Number.NaN, points: 1 },
        { type: 'firstPaint', ms: 1, points: -1 },
      ],
    };
    check<WebviewToHost>(
      COMPARE_MESSAGES,
      {
        ready: [{ type: 'ready' }],
        setReference: [
          { type: 'setReference', runId: 'r1' },
          { type: 'setReference', runId: null },
        ],
        setBaseline: [{ type: 'setBaseline', runId: 'r1' }],
        openRun: [{ type: 'openRun', runId: 'r1' }],
        addBaselineSnippet: [{ type: 'addBaselineSnippet' }],
        save: [
          { type: 'save', kind: 'csv', suggestedName: 'runs', content: 'a,b\n1,2\n' },
          { type: 'save', kind: 'png', suggestedName: 'loss', content: 'iVBORw0KGgo=' },
        ],
        firstPaint: [{ type: 'firstPaint', ms: 12.5, points: 4000 }],
      },
      bad,
    );
  });

  it('the webview no longer sends its state: a "state" message is an unknown type', () => {
    const r = validateMessage(COMPARE_MESSAGES, { type: 'state', state: { folder: 'f', runIds: [] } });
    assert.ok(!r.ok);
    assert.match(r.ok ? '' : r.reason, /unknown message type "state"/);
  });

  it('restores the selection (current and earlier persisted shapes); a reference outside the runs is dropped', () => {
    const view = defaultViewSettings();
    assert.deepStrictEqual(
      selectionFrom({ selection: { folder: 'file:///w', runIds: ['a', 'b'], referenceRunId: 'b' }, view }),
      { folder: 'file:///w', runIds: ['a', 'b'], referenceRunId: 'b' },
    );
    assert.deepStrictEqual(
      selectionFrom({ folder: 'file:///w', runIds: ['a'], referenceRunId: 'zz', smoothing: 0.5 }),
      {
        folder: 'file:///w',
        runIds: ['a'],
        referenceRunId: null,
      },
    );
    for (const raw of [undefined, null, { view }, { selection: null, view }, { folder: 'f', runIds: [1] }]) {
      assert.strictEqual(selectionFrom(raw), undefined, JSON.stringify(raw));
    }
  });

  it('reads view settings setting by setting: valid ones kept, anything else the default', () => {
    assert.deepStrictEqual(viewSettingsFrom(undefined), defaultViewSettings());
    const v = viewSettingsFrom({
      selection: null,
      view: { smoothing: 0.8, xAxis: 'wall', logY: 'yes', deltaMode: 'relative', sort: { key: 'k', section: 'param' } },
    });
    assert.deepStrictEqual(v, { ...defaultViewSettings(), smoothing: 0.8, xAxis: 'wall', deltaMode: 'relative' });
    // the flat state earlier versions persisted
    const flat = viewSettingsFrom({ folder: 'f', runIds: [], referenceRunId: null, diffOnly: false, pcParams: ['lr'] });
    assert.deepStrictEqual(flat, { ...defaultViewSettings(), diffOnly: false, pcParams: ['lr'] });
    assert.ok(!('referenceRunId' in flat) && !('folder' in flat), 'view settings hold no selection');
    assert.strictEqual(viewSettingsFrom({ view: { smoothing: 3 } }).smoothing, 0);
  });
});
