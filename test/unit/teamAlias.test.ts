/**
 * Alias moves on a team model outside the gate (Set Alias…, remove, Undo Last Promotion), on a real private
 * PostgreSQL cluster and on an MLflow SQLite file: MLflow's rows (registered_model_aliases, model_version_tags)
 * checked with plain SQL after each step; a move decided on a stale view is a CONFLICT that writes nothing; two
 * processes moving the same alias at once: exactly one wins.
 */
import * as assert from 'assert';
import * as path from 'path';
import { openTrackingBackend } from '../../src/core/tracking/open';
import {
  TeamAuditEvent,
  commitPromotion,
  lastTeamPromotion,
  moveTeamAlias,
  planPromotion,
  teamAuditHistory,
  undoTeamPromotion,
} from '../../src/core/tracking/teamRegistry';
import { loadTeamModelDetail } from '../../src/core/tracking/teamView';
import { TrackingBackend, TrackingError } from '../../src/core/tracking/types';
import { cli, tempWorkspace } from './helpers';
import { PgCluster, startCluster } from './helpers/pgCluster';
import { pgRows, sqliteExec, sqliteRows } from './helpers/teamDb';
import { raceProcesses, theOneWinner } from './helpers/teamRace';

/** One team database under test: its URI and plain SQL on its tables. */
interface TeamDb {
  uri: string;
  rows(text: string): Promise<Record<string, unknown>[]>;
  exec(text: string): Promise<void>;
}

const MODEL_SQL = `INSERT INTO registered_models (name, creation_time, last_updated_time, description)
    VALUES ('churn', 1, 1, NULL);
  INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status)
    VALUES ('churn', 1, 1, 1, 'None', 'runs:/a/model', '${'a'.repeat(32)}', 'READY'),
           ('churn', 2, 1, 1, 'None', 'runs:/b/model', '${'b'.repeat(32)}', 'READY'),
           ('churn', 3, 1, 1, 'None', 'runs:/c/model', '${'c'.repeat(32)}', 'READY');`;

