import * as assert from 'assert';
import {
  MessageValidators,
  fields,
  guardFrom,
  isArrayOf,
  isString,
  noFields,
  oneOf,
  optional,
  validateMessage,
} from '../../src/platform/messages';

type Msg = { type: 'ready' } | { type: 'open'; path: string } | { type: 'pick'; ids: string[]; mode?: 'a' | 'b' };

const validators: MessageValidators<Msg> = {
  ready: noFields,
  open: fields({ path: isString }),
  pick: fields({ ids: isArrayOf(isString, 3), mode: optional(oneOf('a', 'b')) }),
};

describe('webview message validation (one validator per message type)', () => {
  it('accepts well-formed messages and returns them typed', () => {
    const r = validateMessage(validators, { type: 'open', path: 'models/a.pkl' });
    assert.ok(r.ok);
    assert.strictEqual(r.ok && r.message.type, 'open');
    assert.ok(validateMessage(validators, { type: 'pick', ids: ['a', 'b'] }).ok);
    assert.ok(validateMessage(validators, { type: 'pick', ids: [], mode: 'b' }).ok);
    assert.ok(validateMessage(validators, { type: 'ready' }).ok);
    assert.ok(!validateMessage(validators, { type: 'ready', path: 'x' }).ok, 'a field-less message carries no fields');
  });

  it('rejects each kind of malformed message with a reason', () => {
    const reason = (m: unknown) => {
      const r = validateMessage(validators, m);
      return r.ok ? 'ok' : r.reason;
    };
    assert.strictEqual(reason(null), 'not an object');
    assert.strictEqual(reason([]), 'not an object');
    assert.strictEqual(reason('ready'), 'not an object');
    assert.strictEqual(reason({}), 'no message type');
    assert.strictEqual(reason({ type: 7 }), 'no message type');
    assert.strictEqual(reason({ type: 'toString' }), 'unknown message type "toString"');
    assert.strictEqual(reason({ type: '__proto__' }), 'unknown message type "__proto__"');
    assert.strictEqual(reason({ type: 'open' }), 'malformed "open" message');
    assert.strictEqual(reason({ type: 'open', path: 42 }), 'malformed "open" message');
    assert.strictEqual(reason({ type: 'pick', ids: ['a', 'b', 'c', 'd'] }), 'malformed "pick" message');
    assert.strictEqual(reason({ type: 'pick', ids: ['a', 1] }), 'malformed "pick" message');
    assert.strictEqual(reason({ type: 'pick', ids: [], mode: 'c' }), 'malformed "pick" message');
  });

  it('builds a type guard from the same validators', () => {
    const is = guardFrom(validators);
    assert.strictEqual(is({ type: 'open', path: 'x' }), true);
    assert.strictEqual(is({ type: 'open' }), false);
  });
});
