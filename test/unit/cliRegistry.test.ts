import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tempWorkspace, writeRunLog } from './helpers';

const HOSTILE = '<img src=x onerror=alert(1)>';

function workspace(): string {
  const ws = tempWorkspace('mlsight-cli-registry-');
  for (const [id, acc] of [
    ['r1', 0.8],
    ['r2', 0.9],
  ] as const) {
    writeRunLog(ws, id, [
      { type: 'run', run_id: id, experiment: 'exp', name: id },
      { type: 'metric', key: 'val/accuracy', value: acc, step: 1 },
      { type: 'dataset', name: 'test', role: 'test', digest: 'sha256:t', rows: 10_000 },
      { type: 'model', name: 'clf', path: 'artifacts/models/clf/model.pkl', sha256: 'abc' },
      { type: 'end', status: 'FINISHED' },
    ]);
  }
  return ws;
}

describe('mlsight registry (CLI)', function () {
  this.timeout(60_000);

  it('register, alias, stage, show, list and history with JSON output', async () => {
    const ws = workspace();
    const f = ['--folder', ws, '--format', 'json'];
    let r = await cli(['registry', 'register', 'churn', '--run', 'r1', '--description', 'first', ...f]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.json.version, 1);
    r = await cli([
      'registry',
      'register',
      'churn',
      '--run',
      'r2',
      '--alias',
      'challenger',
      '--tag',
      'team=growth',
      ...f,
    ]);
    assert.strictEqual(r.json.version, 2, r.err);
    r = await cli(['registry', 'alias', 'set', 'churn', 'champion', '1', ...f]);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /protected alias: give a reason/);
    r = await cli(['registry', 'alias', 'set', 'churn', 'champion', '1', '--reason', 'seed', ...f]);
    assert.strictEqual(r.code, 0, r.err);
    r = await cli(['registry', 'stage', 'churn', '2', 'staging', ...f]);
    assert.deepStrictEqual([r.json.event.from, r.json.event.to], ['None', 'Staging']);
    r = await cli(['registry', 'show', 'churn', ...f]);
    assert.deepStrictEqual(r.json.aliases, { champion: 1, challenger: 2 });
    assert.deepStrictEqual(
      r.json.versions.map((v: { version: number; stage: string; metrics: Record<string, number> }) => [
        v.version,
        v.stage,
        v.metrics['val/accuracy'],
      ]),
      [
        [2, 'Staging', 0.9],
        [1, 'None', 0.8],
      ],
    );
    assert.deepStrictEqual(r.json.versions[0].tags, { team: 'growth' });
    r = await cli(['registry', 'list', ws, '--format', 'json']);
    assert.deepStrictEqual(
      r.json.models.map((m: { name: string; versionCount: number }) => [m.name, m.versionCount]),
      [['churn', 2]],
    );
    r = await cli(['registry', 'history', 'churn', ...f]);
    assert.deepStrictEqual(
      r.json.events.map((e: { action: string }) => e.action),
      ['model.create', 'version.create', 'version.create', 'alias.set', 'alias.set', 'stage.set'],
    );
    assert.ok(r.json.events.every((e: { actor: string }) => e.actor.length > 0));
    r = await cli(['registry', 'history', 'churn', '--folder', ws]);
    assert.match(r.out, /alias\.set {2}churn v1 @champion {2}∅ → 1 {2}"seed"/);
  });

  it('promote: a failed gate exits 3 with the reasons; --override with a reason promotes; undo', async () => {
    const ws = workspace();
    const f = ['--folder', ws, '--format', 'json'];
    await cli(['registry', 'register', 'churn', '--run', 'r2', ...f]);
    await cli(['registry', 'register', 'churn', '--run', 'r1', ...f]);
    assert.strictEqual(
      (await cli(['registry', 'config', 'churn', '--metric', 'val/accuracy', '--min-improvement', '0.01', ...f])).code,
      0,
    );
    let r = await cli(['registry', 'promote', 'churn', '1', '--reason', 'first', ...f]);
    assert.strictEqual(r.code, 0, r.err);
    r = await cli(['registry', 'promote', 'churn', '2', ...f]);
    assert.strictEqual(r.code, 2, 'a reason is required');
    r = await cli([
      'registry',
      'promote',
      'churn',
      '2',
      '--reason',
      'try',
      '--champion',
      '100/1000',
      '--challenger',
      '130/1000',
      ...f,
    ]);
    assert.strictEqual(r.code, 3, r.err);
    assert.strictEqual(r.json.promoted, false);
    assert.deepStrictEqual(
      r.json.gate.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { id: string }) => c.id),
      ['offline'],
    );
    assert.strictEqual(r.json.ab.verdict, 'promote');
    r = await cli(['registry', 'promote', 'churn', '2', '--reason', 'cheaper to serve', '--override', ...f]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.json.overridden, true);
    assert.strictEqual(r.json.event.evidence.override.reason, 'cheaper to serve');
    r = await cli(['registry', 'undo', 'churn', '--reason', 'rollback', ...f]);
    assert.deepStrictEqual([r.json.event.from, r.json.event.to], ['2', '1']);
  });

  it('hostile model names round-trip as data', async () => {
    const ws = workspace();
    const r = await cli(['registry', 'register', HOSTILE, '--run', 'r1', '--folder', ws, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    const l = await cli(['registry', 'list', ws, '--format', 'json']);
    assert.deepStrictEqual(
      l.json.models.map((m: { name: string }) => m.name),
      [HOSTILE],
    );
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['registry'],
      ['registry', 'frob'],
      ['registry', 'show'],
      ['registry', 'alias', 'set', 'm', 'a', 'x'],
      ['registry', 'list', '--bogus'],
      ['ab'],
      ['ab', '--champion', '1/10'],
    ]) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.err}`);
    }
  });
});

describe('mlsight ab (CLI)', function () {
  this.timeout(60_000);

  it('proportions from counts: arms, test, p-value, lift with CI, SRM and verdict as JSON', async () => {
    const r = await cli([
      'ab',
      '--champion',
      '1900/19000',
      '--challenger',
      '140/1000',
      '--expected-share',
      '0.05',
      '--metric',
      'converted',
      '--format',
      'json',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    const j = r.json;
    assert.strictEqual(j.verdict, 'promote');
    const m = j.metrics[0];
    assert.strictEqual(m.test, 'two-proportion z-test');
    assert.deepStrictEqual(
      m.arms.map((a: { name: string; n: number }) => [a.name, a.n]),
      [
        ['champion', 19000],
        ['challenger', 1000],
      ],
    );
    assert.ok(m.pValue < 1e-4 && m.lift.value > 0.39 && m.lift.ci[0] > 0);
    assert.ok(j.srm.pValue > 0.5);
    const fail = await cli(['ab', '--champion', '50/500', '--challenger', '55/500', '--fail-unless-promote']);
    assert.strictEqual(fail.code, 3);
    assert.match(fail.out, /Not enough data yet/);
  });

  it("a JSON Lines outcomes file: binary metric → z-test, continuous guardrail → Welch, SRM against the registry's canary share", async () => {
    const ws = workspace();
    await cli(['registry', 'register', 'churn', '--run', 'r1', '--folder', ws]);
    await cli(['registry', 'config', 'churn', '--share', '0.2', '--folder', ws]);
    const lines: string[] = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 2000; i++) {
      const challenger = i % 5 === 0;
      lines.push(
        JSON.stringify({
          model: 'churn',
          variant: challenger ? 'challenger' : 'champion',
          request_key: `k${i}`,
          converted: rand() < (challenger ? 0.2 : 0.1) ? 1 : 0,
          latency_ms: 100 + rand() * 20,
        }),
      );
    }
    const file = path.join(ws, '.mlsight', 'ab-churn.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const r = await cli([
      'ab',
      file,
      '--metric',
      'converted',
      '--guardrail',
      'latency_ms',
      '--model',
      'churn',
      '--folder',
      ws,
      '--format',
      'json',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.json.options.challengerShare, 0.2, 'the share configured in the registry');
    assert.deepStrictEqual(
      r.json.metrics.map((m: { name: string; test: string; role: string }) => [m.name, m.role, m.test]),
      [
        ['converted', 'primary', 'two-proportion z-test'],
        ['latency_ms', 'guardrail', "Welch's t-test"],
      ],
    );
    assert.deepStrictEqual(r.json.srm.counts, [1600, 400]);
    assert.strictEqual(r.json.verdict, 'promote');
    const text = await cli(['ab', file, '--metric', 'converted', '--expected-share', '0.5']);
    assert.match(text.out, /^Invalid experiment \(sample-ratio mismatch\)/);
  });

  it('aggregated CSV and mean summaries', async () => {
    const ws = tempWorkspace();
    const csv = path.join(ws, 'arms.csv');
    fs.writeFileSync(csv, 'variant,n,mean,sd\nchampion,400,10,3\nchallenger,420,10.8,3.2\n');
    const r = await cli(['ab', csv, '--metric', 'revenue', '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.json.metrics[0].test, "Welch's t-test");
    const s = await cli([
      'ab',
      '--champion-mean',
      '400:10:3',
      '--challenger-mean',
      '420:10.8:3.2',
      '--metric',
      'revenue',
      '--format',
      'json',
    ]);
    assert.strictEqual(s.json.metrics[0].pValue, r.json.metrics[0].pValue);
  });
});
