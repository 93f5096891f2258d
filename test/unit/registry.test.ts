import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { silentLogger } from '../../src/core/log';
import { rebuildFromWorkspace } from '../../src/core/rebuild';
import { analyzeAb } from '../../src/core/registry/abAnalysis';
import {
  AuditEvent,
  applyAuditEvents,
  auditLogPath,
  modelStateFromLog,
  readAuditLog,
} from '../../src/core/registry/auditLog';
import { GateFailedError } from '../../src/core/registry/promotion';
import { Registry } from '../../src/core/registry/registry';
import { RegistryError } from '../../src/core/registry/registryCore';
import { getModelDetail, registryHistory } from '../../src/core/registry/views';
import { emptyCounts } from '../../src/core/ingest/common';
import { ingestMlflowFileStore } from '../../src/core/ingest/mlflowFileStore';
import { WorkspaceStore } from '../../src/core/store/store';
import { fixtureScript, sleep, tempWorkspace, writeRunLog } from './helpers';
import { MlrunsBuilder, hex32 } from './ingestFixtures';

const HOSTILE = '<img src=x onerror=alert(1)>';

interface RunSpec {
  acc: number;
  loss?: number;
  commit?: string;
  models?: string[];
  digest?: string;
}

function writeRun(ws: string, id: string, spec: RunSpec): void {
  const lines: object[] = [
    { type: 'run', run_id: id, experiment: 'churn-exp', name: `run-${id}`, ts: 1_700_000_000_000 },
    { type: 'git', commit: spec.commit ?? 'c0ffee'.padEnd(40, '0'), branch: 'main', dirty: false },
    { type: 'param', key: 'C', value: 1 },
    { type: 'metric', key: 'val/accuracy', value: spec.acc, step: 1 },
    { type: 'metric', key: 'val/loss', value: spec.loss ?? 1 - spec.acc, step: 1 },
    {
      type: 'dataset',
      name: 'train.csv',
      role: 'train',
      path: 'data/train.csv',
      digest: spec.digest ?? 'sha256:aaaa',
      rows: 100,
    },
    // the shared evaluation set the gate compares on (issue 14: comparable offline evidence)
    { type: 'dataset', name: 'test.csv', role: 'test', path: 'data/test.csv', digest: 'sha256:eeee', rows: 100_000 },
  ];
  for (const m of spec.models ?? ['clf']) {
    lines.push({
      type: 'model',
      name: m,
      path: `artifacts/models/${m}/model.pkl`,
      size: 10,
      sha256: `sha-${m}`,
      format: 'pickle',
      class: 'sklearn.linear_model.LogisticRegression',
    });
  }
  lines.push({ type: 'end', status: 'FINISHED' });
  writeRunLog(ws, id, lines);
}

const openStores: WorkspaceStore[] = [];
async function open(ws: string, persistDelayMs = 10): Promise<WorkspaceStore> {
  const s = await WorkspaceStore.open({
    folder: ws,
    persistDelayMs,
    rebuild: st => rebuildFromWorkspace(st, silentLogger).then(() => undefined),
  });
  openStores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of openStores.splice(0)) {
    await s.close().catch(() => undefined);
  }
});

async function setup(runs: Record<string, RunSpec> = { r1: { acc: 0.8 }, r2: { acc: 0.85 }, r3: { acc: 0.82 } }) {
  const ws = tempWorkspace('mlsight-registry-');
  for (const [id, spec] of Object.entries(runs)) {
    writeRun(ws, id, spec);
  }
  const store = await open(ws);
  const registry = new Registry({ store, actor: 'alice' });
  return { ws, store, registry };
}

function detail(store: WorkspaceStore, ws: string, name: string) {
  return store.read(db => getModelDetail(db, ws, name))!;
}

