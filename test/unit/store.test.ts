import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { WorkspaceStore } from '../../src/core/store/store';
import { SCHEMA_VERSION, TABLES } from '../../src/core/store/schema';
import { metricFromSql, metricToSql } from '../../src/core/store/db';
import { appendAuditEvent, applyAuditEvent, newAuditEvent } from '../../src/core/registry/auditLog';
import { rebuildFromWorkspace } from '../../src/core/rebuild';
import { silentLogger } from '../../src/core/log';
import { getRun, listModels, listModelVersions, metricHistory } from '../../src/core/queries';
import { appendSeries, pointSeq } from '../../src/core/store/series';
import { tempWorkspace, writeRunLog } from './helpers';

const rebuild = (s: WorkspaceStore) => rebuildFromWorkspace(s, silentLogger).then(() => undefined);

describe('WorkspaceStore', () => {
  it('creates .mlsight/mlsight.db with every table at the current schema version', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws });
    assert.strictEqual(store.created, true);
    await store.close();
    assert.ok(fs.existsSync(path.join(ws, '.mlsight', 'mlsight.db')));
    const again = await WorkspaceStore.open({ folder: ws });
    const info = again.info();
    assert.strictEqual(again.created, false);
    assert.strictEqual(info.schemaVersion, SCHEMA_VERSION);
    assert.deepStrictEqual(Object.keys(info.counts).sort(), [...TABLES].sort());
    await again.close();
  });

  it('writes its own .gitignore inside .mlsight and never touches the workspace .gitignore', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, '.gitignore'), 'data/\n');
    const store = await WorkspaceStore.open({ folder: ws });
    await store.close();
    assert.strictEqual(fs.readFileSync(path.join(ws, '.gitignore'), 'utf8'), 'data/\n');
    assert.match(fs.readFileSync(path.join(ws, '.mlsight', '.gitignore'), 'utf8'), /^mlsight\.db$/m);
  });

  it('keeps NaN, +inf and -inf metric values', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws });
    const values = [0.5, NaN, Infinity, -Infinity, -0.25, 1e300];
    store.write(db => {
      db.run(`INSERT INTO experiments (id, name, source) VALUES ('e', 'e', 'test')`);
      db.run(`INSERT INTO runs (id, experiment_id, source) VALUES ('r', 'e', 'test')`);
      appendSeries(db, 'r', 'm', pointSeq({ steps: values.map((_, i) => i), ts: values.map(() => null), values }));
      values.forEach((v, i) =>
        db.run('INSERT INTO latest_metrics (run_id, key, step, value) VALUES (?, ?, ?, ?)', [
          'r',
          `m${i}`,
          0,
          metricToSql(v),
        ]),
      );
    });
    await store.close();
    const again = await WorkspaceStore.open({ folder: ws });
    const got = again.read(db => metricHistory(db, 'r', 'm').map(p => p.value));
    const latest = again.read(db =>
      db
        .all<{ value: number | null }>('SELECT value FROM latest_metrics WHERE key <> ? ORDER BY key', ['m'])
        .map(r => metricFromSql(r.value)),
    );
    assert.strictEqual(latest.length, values.length);
    latest.forEach((v, i) =>
      assert.ok(
        Object.is(v, values[i]) || (Number.isNaN(v) && Number.isNaN(values[i])),
        `latest m${i}: ${v} vs ${values[i]}`,
      ),
    );
    await again.close();
    assert.strictEqual(got.length, values.length);
    got.forEach((v, i) =>
      assert.ok(
        Object.is(v, values[i]) || (Number.isNaN(v) && Number.isNaN(values[i])),
        `step ${i}: ${v} vs ${values[i]}`,
      ),
    );
  });

  it('debounces writes and flushes them on close', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    const before = fs.statSync(store.dbPath).mtimeMs;
    store.write(db => db.run(`INSERT INTO meta (key, value) VALUES ('k', 'v')`));
    assert.strictEqual(
      store.read(db => db.scalar('SELECT value FROM meta WHERE key = ?', ['k'])),
      'v',
      'reads see unsaved writes',
    );
    assert.strictEqual(fs.statSync(store.dbPath).mtimeMs, before, 'not yet written');
    await store.close();
    const again = await WorkspaceStore.open({ folder: ws });
    assert.strictEqual(
      again.read(db => db.scalar('SELECT value FROM meta WHERE key = ?', ['k'])),
      'v',
    );
    await again.close();
  });

  it("two stores on one folder (two windows) keep each other's writes: reload before write", async () => {
    const ws = tempWorkspace();
    const a = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    const b = await WorkspaceStore.open({ folder: ws, persistDelayMs: 60_000 });
    a.write(db => db.run(`INSERT INTO meta (key, value) VALUES ('from-a', '1')`));
    b.write(db => db.run(`INSERT INTO meta (key, value) VALUES ('from-b', '1')`));
    await a.flush();
    await b.flush(); // b sees the file changed, reloads it and replays its own write
    assert.deepStrictEqual(
      b.read(db => db.all<{ key: string }>('SELECT key FROM meta ORDER BY key').map(r => r.key)),
      ['from-a', 'from-b'],
    );
    assert.strictEqual(await a.reloadIfChanged(), true);
    assert.deepStrictEqual(
      a.read(db => db.all<{ key: string }>('SELECT key FROM meta ORDER BY key').map(r => r.key)),
      ['from-a', 'from-b'],
    );
    await a.close();
    await b.close();
  });

  it('moves a garbage db aside, warns, and rebuilds runs and registry from the workspace files', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', experiment: 'exp', name: 'first', ts: 1 },
      { type: 'param', key: 'lr', value: 0.1 },
      { type: 'metric', key: 'acc', value: 0.9, step: 1 },
      { type: 'end', status: 'FINISHED' },
    ]);
    await appendAuditEvent(
      ws,
      newAuditEvent({ actor: 'alice', action: 'version.create', model: 'clf', version: 1, evidence: { run_id: 'r1' } }),
    );
    await appendAuditEvent(
      ws,
      newAuditEvent({
        actor: 'alice',
        action: 'alias.set',
        model: 'clf',
        version: 1,
        alias: 'champion',
        from: null,
        to: '1',
        reason: 'first model',
      }),
    );
    fs.mkdirSync(path.join(ws, '.mlsight'), { recursive: true });
    const dbPath = path.join(ws, '.mlsight', 'mlsight.db');
    fs.writeFileSync(dbPath, Buffer.from('this is not a sqlite database, just garbage bytes '.repeat(200)));
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    const store = await WorkspaceStore.open({
      folder: ws,
      log,
      rebuild: s => rebuildFromWorkspace(s, log).then(() => undefined),
    });
    assert.ok(store.recovery, 'recovery is reported');
    assert.ok(fs.existsSync(store.recovery.movedTo), 'garbage kept aside for inspection');
    assert.match(path.basename(store.recovery.movedTo), /^mlsight\.db\.corrupt-/);
    assert.ok(
      warnings.some(w => w.includes('could not be read') && w.includes('moved to')),
      warnings.join('\n'),
    );
    const run = store.read(db => getRun(db, 'r1'));
    assert.strictEqual(run?.name, 'first');
    assert.strictEqual(run?.params.lr, '0.1');
    assert.strictEqual(run?.status, 'FINISHED');
    assert.deepStrictEqual(
      store.read(db => listModels(db)).map(m => [m.name, m.aliases]),
      [['clf', { champion: 1 }]],
    );
    assert.strictEqual(
      store.read(db => db.scalar('SELECT count(*) FROM audit_log')),
      2,
    );
    await store.close();
    // and the rebuilt file is a good store
    const again = await WorkspaceStore.open({ folder: ws });
    assert.strictEqual(again.recovery, undefined);
    await again.close();
  });

  it('treats an empty db file as unreadable too', async () => {
    const ws = tempWorkspace();
    fs.mkdirSync(path.join(ws, '.mlsight'));
    fs.writeFileSync(path.join(ws, '.mlsight', 'mlsight.db'), '');
    const store = await WorkspaceStore.open({ folder: ws, rebuild });
    assert.match(store.recovery?.reason ?? '', /empty/);
    await store.close();
  });

  it('opens a store from a newer ML Sight read-only instead of destroying it', async () => {
    const ws = tempWorkspace();
    const s = await WorkspaceStore.open({ folder: ws });
    s.write(db => db.raw.run(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`));
    await s.close();
    const bytes = fs.readFileSync(path.join(ws, '.mlsight', 'mlsight.db'));
    const newer = await WorkspaceStore.open({ folder: ws });
    assert.strictEqual(newer.readOnly, true);
    assert.throws(() => newer.write(db => db.run(`INSERT INTO meta (key) VALUES ('x')`)), /newer ML Sight/);
    await newer.close();
    assert.ok(fs.readFileSync(path.join(ws, '.mlsight', 'mlsight.db')).equals(bytes), 'file untouched');
  });

  it('keeps the audit log append-only', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws });
    const e = newAuditEvent({ actor: 'bob', action: 'model.create', model: 'm', to: 'desc' });
    store.write(db => {
      applyAuditEvent(db, e);
    });
    assert.throws(() => store.write(db => db.run('UPDATE audit_log SET actor = ?', ['mallory'])), /append-only/);
    assert.throws(() => store.write(db => db.run('DELETE FROM audit_log')), /append-only/);
    store.write(db => {
      assert.strictEqual(applyAuditEvent(db, e), false, 'an event is applied once');
    });
    assert.strictEqual(
      store.read(db => db.scalar('SELECT actor FROM audit_log')),
      'bob',
    );
    await store.close();
  });

  it('applies registry events: versions, aliases move, stages with archive-existing', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws });
    const ev = (f: Parameters<typeof newAuditEvent>[0]) =>
      store.write(db => {
        applyAuditEvent(db, newAuditEvent(f));
      });
    ev({ actor: 'a', action: 'version.create', model: 'm', version: 1 });
    ev({ actor: 'a', action: 'version.create', model: 'm', version: 2 });
    ev({ actor: 'a', action: 'alias.set', model: 'm', version: 1, alias: 'champion' });
    ev({ actor: 'a', action: 'alias.set', model: 'm', version: 2, alias: 'champion', from: '1', to: '2' });
    ev({ actor: 'a', action: 'stage.set', model: 'm', version: 1, to: 'Production' });
    ev({
      actor: 'a',
      action: 'stage.set',
      model: 'm',
      version: 2,
      to: 'Production',
      evidence: { archiveExisting: true },
    });
    const versions = store.read(db => listModelVersions(db, 'm'));
    assert.deepStrictEqual(
      versions.map(v => [v.version, v.stage, v.aliases]),
      [
        [2, 'Production', ['champion']],
        [1, 'Archived', []],
      ],
    );
    await store.close();
  });

  it('uses only bound parameters: hostile names are stored as data', async () => {
    const ws = tempWorkspace();
    const store = await WorkspaceStore.open({ folder: ws });
    const evil = `x'); DROP TABLE runs; -- <img src=x onerror=alert(1)>`;
    store.write(db => {
      db.run('INSERT INTO experiments (id, name, source) VALUES (?, ?, ?)', ['e', evil, 'test']);
      db.run('INSERT INTO runs (id, experiment_id, name, source) VALUES (?, ?, ?, ?)', ['r', 'e', evil, 'test']);
    });
    assert.strictEqual(
      store.read(db => db.scalar('SELECT name FROM runs')),
      evil,
    );
    await store.close();
  });
});
