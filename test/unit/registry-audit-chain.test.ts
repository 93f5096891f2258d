// Tamper-evident audit log (issue 14, defect 4): a hash chain verified on every read and rebuild.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Logger } from '../../src/core/log';
import { rebuildFromWorkspace } from '../../src/core/rebuild';
import { auditLogPath, readAuditLog } from '../../src/core/registry/auditLog';
import { WorkspaceStore } from '../../src/core/store/store';
import { cli, tempWorkspace, writeRunLog } from './helpers';

async function workspace(): Promise<string> {
  const ws = tempWorkspace('mlsight-audit-chain-');
  for (const [id, acc] of [
    ['r1', 0.8],
    ['r2', 0.9],
    ['r3', 0.7],
  ] as const) {
    writeRunLog(ws, id, [
      { type: 'run', run_id: id, experiment: 'exp', name: id },
      { type: 'metric', key: 'val/accuracy', value: acc, step: 1 },
      { type: 'dataset', name: 'test', role: 'test', digest: 'sha256:t', rows: 10_000 },
      { type: 'model', name: 'clf', path: 'artifacts/models/clf/model.pkl', sha256: 'abc' },
      { type: 'end', status: 'FINISHED' },
    ]);
  }
  const f = ['--folder', ws, '--format', 'json'];
  for (const r of ['r1', 'r2', 'r3']) {
    assert.strictEqual((await cli(['registry', 'register', 'churn', '--run', r, ...f])).code, 0);
  }
  await cli(['registry', 'config', 'churn', '--metric', 'val/accuracy', ...f]);
  assert.strictEqual((await cli(['registry', 'promote', 'churn', '2', '--reason', 'best offline', ...f])).code, 0);
  assert.strictEqual(
    (await cli(['registry', 'promote', 'churn', '3', '--reason', 'needed for the demo', '--override', ...f])).code,
    0,
  );
  await cli(['registry', 'alias', 'set', 'churn', 'shadow', '1', ...f]);
  return ws;
}

const lines = (ws: string) => fs.readFileSync(auditLogPath(ws), 'utf8').split('\n').filter(Boolean);
const write = (ws: string, ls: string[]) => fs.writeFileSync(auditLogPath(ws), ls.join('\n') + '\n');
const dropStore = (ws: string) => fs.rmSync(path.join(ws, '.mlsight', 'mlsight.db'), { force: true });

describe('registry: tamper-evident audit log', function () {
  this.timeout(60_000);

  it('every event is chained; the log verifies', async () => {
    const ws = await workspace();
    const log = await readAuditLog(ws);
    assert.strictEqual(log.chain!.state, 'verified');
    assert.ok(log.events.every((e, i) => typeof e.hash === 'string' && e.prev === (i ? log.events[i - 1].hash : null)));
    const v = await cli(['registry', 'verify', '--folder', ws, '--format', 'json']);
    assert.deepStrictEqual([v.code, v.json.state], [0, 'verified']);
  });

  it('a changed reason: rebuild names the first bad line, CLI warns, later events are visible but unverified', async () => {
    const ws = await workspace();
    const ls = lines(ws);
    const k = ls.findIndex(l => l.includes('needed for the demo'));
    ls[k] = ls[k].replace('needed for the demo', 'approved by the review board');
    write(ws, ls);
    dropStore(ws);
    const warnings: string[] = [];
    const log = {
      info: () => undefined,
      warn: (m: string) => warnings.push(m),
      error: (m: string) => warnings.push(m),
    } as unknown as Logger;
    const store = await WorkspaceStore.open({
      folder: ws,
      log,
      rebuild: s => rebuildFromWorkspace(s, log).then(() => undefined),
    });
    await store.close();
    assert.ok(
      warnings.some(w => w.includes(`does not verify from line ${k + 1} on`) && /edited/.test(w)),
      warnings.join('\n'),
    );
    const h = await cli(['registry', 'history', 'churn', '--folder', ws, '--format', 'json']);
    assert.strictEqual(h.code, 0);
    assert.match(h.err, new RegExp(`warning: .*line ${k + 1}`));
    assert.strictEqual(h.json.chain.firstBad.line, k + 1);
    const promote = h.json.events.find((e: { reason: string }) => e.reason === 'approved by the review board');
    assert.strictEqual(promote.verified, false, 'the edited event is visible, marked unverified');
    assert.strictEqual(h.json.events.at(-1).verified, false, 'events after the break are unverified');
    assert.strictEqual(h.json.events[0].verified, true);
    const text = await cli(['registry', 'history', 'churn', '--folder', ws]);
    assert.match(text.out, /approved by the review board.*\[UNVERIFIED\]/);
    const v = await cli(['registry', 'verify', '--folder', ws]);
    assert.strictEqual(v.code, 3);
  });

  it('an erased override line is detected at the line after it', async () => {
    const ws = await workspace();
    const ls = lines(ws);
    const k = ls.findIndex(l => l.includes('"override"'));
    ls.splice(k, 1);
    write(ws, ls);
    dropStore(ws);
    const log = await readAuditLog(ws);
    assert.strictEqual(log.chain!.state, 'broken');
    assert.strictEqual(log.chain!.firstBad!.line, k + 1);
    assert.match(log.chain!.firstBad!.message, /removed, inserted, reordered or edited/);
  });

  it('an older log without hashes still loads and says it is unchained; new events chain onto it', async () => {
    const ws = await workspace();
    write(
      ws,
      lines(ws).map(l => {
        const { prev: _p, hash: _h, ...rest } = JSON.parse(l);
        return JSON.stringify(rest);
      }),
    );
    dropStore(ws);
    let h = await cli(['registry', 'history', 'churn', '--folder', ws, '--format', 'json']);
    assert.strictEqual(h.json.chain.state, 'unchained');
    assert.match(h.json.chain.message, /written before events were hash-chained/);
    assert.strictEqual(h.json.events.length, 8);
    await cli(['registry', 'alias', 'set', 'churn', 'shadow', '2', '--folder', ws]);
    h = await cli(['registry', 'history', 'churn', '--folder', ws, '--format', 'json']);
    assert.strictEqual(h.json.chain.state, 'partial');
    assert.strictEqual(h.json.events.at(-1).verified, true);
  });
});