describe('registry: versions, lineage, aliases, stages, audit log', () => {
  it("registers versions from a run's logged model with auto-incremented numbers and full lineage", async () => {
    const { ws, store, registry } = await setup();
    const a = await registry.registerVersion({ model: 'churn', runId: 'r1', description: 'first' });
    const b = await registry.registerVersion({ model: 'churn', runId: 'r2', tags: { team: 'growth' } });
    assert.deepStrictEqual([a.version, b.version], [1, 2]);
    const d = detail(store, ws, 'churn');
    assert.strictEqual(d.backend, 'mlsight');
    const v1 = d.versions.find(v => v.version === 1)!;
    assert.strictEqual(v1.runId, 'r1');
    assert.strictEqual(v1.runName, 'run-r1');
    assert.strictEqual(v1.experiment, 'churn-exp');
    assert.strictEqual(v1.gitCommit, 'c0ffee'.padEnd(40, '0'));
    assert.strictEqual(v1.description, 'first');
    assert.strictEqual(v1.sourceUri, '.mlsight/runs/r1/artifacts/models/clf/model.pkl');
    assert.deepStrictEqual(
      v1.datasets.map(x => [x.name, x.digest, x.rows]),
      [
        ['test.csv', 'sha256:eeee', 100_000],
        ['train.csv', 'sha256:aaaa', 100],
      ],
    );
    assert.strictEqual(v1.metricsFrom, 'registration');
    assert.strictEqual(v1.metrics['val/accuracy'], 0.8);
    assert.deepStrictEqual(v1.artifact && [v1.artifact.path, v1.artifact.sha256, v1.artifact.class], [
      'artifacts/models/clf/model.pkl',
      'sha-clf',
      'sklearn.linear_model.LogisticRegression',
    ]);
    assert.strictEqual(v1.createdBy, 'alice');
    assert.deepStrictEqual(d.versions.find(v => v.version === 2)!.tags, { team: 'growth' });
    const log = await readAuditLog(ws);
    assert.deepStrictEqual(
      log.events.map(e => [e.action, e.version ?? null, e.actor, e.seq]),
      [
        ['model.create', null, 'alice', 1],
        ['version.create', 1, 'alice', 2],
        ['version.create', 2, 'alice', 3],
      ],
    );
    // metrics at registration stay what they were, even if the run logs more later
    assert.strictEqual((log.events[1].evidence!.metrics as Record<string, number>)['val/accuracy'], 0.8);
  });

  it('explains why a run cannot be registered', async () => {
    const { registry, ws, store } = await setup({ r1: { acc: 0.8, models: [] }, r2: { acc: 0.8, models: ['a', 'b'] } });
    await assert.rejects(registry.registerVersion({ model: 'm', runId: 'nope' }), /no run "nope"/);
    await assert.rejects(registry.registerVersion({ model: 'm', runId: 'r1' }), /logged no model/);
    await assert.rejects(registry.registerVersion({ model: 'm', runId: 'r2' }), /logged 2 models .*say which one/);
    const { version } = await registry.registerVersion({
      model: 'm',
      runId: 'r2',
      artifactPath: 'artifacts/models/b/model.pkl',
    });
    assert.strictEqual(version, 1);
    await assert.rejects(
      registry.registerVersion({ model: ' m', runId: 'r2', artifactPath: 'artifacts/models/b/model.pkl' }),
      /spaces/,
    );
    await assert.rejects(
      registry.registerVersion({ model: 'a\u0000b', runId: 'r2', artifactPath: 'artifacts/models/b/model.pkl' }),
      /control characters/,
    );
    assert.strictEqual(detail(store, ws, 'm').versions.length, 1);
  });

  it("aliases point at one version; protected aliases need a reason; MLflow's alias rules apply", async () => {
    const { ws, store, registry } = await setup();
    await registry.registerVersion({ model: 'churn', runId: 'r1' });
    await registry.registerVersion({ model: 'churn', runId: 'r2' });
    await registry.setAlias('churn', 'challenger', 1);
    await registry.setAlias('churn', 'challenger', 2);
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { challenger: 2 });
    assert.strictEqual(await registry.setAlias('churn', 'challenger', 2), undefined, 'no event for a no-op');
    await assert.rejects(registry.setAlias('churn', 'champion', 1), /protected alias: give a reason/);
    const e = await registry.setAlias('churn', 'champion', 1, 'hotfix rollback');
    assert.strictEqual(e!.reason, 'hotfix rollback');
    assert.match(String(e!.evidence!.gate), /not checked/);
    for (const bad of ['latest', 'LATEST', 'v3', 'a b', '', 'x/y']) {
      await assert.rejects(registry.setAlias('churn', bad, 1), RegistryError, bad);
    }
    await assert.rejects(registry.setAlias('churn', 'prod', 9), /no version 9/);
    await assert.rejects(registry.deleteAlias('churn', 'champion'), /protected/);
    await registry.deleteAlias('churn', 'challenger');
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { champion: 1 });
    const aliasEvents = (await readAuditLog(ws)).events.filter(x => x.action.startsWith('alias'));
    assert.deepStrictEqual(
      aliasEvents.map(x => [x.action, x.alias, x.from, x.to]),
      [
        ['alias.set', 'challenger', null, '1'],
        ['alias.set', 'challenger', '1', '2'],
        ['alias.set', 'champion', null, '1'],
        ['alias.delete', 'challenger', '2', null],
      ],
    );
  });

  it('stages follow MLflow: archive existing versions of Staging/Production', async () => {
    const { ws, store, registry } = await setup();
    for (const r of ['r1', 'r2', 'r3']) {
      await registry.registerVersion({ model: 'churn', runId: r });
    }
    await registry.setStage('churn', 1, 'production');
    await registry.setStage('churn', 3, 'Production');
    await registry.setStage('churn', 2, 'Production', { archiveExisting: true, reason: 'rollout' });
    assert.deepStrictEqual(
      detail(store, ws, 'churn').versions.map(v => [v.version, v.stage]),
      [
        [3, 'Archived'],
        [2, 'Production'],
        [1, 'Archived'],
      ],
    );
    await assert.rejects(
      registry.setStage('churn', 1, 'Archived', { archiveExisting: true }),
      /only applies to Staging and Production/,
    );
    await assert.rejects(registry.setStage('churn', 1, 'Gold'), /not a stage/);
    const last = (await readAuditLog(ws)).events.at(-1)!;
    assert.deepStrictEqual([last.from, last.to, last.evidence!.archived], ['None', 'Production', [1, 3]]);
  });

  it('descriptions and tags of models and versions', async () => {
    const { ws, store, registry } = await setup();
    await registry.registerVersion({ model: 'churn', runId: 'r1' });
    await registry.describeModel('churn', 'Predicts churn');
    await registry.describeVersion('churn', 1, 'baseline LR');
    await registry.setTag('churn', 'owner', 'growth');
    await registry.setTag('churn', 'validated', 'yes', 1);
    await registry.setTag('churn', 'validated', undefined, 1);
    const d = detail(store, ws, 'churn');
    assert.strictEqual(d.description, 'Predicts churn');
    assert.strictEqual(d.versions[0].description, 'baseline LR');
    assert.deepStrictEqual([d.tags, d.versions[0].tags], [{ owner: 'growth' }, {}]);
  });

  it('hostile model names are data', async () => {
    const { ws, store, registry } = await setup();
    await registry.registerVersion({ model: HOSTILE, runId: 'r1' });
    await registry.setAlias(HOSTILE, 'challenger', 1);
    assert.deepStrictEqual(detail(store, ws, HOSTILE).aliases, { challenger: 1 });
    assert.strictEqual(store.read(db => registryHistory(db, HOSTILE)).length, 3);
  });
});

