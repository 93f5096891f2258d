import * as assert from 'assert';
import {
  DRIFT_MESSAGES,
  DriftConfig,
  defaultDriftViewState,
  restoreDriftViewState,
  WebviewToHost,
} from '../../src/drift/contract';
import { validateMessage } from '../../src/platform/messages';

const config: DriftConfig = {
  reference: '/w/data/reference.csv',
  current: '/w/data/current.csv',
  target: 'target',
  prediction: null,
  time: 'timestamp',
};
const view = { sort: { key: 'score', descending: false }, selected: '<img src=x>', chart: 'ecdf', metric: 'f1' };

const reason = (m: unknown) => {
  const r = validateMessage(DRIFT_MESSAGES, m);
  return r.ok ? 'ok' : r.reason;
};

describe('Drift webview messages (validated field by field before the panel sees them)', () => {
  it('accepts a well-formed message of every type', () => {
    const good: WebviewToHost[] = [
      { type: 'ready' },
      { type: 'state', view: view as Extract<WebviewToHost, { type: 'state' }>['view'] },
      {
        type: 'state',
        view: { sort: { key: 'drifted', descending: true }, selected: null, chart: 'histogram', metric: null },
      },
      { type: 'export', format: 'json' },
      { type: 'export', format: 'csv' },
      { type: 'export', format: 'html' },
      { type: 'rerun' },
      { type: 'configure' },
      { type: 'openFile', which: 'reference' },
      { type: 'openFile', which: 'current' },
      { type: 'openSettings' },
      { type: 'saveWatch' },
      { type: 'rendered', rows: 10, charts: 0 },
    ];
    for (const m of good) {
      assert.strictEqual(reason(m), 'ok', JSON.stringify(m));
    }
    // the compiler makes sure every type has a validator; this makes sure none is left over
    assert.deepStrictEqual(Object.keys(DRIFT_MESSAGES).sort(), [...new Set(good.map(m => m.type))].sort());
  });

  it('rejects a malformed message of each type with a reason', () => {
    const malformed: [unknown, string][] = [
      // the envelope (any type)
      [null, 'not an object'],
      ['ready', 'not an object'],
      [{ type: ['ready'] }, 'no message type'],
      [{ type: 'Ready' }, 'unknown message type "Ready"'],
      [{ type: 'constructor' }, 'unknown message type "constructor"'],
      // state: the whole view settings, every field checked
      [{ type: 'state' }, 'malformed "state" message'],
      [{ type: 'state', state: { ...defaultDriftViewState(config) } }, 'malformed "state" message'],
      [{ type: 'state', view: [] }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, sort: { key: 'password', descending: true } } }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, sort: { key: 'score', descending: 'yes' } } }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, sort: null } }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, selected: 7 } }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, selected: 'x'.repeat(10_001) } }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, chart: 'pie' } }, 'malformed "state" message'],
      [{ type: 'state', view: { ...view, metric: {} } }, 'malformed "state" message'],
      [{ type: 'state', view: { sort: view.sort, selected: null, chart: 'ecdf' } }, 'malformed "state" message'],
      // export
      [{ type: 'export' }, 'malformed "export" message'],
      [{ type: 'export', format: 'exe' }, 'malformed "export" message'],
      [{ type: 'export', format: ['json'] }, 'malformed "export" message'],
      // openFile: only the two files of the report, never a path from the page
      [{ type: 'openFile' }, 'malformed "openFile" message'],
      [{ type: 'openFile', which: '/etc/passwd' }, 'malformed "openFile" message'],
      // rendered
      [{ type: 'rendered', rows: 10 }, 'malformed "rendered" message'],
      [{ type: 'rendered', rows: -1, charts: 2 }, 'malformed "rendered" message'],
      [{ type: 'rendered', rows: 1.5, charts: 2 }, 'malformed "rendered" message'],
      [{ type: 'rendered', rows: '10', charts: 2 }, 'malformed "rendered" message'],
      [{ type: 'rendered', rows: 10, charts: Number.NaN }, 'malformed "rendered" message'],
      // messages without fields: a wrong type, or any field at all (the page sends exactly { type })
      [{ type: 'rerun ' }, 'unknown message type "rerun "'],
      [{ type: 'configure', length: 1 }, 'malformed "configure" message'],
      [{ type: 'openSettings', extra: 1 }, 'malformed "openSettings" message'],
      [{ type: 'saveWatch', config }, 'malformed "saveWatch" message'],
    ];
    for (const [m, expected] of malformed) {
      assert.strictEqual(reason(m), expected, JSON.stringify(m));
    }
  });

  it('restores a saved state: a valid configuration is required; bad view settings fall back to the defaults', () => {
    const saved = { ...defaultDriftViewState(config), ...view };
    assert.deepStrictEqual(restoreDriftViewState(JSON.parse(JSON.stringify(saved))), saved);
    // an older state without the role columns
    const old = { config: { reference: config.reference, current: config.current }, chart: 'ecdf' };
    assert.deepStrictEqual(restoreDriftViewState(old), {
      ...defaultDriftViewState({ ...config, target: null, time: null }),
      chart: 'ecdf',
    });
    // bad view fields are dropped one by one, good ones kept
    assert.deepStrictEqual(
      restoreDriftViewState({ config, sort: { key: 'nope', descending: 1 }, chart: 'ecdf', metric: 3 }),
      {
        ...defaultDriftViewState(config),
        chart: 'ecdf',
      },
    );
    for (const bad of [
      undefined,
      null,
      'state',
      {},
      { config: null },
      { config: { ...config, reference: 1 } },
      { config: { ...config, current: undefined } },
      { config: { ...config, target: 5 } },
    ]) {
      assert.strictEqual(restoreDriftViewState(bad), undefined, JSON.stringify(bad));
    }
  });
});