function aliasSuite(kind: string, setup: () => Promise<TeamDb>, teardown: () => Promise<void>): void {
  describe(`team model aliases on ${kind}`, function () {
    this.timeout(120_000);
    let db: TeamDb;
    let b: TrackingBackend;
    before(async () => {
      db = await setup();
      const init = await cli(['db', 'init', '--tracking-uri', db.uri]);
      assert.strictEqual(init.code, 0, init.err);
      await db.exec(MODEL_SQL);
      b = openTrackingBackend(db.uri);
    });
    after(async () => {
      await b?.close();
      await teardown();
    });

    const aliases = () =>
      db.rows(`SELECT alias, version FROM registered_model_aliases WHERE name = 'churn' ORDER BY alias`);
    /** the audit events in model_version_tags, as [version the tag is on, the event] */
    const audits = async () =>
      (
        await db.rows(
          `SELECT version, value FROM model_version_tags WHERE name = 'churn' AND key LIKE 'mlsight.audit.%' ORDER BY key`,
        )
      ).map(r => [Number(r.version), JSON.parse(String(r.value)) as TeamAuditEvent] as const);
    const expectConflict = (e: unknown) => e instanceof TrackingError && e.code === 'CONFLICT';

    it('set, move and remove write MLflow alias rows and an audit tag; a stale decision writes nothing', async () => {
      const base = (await audits()).length;
      const set = await moveTeamAlias(b, {
        model: 'churn',
        alias: 'staging',
        version: 1,
        expectedVersion: null,
        reason: 'first candidate',
        actor: 'ann',
      });
      assert.deepStrictEqual(set.result, { model: 'churn', alias: 'staging', from: null, to: 1 });
      assert.deepStrictEqual(await aliases(), [{ alias: 'staging', version: 1 }]);
      await moveTeamAlias(b, { model: 'churn', alias: 'staging', version: 2, expectedVersion: 1, actor: 'bob' });
      assert.deepStrictEqual(await aliases(), [{ alias: 'staging', version: 2 }]);
      // decided while it still pointed to v1: refused, nothing written
      await assert.rejects(
        moveTeamAlias(b, { model: 'churn', alias: 'staging', version: 3, expectedVersion: 1 }),
        (e: TrackingError) =>
          expectConflict(e) && /churn@staging now points to version 2, not version 1/.test(e.message),
      );
      assert.deepStrictEqual(await aliases(), [{ alias: 'staging', version: 2 }]);
      assert.strictEqual((await audits()).length, base + 2);
      const removed = await moveTeamAlias(b, {
        model: 'churn',
        alias: 'staging',
        version: null,
        expectedVersion: 2,
        reason: 'withdrawn',
      });
      assert.deepStrictEqual(removed.result, { model: 'churn', alias: 'staging', from: 2, to: null });
      assert.deepStrictEqual(await aliases(), []);
      await assert.rejects(
        moveTeamAlias(b, { model: 'churn', alias: 'staging', version: null, expectedVersion: 2 }),
        (e: TrackingError) => expectConflict(e) && /is unset/.test(e.message),
      );
      await assert.rejects(
        moveTeamAlias(b, { model: 'churn', alias: 'latest', version: 1, expectedVersion: null }),
        (e: TrackingError) => e.code === 'INVALID',
      );
      await assert.rejects(
        moveTeamAlias(b, { model: 'churn', alias: 'x', version: 9, expectedVersion: null }),
        (e: TrackingError) => e.code === 'NOT_FOUND',
      );
      // the tags: on the version the alias points to after the move; a removal's on the version it left
      const events = (await audits()).slice(base);
      assert.deepStrictEqual(
        events.map(([v, e]) => [
          v,
          e.action,
          e.alias,
          e.from,
          e.to,
          e.actor === 'ann' || e.actor === 'bob' ? e.actor : '',
        ]),
        [
          [1, 'alias.set', 'staging', null, 1, 'ann'],
          [2, 'alias.set', 'staging', 1, 2, 'bob'],
          [2, 'alias.delete', 'staging', 2, null, ''],
        ],
      );
      // the model page's audit history reads them back
      const m = (await loadTeamModelDetail(b, 'churn'))!;
      assert.deepStrictEqual(
        teamAuditHistory(m).map(e => [e.action, e.reason]),
        [
          ['alias.set', 'first candidate'],
          ['alias.set', ''],
          ['alias.delete', 'withdrawn'],
        ],
      );
    });

    it('Undo Last Promotion moves the alias back where each promotion found it, newest first', async () => {
      const promote = async (v: number) => {
        const plan = await planPromotion(b, 'churn', v, 'champion', 'val/auc');
        await commitPromotion(b, plan, { reason: `v${v}`, override: true, actor: 'ann' });
      };
      await promote(1);
      await promote(3);
      const champion = async () => (await aliases()).filter(a => a.alias === 'champion').map(a => Number(a.version));
      assert.deepStrictEqual(await champion(), [3]);
      const first = await undoTeamPromotion(b, 'churn', { reason: 'v3 regressed', actor: 'bob' });
      assert.deepStrictEqual(first.result, { model: 'churn', alias: 'champion', from: 3, to: 1 });
      assert.strictEqual(first.undone.to, 3);
      assert.strictEqual(first.event.undoes, first.undone.id);
      assert.deepStrictEqual(await champion(), [1]);
      // undo again: the promotion before it (from unset): the alias is removed
      await undoTeamPromotion(b, 'churn', { reason: 'start over' });
      assert.deepStrictEqual(await champion(), []);
      await assert.rejects(
        undoTeamPromotion(b, 'churn', { reason: 'again' }),
        (e: TrackingError) => e.code === 'NOT_FOUND',
      );
      // someone else moved the alias after the promotion: the undo is a conflict and changes nothing
      await promote(2);
      await db.exec(`UPDATE registered_model_aliases SET version = 3 WHERE name = 'churn' AND alias = 'champion'`);
      const before = (await audits()).length;
      await assert.rejects(undoTeamPromotion(b, 'churn', { reason: 'too late' }), expectConflict);
      assert.deepStrictEqual(await champion(), [3]);
      assert.strictEqual((await audits()).length, before);
      const m = (await loadTeamModelDetail(b, 'churn'))!;
      assert.strictEqual(lastTeamPromotion(m)?.to, 2);
      const undoTags = (await audits()).filter(([, e]) => e.action === 'promotion.undo');
      assert.deepStrictEqual(
        undoTags.map(([v, e]) => [v, e.from, e.to, e.reason]),
        [
          [1, 3, 1, 'v3 regressed'],
          [1, 1, null, 'start over'],
        ],
      );
    });

    it('mlsight registry alias set|delete and undo --tracking-uri write the same rows (exit 4 on a conflict)', async () => {
      const reg = (...args: string[]) => cli(['registry', ...args, '--tracking-uri', db.uri, '--format', 'json']);
      const set = await reg('alias', 'set', 'churn', 'shadow', '3', '--reason', 'mirror traffic');
      assert.strictEqual(set.code, 0, set.err);
      assert.deepStrictEqual(
        [set.json.changed, set.json.from, set.json.to, set.json.event.action],
        [true, null, 3, 'alias.set'],
      );
      assert.deepStrictEqual(
        (await aliases()).filter(a => a.alias === 'shadow').map(a => Number(a.version)),
        [3],
      );
      const same = await reg('alias', 'set', 'churn', 'shadow', '3');
      assert.deepStrictEqual([same.code, same.json.changed], [0, false]);
      const del = await reg('alias', 'delete', 'churn', 'shadow');
      assert.deepStrictEqual(
        [del.code, del.json.from, del.json.to, del.json.event.action],
        [0, 3, null, 'alias.delete'],
      );
      assert.deepStrictEqual(
        (await aliases()).filter(a => a.alias === 'shadow'),
        [],
      );
      assert.strictEqual((await reg('alias', 'set', 'churn', 'shadow')).code, 2);
      // undo the last promotion (v2 → @champion, moved to v3 by hand in the test before): a conflict, exit 4
      const undo = await cli(['registry', 'undo', 'churn', '--reason', 'r', '--tracking-uri', db.uri]);
      assert.strictEqual(undo.code, 4, undo.err);
      assert.match(undo.err, /churn@champion now points to version 3, not version 2/);
      await db.exec(`UPDATE registered_model_aliases SET version = 2 WHERE name = 'churn' AND alias = 'champion'`);
      const ok = await reg('undo', 'churn', '--reason', 'back to the previous champion');
      assert.strictEqual(ok.code, 0, ok.err);
      assert.deepStrictEqual([ok.json.from, ok.json.to, ok.json.undone.to], [2, null, 2]);
    });

    it('two processes moving the same alias at once: exactly one wins, the other gets a clear conflict', async () => {
      const rounds: [string, string][] = [
        ['2', '3'],
        ['remove', '3'],
        ['2', 'remove'],
      ];
      for (const [x, y] of rounds) {
        await db.exec(
          `DELETE FROM registered_model_aliases WHERE name = 'churn' AND alias = 'prod';
           INSERT INTO registered_model_aliases (alias, version, name) VALUES ('prod', 1, 'churn');`,
        );
        const winner = theOneWinner(
          await raceProcesses([x, y].map(v => ['alias', db.uri, 'churn', v, 'prod'])),
          'planned 1',
          /churn@prod (now points to version [23]|is unset).*someone else moved it/,
        );
        const prod = (await aliases()).filter(a => a.alias === 'prod').map(a => Number(a.version));
        assert.deepStrictEqual(prod, winner.to === null ? [] : [winner.to]);
      }
    });
  });
}

let pg: PgCluster | undefined;
aliasSuite(
  'PostgreSQL (private cluster)',
  async () => {
    pg = await startCluster();
    const uri = await pg.createDatabase('aliases');
    return {
      uri,
      rows: text => pgRows(pg!, 'aliases', text),
      exec: async text => void (await pgRows(pg!, 'aliases', text)),
    };
  },
  async () => pg?.stop(),
);

aliasSuite(
  'an MLflow SQLite file',
  async () => {
    const file = path.join(tempWorkspace(), 'mlflow.db');
    return {
      uri: `sqlite:////${file.slice(1)}`,
      rows: text => sqliteRows(file, text),
      exec: text => sqliteExec(file, text),
    };
  },
  async () => undefined,
);