describe('registry: promotion gate, override, undo', () => {
  async function threeVersions() {
    const ctx = await setup();
    for (const r of ['r1', 'r2', 'r3']) {
      await ctx.registry.registerVersion({ model: 'churn', runId: r });
    }
    return ctx;
  }

  it('needs a primary metric; a first promotion passes; a better challenger passes and clears @challenger', async () => {
    const { ws, store, registry } = await threeVersions();
    await assert.rejects(
      registry.promote({ model: 'churn', version: 1, reason: 'first' }),
      (e: unknown) => e instanceof GateFailedError && /No primary metric/.test(e.message),
    );
    await registry.configure('churn', { primaryMetric: 'val/accuracy', direction: 'maximize', minImprovement: 0.01 });
    const first = await registry.promote({ model: 'churn', version: 1, reason: 'first champion' });
    assert.strictEqual(first.gate.pass, true);
    assert.match(first.comparison.reason, /no champion yet/);
    await registry.setAlias('churn', 'challenger', 2);
    const ab = analyzeAb([
      {
        name: 'converted',
        role: 'primary',
        direction: 'maximize',
        data: {
          kind: 'proportion',
          champion: { successes: 1000, n: 10000 },
          challenger: { successes: 1150, n: 10000 },
        },
      },
    ]);
    assert.strictEqual(ab.verdict, 'promote');
    const r = await registry.promote({
      model: 'churn',
      version: 2,
      reason: 'wins offline and online',
      ab: { analysis: ab, source: { kind: 'counts' } },
    });
    assert.strictEqual(r.gate.pass, true);
    assert.strictEqual(r.overridden, false);
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { champion: 2 });
    const ev = r.event.evidence!;
    assert.strictEqual((ev.ab as { verdict: string }).verdict, 'promote');
    assert.deepStrictEqual(ev.clearedAliases, ['challenger']);
    assert.strictEqual((ev.comparison as { delta: number }).delta.toFixed(2), '0.05');
    assert.deepStrictEqual([r.event.from, r.event.to, r.event.alias, r.event.actor], ['1', '2', 'champion', 'alice']);
  });

  it('a worse challenger, a failed A/B test or too little data block the promotion with reasons; override needs a reason and is recorded', async () => {
    const { ws, store, registry } = await threeVersions();
    await registry.configure('churn', {
      primaryMetric: 'val/accuracy',
      direction: 'maximize',
      minImprovement: 0.01,
      requireAb: true,
    });
    await registry.setAlias('churn', 'champion', 2, 'seed');
    // v3 (0.82) is worse than v2 (0.85), and there is no A/B data although the model requires it
    const err = await registry.promote({ model: 'churn', version: 3, reason: 'try' }).catch(e => e);
    assert.ok(err instanceof GateFailedError, String(err));
    assert.deepStrictEqual(
      err.gate.checks.filter(c => !c.ok).map(c => c.id),
      ['offline', 'ab'],
    );
    assert.match(err.gate.failures.join(' '), /does not beat the champion v2 on val\/accuracy/);
    const small = analyzeAb([
      {
        name: 'converted',
        role: 'primary',
        direction: 'maximize',
        data: { kind: 'proportion', champion: { successes: 50, n: 500 }, challenger: { successes: 55, n: 500 } },
      },
    ]);
    const err2 = await registry
      .promote({ model: 'churn', version: 3, reason: 'try', ab: { analysis: small, source: {} } })
      .catch(e => e);
    assert.match(err2.message, /Keep collecting: about [\d,]+ more observations/);
    await assert.rejects(
      registry.promote({ model: 'churn', version: 3, reason: '  ', override: true }),
      /needs a reason/,
    );
    const r = await registry.promote({
      model: 'churn',
      version: 3,
      reason: 'business asked for the new features',
      override: true,
      ab: { analysis: small, source: { kind: 'counts' } },
    });
    assert.strictEqual(r.overridden, true);
    const o = r.event.evidence!.override as { reason: string; failedChecks: string[] };
    assert.strictEqual(o.reason, 'business asked for the new features');
    assert.strictEqual(o.failedChecks.length, 2);
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { champion: 3 });
    await assert.rejects(
      registry.promote({ model: 'churn', version: 3, reason: 'again', override: true }),
      /already is @champion/,
    );
  });

  it('lower-is-better metrics and relative margins', async () => {
    const { registry } = await threeVersions();
    await registry.configure('churn', {
      primaryMetric: 'val/loss',
      direction: 'minimize',
      minImprovement: 0.1,
      relativeImprovement: true,
    });
    await registry.setAlias('churn', 'champion', 1, 'seed'); // loss 0.20
    assert.strictEqual(registry.preview('churn', 2).gate.pass, true, 'loss 0.15 is 25 % lower'); // 0.15
    assert.strictEqual(registry.preview('churn', 3).gate.pass, true, 'loss 0.18 is 10 % lower');
    await registry.configure('churn', {
      primaryMetric: 'val/loss',
      direction: 'minimize',
      minImprovement: 0.2,
      relativeImprovement: true,
    });
    assert.strictEqual(registry.preview('churn', 3).gate.pass, false);
  });

  it('undo reverts the last promotion (alias and cleared @challenger), refuses when the alias moved since', async () => {
    const { ws, store, registry } = await threeVersions();
    await registry.configure('churn', { primaryMetric: 'val/accuracy' });
    await registry.promote({ model: 'churn', version: 1, reason: 'first' });
    await registry.setAlias('churn', 'challenger', 2);
    await registry.promote({ model: 'churn', version: 2, reason: 'better' });
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { champion: 2 });
    const u = await registry.undoLastPromotion('churn', 'conversion dropped');
    assert.deepStrictEqual([u.from, u.to, u.reason], ['2', '1', 'conversion dropped']);
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { champion: 1, challenger: 2 });
    // the next undo reverts the first promotion (no champion at all)
    await registry.undoLastPromotion('churn', 'start over');
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { challenger: 2 });
    await assert.rejects(registry.undoLastPromotion('churn', 'again'), /no promotion to undo/);
    await registry.promote({ model: 'churn', version: 2, reason: 'again' });
    await registry.setAlias('churn', 'champion', 3, 'manual');
    await assert.rejects(registry.undoLastPromotion('churn', 'x'), /was moved after that promotion/);
  });

  it('a stage promotion archives the others and its undo restores them', async () => {
    const { ws, store, registry } = await threeVersions();
    await registry.configure('churn', { primaryMetric: 'val/accuracy' });
    await registry.setStage('churn', 1, 'Production');
    await registry.promote({
      model: 'churn',
      version: 2,
      target: { stage: 'Production', archiveExisting: true },
      reason: 'rollout',
    });
    assert.deepStrictEqual(
      detail(store, ws, 'churn').versions.map(v => [v.version, v.stage]),
      [
        [3, 'None'],
        [2, 'Production'],
        [1, 'Archived'],
      ],
    );
    await registry.undoLastPromotion('churn', 'rollback');
    assert.deepStrictEqual(
      detail(store, ws, 'churn').versions.map(v => [v.version, v.stage]),
      [
        [3, 'None'],
        [2, 'None'],
        [1, 'Production'],
      ],
    );
  });
});

describe('registry: the audit log is the source of truth', () => {
  it('the store is rebuilt from the audit log to the same registry', async () => {
    const { ws, store, registry } = await setup();
    for (const r of ['r1', 'r2', 'r3']) {
      await registry.registerVersion({ model: 'churn', runId: r });
    }
    await registry.registerVersion({ model: HOSTILE, runId: 'r1' });
    await registry.configure('churn', { primaryMetric: 'val/accuracy', protectedAliases: ['champion', 'prod'] });
    await registry.promote({ model: 'churn', version: 2, reason: 'first' });
    await registry.setAlias('churn', 'prod', 2, 'ship');
    await registry.setStage('churn', 3, 'Staging');
    await registry.setTag('churn', 'owner', 'growth');
    await registry.promote({ model: 'churn', version: 1, reason: 'override test', override: true });
    await registry.undoLastPromotion('churn', 'oops');
    const before = store.read(db => ({
      churn: getModelDetail(db, ws, 'churn'),
      hostile: getModelDetail(db, ws, HOSTILE),
      history: registryHistory(db),
    }));
    await store.close();
    fs.rmSync(path.join(ws, '.mlsight', 'mlsight.db'));
    const again = await open(ws);
    const after = again.read(db => ({
      churn: getModelDetail(db, ws, 'churn'),
      hostile: getModelDetail(db, ws, HOSTILE),
      history: registryHistory(db),
    }));
    assert.deepStrictEqual(after, before);
    assert.deepStrictEqual(after.churn!.aliases, { champion: 2, prod: 2 });
    assert.deepStrictEqual(after.churn!.settings.protectedAliases, ['champion', 'prod']);
  });

  it('projection is idempotent and follows log order whatever order the store writes arrive in', async () => {
    const { ws, registry, store } = await setup();
    await registry.registerVersion({ model: 'churn', runId: 'r1' });
    await registry.registerVersion({ model: 'churn', runId: 'r2' });
    await store.flush();
    await store.close();
    // two windows: A moves @challenger to v1, then B moves it to v2; B's store write lands first
    const a = await open(ws, 60_000);
    const b = await open(ws, 60_000);
    const ra = new Registry({ store: a, actor: 'a' });
    const rb = new Registry({ store: b, actor: 'b' });
    await ra.setAlias('churn', 'challenger', 1);
    await rb.setAlias('churn', 'challenger', 2);
    await b.flush();
    await a.flush(); // re-reads B's file and replays its own (older) event on top
    assert.deepStrictEqual(a.read(db => getModelDetail(db, ws, 'churn'))!.aliases, { challenger: 2 });
    await a.close();
    await b.close();
    const c = await open(ws);
    assert.deepStrictEqual(c.read(db => getModelDetail(db, ws, 'churn'))!.aliases, { challenger: 2 });
    const log = await readAuditLog(ws);
    const once = c.read(db => JSON.stringify(getModelDetail(db, ws, 'churn')));
    c.write(db => {
      applyAuditEvents(db, log.events);
      applyAuditEvents(db, log.events);
    });
    assert.strictEqual(
      c.read(db => JSON.stringify(getModelDetail(db, ws, 'churn'))),
      once,
    );
  });

  it('a torn last line (a writer killed mid-append) is skipped and the next append is not lost', async () => {
    const { ws, registry, store } = await setup();
    await registry.registerVersion({ model: 'churn', runId: 'r1' });
    fs.appendFileSync(auditLogPath(ws), '{"id":"torn","at":1,"act');
    await registry.registerVersion({ model: 'churn', runId: 'r2' });
    const log = await readAuditLog(ws);
    assert.strictEqual(log.errors.length, 1);
    assert.deepStrictEqual(
      log.events.filter(e => e.action === 'version.create').map(e => e.version),
      [1, 2],
    );
    assert.strictEqual(detail(store, ws, 'churn').versions.length, 2);
    const text = fs.readFileSync(auditLogPath(ws), 'utf8');
    assert.ok(text.includes('{"id":"torn","at":1,"act\n'), 'the torn line is kept as it was, only terminated');
  });

  it('sync() applies events another process appended but never wrote to the store', async () => {
    const { ws, registry, store } = await setup();
    await registry.registerVersion({ model: 'churn', runId: 'r1' });
    const log = await readAuditLog(ws);
    const e: AuditEvent = {
      id: 'from-elsewhere',
      at: Date.now(),
      actor: 'bob',
      action: 'alias.set',
      model: 'churn',
      version: 1,
      alias: 'challenger',
      from: null,
      to: '1',
      seq: log.events.length + 1,
    };
    fs.appendFileSync(auditLogPath(ws), JSON.stringify(e) + '\n');
    assert.strictEqual(await registry.sync(), 1);
    assert.deepStrictEqual(detail(store, ws, 'churn').aliases, { challenger: 1 });
    assert.strictEqual(await registry.sync(), 0);
  });
});

function spawnWriter(args: string[]): {
  child: ChildProcess;
  out: () => string;
  done: Promise<{ code: number | null; out: string; err: string }>;
} {
  const child = spawn(process.execPath, [fixtureScript('registryWriter'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '',
    err = '';
  child.stdout.on('data', d => {
    out += d;
  });
  child.stderr.on('data', d => {
    err += d;
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>(res =>
    child.on('close', code => res({ code, out, err })),
  );
  return { child, out: () => out, done };
}

describe('registry across processes', function () {
  this.timeout(180_000);

  it('two processes registering and promoting at once lose nothing and agree', async () => {
    const { ws, store } = await setup({ r1: { acc: 0.8 } });
    await store.close();
    const N = 12;
    const [a, b] = [spawnWriter([ws, 'ops', String(N), 'a']), spawnWriter([ws, 'ops', String(N), 'b'])];
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.strictEqual(ra.code, 0, ra.err);
    assert.strictEqual(rb.code, 0, rb.err);
    const log = await readAuditLog(ws);
    assert.deepStrictEqual(log.errors, []);
    const versions = log.events
      .filter(e => e.action === 'version.create')
      .map(e => e.version)
      .sort((x, y) => x! - y!);
    assert.deepStrictEqual(
      versions,
      Array.from({ length: 2 * N }, (_, i) => i + 1),
      'every version number once',
    );
    assert.deepStrictEqual(
      log.events.map(e => e.seq),
      log.events.map((_, i) => i + 1),
    );
    const descs = log.events
      .filter(e => e.action === 'version.create')
      .map(e => e.reason)
      .sort();
    assert.deepStrictEqual(
      descs,
      [...Array.from({ length: N }, (_, i) => `a-${i}`), ...Array.from({ length: N }, (_, i) => `b-${i}`)].sort(),
    );
    const s = await open(ws);
    const d = s.read(db => getModelDetail(db, ws, 'm'))!;
    const fold = modelStateFromLog(log, 'm')!;
    assert.strictEqual(d.versions.length, 2 * N);
    assert.deepStrictEqual(d.aliases, Object.fromEntries(fold.aliases));
    assert.strictEqual(
      s.read(db => Number(db.scalar('SELECT count(*) FROM audit_log'))),
      log.events.length,
    );
  });

  it('kill -9 during promotions leaves a registry consistent with its audit log', async () => {
    const { ws, registry, store } = await setup({ r1: { acc: 0.8 }, r2: { acc: 0.9 } });
    await registry.registerVersion({ model: 'm', runId: 'r1' });
    await registry.registerVersion({ model: 'm', runId: 'r2' });
    await store.close();
    const KILLS = Number(process.env.MLSIGHT_KILLS ?? 12);
    let promotions = 0;
    for (let i = 0; i < KILLS; i++) {
      const w = spawnWriter([ws, 'promote-forever']);
      await new Promise<void>(res => {
        const t = setInterval(() => {
          if (/promoted 1\n/.test(w.out()) || w.child.exitCode !== null) {
            clearInterval(t);
            res();
          }
        }, 5);
      });
      await sleep(Math.random() * 150);
      w.child.kill('SIGKILL');
      const r = await w.done;
      assert.notStrictEqual(r.code, 1, r.err);
      // a dead writer's locks would be taken over after their stale period; skip the wait
      for (const l of ['mlsight.db.lock', 'audit.jsonl.lock']) {
        fs.rmSync(path.join(ws, '.mlsight', l), { recursive: true, force: true });
      }
      const s = await open(ws, 60_000);
      const reg = new Registry({ store: s, actor: 'checker' });
      await reg.sync();
      const log = await readAuditLog(ws);
      const fold = modelStateFromLog(log, 'm')!;
      assert.deepStrictEqual(
        s.read(db => getModelDetail(db, ws, 'm'))!.aliases,
        Object.fromEntries(fold.aliases),
        `after kill ${i}`,
      );
      assert.ok(
        log.errors.length <= i + 1,
        `at most one torn line per kill (${log.errors.length} after ${i + 1} kills)`,
      );
      promotions = fold.promotions.length;
      await s.close();
      openStores.splice(openStores.indexOf(s), 1);
    }
    assert.ok(promotions >= KILLS, `${promotions} promotions happened`);
  });
});

describe('registry: MLflow FileStore write-back', () => {
  async function mlflowWorkspace() {
    const ws = tempWorkspace('mlsight-registry-mlflow-');
    const mb = new MlrunsBuilder(path.join(ws, 'mlruns'));
    mb.experiment('0', 'Default');
    mb.run('0', {
      runId: hex32(1),
      metrics: { val_acc: '1700000000000 0.80 1\n' },
      artifacts: { 'model/MLmodel': 'flavors: {}\n' },
    });
    // FINISHED (3): only a finished run's model passes the gate
    mb.run('0', {
      runId: hex32(2),
      metrics: { val_acc: '1700000000000 0.90 1\n' },
      artifacts: { 'model/MLmodel': 'flavors: {}\n' },
      meta: { status: 3, end_time: 1672364274319 },
    });
    // both runs evaluated on one MLflow dataset (context "eval"): the gate's offline check compares like with like
    for (const id of [hex32(1), hex32(2)]) {
      const d = `d${id.slice(-1)}`;
      fs.mkdirSync(path.join(ws, 'mlruns', '0', 'datasets', d), { recursive: true });
      fs.writeFileSync(
        path.join(ws, 'mlruns', '0', 'datasets', d, 'meta.yaml'),
        'name: holdout\ndigest: 5f1e2d\nsource_type: local\nprofile: \'{"num_rows": 100000}\'\n',
      );
      fs.mkdirSync(path.join(ws, 'mlruns', '0', id, 'inputs', `i${d}`), { recursive: true });
      fs.writeFileSync(
        path.join(ws, 'mlruns', '0', id, 'inputs', `i${d}`, 'meta.yaml'),
        `source_type: DATASET\nsource_id: ${d}\ndestination_type: RUN\ndestination_id: ${d}\ntags:\n  mlflow.data.context: eval\n`,
      );
    }
    mb.model('churn', {
      aliases: { champion: '1' },
      versions: [
        { version: 1, runId: hex32(1), stage: 'Production' },
        { version: 2, runId: hex32(2) },
        { version: 3, runId: hex32(2), stage: 'Deleted_Internal' },
      ],
    });
    const store = await open(ws);
    const ingest = () => ingestMlflowFileStore(store, silentLogger, path.join(ws, 'mlruns'), emptyCounts());
    await ingest();
    return {
      ws,
      store,
      ingest,
      registry: new Registry({ store, actor: 'alice' }),
      dir: path.join(ws, 'mlruns', 'models', 'churn'),
    };
  }
  const read = (f: string) => fs.readFileSync(f, 'utf8');
  const yaml = (f: string) => YAML.parse(read(f)) as Record<string, unknown>;

  it("moves aliases in MLflow's format (alias files, refreshed meta.yaml) and the reader sees them", async () => {
    const { ws, store, ingest, registry, dir } = await mlflowWorkspace();
    assert.strictEqual(detail(store, ws, 'churn').backend, 'mlflow-filestore');
    await registry.setAlias('churn', 'challenger', 2);
    assert.strictEqual(read(path.join(dir, 'aliases', 'challenger')), '2', 'the version as text, no newline');
    assert.deepStrictEqual(yaml(path.join(dir, 'meta.yaml')).aliases, { champion: '1', challenger: '2' });
    assert.deepStrictEqual(yaml(path.join(dir, 'version-2', 'meta.yaml')).aliases, ['challenger']);
    assert.ok(Number(yaml(path.join(dir, 'meta.yaml')).last_updated_timestamp) > 1700000001000);
    assert.deepStrictEqual(
      fs.readdirSync(dir).filter(n => n.startsWith('.mlsight-')),
      [],
      'no temporary files left',
    );
    await registry.configure('churn', { primaryMetric: 'val_acc' });
    const r = await registry.promote({ model: 'churn', version: 2, reason: 'better offline' });
    assert.strictEqual(r.gate.pass, true, r.gate.failures.join());
    assert.strictEqual(read(path.join(dir, 'aliases', 'champion')), '2');
    assert.ok(!fs.existsSync(path.join(dir, 'aliases', 'challenger')), '@challenger cleared');
    assert.deepStrictEqual(yaml(path.join(dir, 'meta.yaml')).aliases, { champion: '2' });
    assert.deepStrictEqual(yaml(path.join(dir, 'version-1', 'meta.yaml')).aliases, []);
    // the MLflow reader (re-ingest) sees the files; ML Sight's settings and history survive the re-read
    await ingest();
    const d = detail(store, ws, 'churn');
    assert.deepStrictEqual(d.aliases, { champion: 2 });
    assert.strictEqual(d.settings.primaryMetric, 'val_acc');
    assert.strictEqual(store.read(db => registryHistory(db, 'churn')).filter(h => h.action === 'promote').length, 1);
    await registry.undoLastPromotion('churn', 'rollback');
    assert.strictEqual(read(path.join(dir, 'aliases', 'champion')), '1');
    assert.strictEqual(read(path.join(dir, 'aliases', 'challenger')), '2');
    await assert.rejects(registry.setAlias('churn', 'x', 3), /no version 3/, 'deleted versions cannot get an alias');
    await assert.rejects(
      registry.registerVersion({ model: 'churn', runId: `mlflow:${hex32(1)}` }),
      /MLflow registered model/,
    );
  });

  it("stage transitions with archive-existing rewrite the versions' meta.yaml, keeping unknown keys", async () => {
    const { registry, dir, ingest, store, ws } = await mlflowWorkspace();
    fs.appendFileSync(path.join(dir, 'version-2', 'meta.yaml'), 'deployment_job_state: null\nmodel_id: m-123\n');
    await registry.setStage('churn', 2, 'Production', { archiveExisting: true });
    const v1 = yaml(path.join(dir, 'version-1', 'meta.yaml'));
    const v2 = yaml(path.join(dir, 'version-2', 'meta.yaml'));
    assert.deepStrictEqual(
      [v1.current_stage, v2.current_stage, v2.model_id, v2.version],
      ['Archived', 'Production', 'm-123', 2],
    );
    assert.strictEqual(yaml(path.join(dir, 'version-3', 'meta.yaml')).current_stage, 'Deleted_Internal');
    await ingest();
    assert.deepStrictEqual(
      detail(store, ws, 'churn').versions.map(v => [v.version, v.stage]),
      [
        [2, 'Production'],
        [1, 'Archived'],
      ],
    );
  });

  it("PyYAML reads the written files the way MLflow's FileStore does", async function () {
    if (spawnSync('python3', ['-c', 'import yaml']).status !== 0) {
      this.skip();
    }
    const { registry, dir } = await mlflowWorkspace();
    await registry.setAlias('churn', 'challenger', 2);
    await registry.setStage('churn', 2, 'Staging');
    // get_model_version_by_alias: read aliases/<alias> as text, then version-<text>/meta.yaml
    const py = `
import os, sys, yaml
d = sys.argv[1]
v = open(os.path.join(d, 'aliases', 'challenger')).read()
meta = yaml.safe_load(open(os.path.join(d, 'version-' + v, 'meta.yaml')))
model = yaml.safe_load(open(os.path.join(d, 'meta.yaml')))
print(v, meta['version'], meta['current_stage'], sorted(model['aliases'].items()))
`;
    const r = spawnSync('python3', ['-c', py, dir], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout.trim(), "2 2 Staging [('challenger', '2'), ('champion', '1')]");
  });

  it('models read from mlflow.db are read-only', async () => {
    const { ws, store, registry } = await setup();
    fs.writeFileSync(path.join(ws, 'mlflow.db'), 'not really');
    store.write(db => {
      db.run(`INSERT INTO models (name, source) VALUES ('sq', 'mlflow')`);
      db.run(`INSERT INTO model_versions (model_name, version) VALUES ('sq', 1)`);
      db.run(`INSERT INTO ingest_state (path, offset, line, run_id) VALUES ('mlflow.db#model:sq', 0, 0, 'sq')`);
    });
    assert.strictEqual(detail(store, ws, 'sq').backend, 'mlflow-sqlite');
    await assert.rejects(registry.setAlias('sq', 'champion', 1, 'x'), /never writes/);
    await registry.configure('sq', { primaryMetric: 'acc' });
    assert.strictEqual(detail(store, ws, 'sq').settings.primaryMetric, 'acc', "gate settings are ML Sight's own");
  });
});
