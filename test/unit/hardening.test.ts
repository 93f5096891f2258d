import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';
import { COMMIT_PATTERN, gitArgs, gitRefProblem, isBranchName, isCommitId, validCommit } from '../../src/core/git';
import { MAX_JSON_DEPTH, jsonDepthExceeds, parseJsonLimited, parseJsonl } from '../../src/core/jsonl';
import { confinePath } from '../../src/core/paths';
import { loadTable } from '../../src/core/drift/dataset';
import { silentLogger } from '../../src/core/log';
import { rebuildFromWorkspace } from '../../src/core/rebuild';
import { auditLogPath } from '../../src/core/registry/auditLog';
import { Registry } from '../../src/core/registry/registry';
import { getModelDetail } from '../../src/core/registry/views';
import { WorkspaceStore } from '../../src/core/store/store';
import { tempWorkspace, writeRunLog } from './helpers';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const code = await main(
    args,
    s => {
      out += s;
    },
    s => {
      err += s;
    },
  );
  return { code, out, err };
}

const deep = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
const HOSTILE_COMMIT = '--output=/tmp/mlsight-pwned';

describe('Hardening: values that reach git', () => {
  it('a commit is 4–64 hex digits; options, ranges and shell text are not', () => {
    for (const ok of ['abcd', 'ABCDEF0123', 'a'.repeat(40), 'f'.repeat(64)]) {
      assert.ok(isCommitId(ok), ok);
    }
    for (const bad of [
      'abc',
      'g123',
      'a'.repeat(65),
      '--output=/tmp/x',
      '-p',
      'HEAD',
      'HEAD~1',
      'abcd..ef01',
      'abcd\n',
      ' abcd',
      '',
      null,
      12345678,
      undefined,
    ]) {
      assert.ok(!isCommitId(bad), String(bad));
    }
    assert.strictEqual(validCommit(HOSTILE_COMMIT), null);
    assert.ok(COMMIT_PATTERN.test('0123'));
  });

  it('branch names follow git check-ref-format --branch (checked against the real git)', function () {
    const names = [
      'main',
      'feature/x',
      'release-1.2',
      'a.b',
      'user/name/topic',
      'x_y',
      'café',
      '-evil',
      '--output=/tmp/x',
      'a..b',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'a\\b',
      '/a',
      'a/',
      'a//b',
      'a.',
      '.a',
      'a/.b',
      'a.lock',
      'a/b.lock/c',
      '@',
      'a@{1}',
      'HEAD',
      'a\tb',
      'a\x7fb',
      '',
    ];
    let git: boolean;
    try {
      execFileSync('git', ['--version']);
      git = true;
    } catch {
      git = false;
    }
    for (const n of names) {
      const mine = isBranchName(n);
      if (git && n !== '') {
        const real = spawnSync('git', ['check-ref-format', '--branch', n], { encoding: 'utf8' }).status === 0;
        // git expands "@" and accepts "HEAD" as shorthands; ML Sight refuses both as branch names on purpose
        if (n !== 'HEAD' && n !== '@') {
          assert.strictEqual(mine, real, `${JSON.stringify(n)}: ML Sight ${mine}, git ${real}`);
        }
      }
      if (['-evil', '--output=/tmp/x', 'a..b', 'a b', '@', ''].includes(n)) {
        assert.strictEqual(mine, false, n);
      }
    }
  });

  it('gitArgs ends options with --end-of-options and refuses a hostile commit before git runs', () => {
    assert.deepStrictEqual(gitArgs(['show'], ['--stat'], ['abcdef1'], { paths: [] }), [
      'show',
      '--stat',
      '--end-of-options',
      'abcdef1',
      '--',
    ]);
    assert.deepStrictEqual(gitArgs(['worktree', 'add'], ['--detach'], ['abcdef1'], { operands: ['/x'] }), [
      'worktree',
      'add',
      '--detach',
      '--end-of-options',
      '/x',
      'abcdef1',
    ]);
    assert.throws(() => gitArgs(['show'], [], [HOSTILE_COMMIT]), /not a commit id.*git was not run/);
    assert.match(gitRefProblem(HOSTILE_COMMIT, 'ok')!, /is not a commit id.*stored as invalid/);
    assert.strictEqual(gitRefProblem('abcd', 'main'), undefined);
  });

  it('a hostile commit or branch from a run log or an MLflow tag is stored as invalid (null), with one log line', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', name: 'one' },
      { type: 'git', commit: HOSTILE_COMMIT, branch: '--exec=x', dirty: false },
    ]);
    writeRunLog(ws, 'r2', [
      { type: 'run', run_id: 'r2', name: 'two' },
      { type: 'git', commit: 'abcdef12', branch: 'main' },
    ]);
    const exp = path.join(ws, 'mlruns', '1');
    fs.mkdirSync(path.join(exp, 'run1', 'tags'), { recursive: true });
    fs.writeFileSync(
      path.join(exp, 'meta.yaml'),
      "artifact_location: mlruns/1\nexperiment_id: '1'\nlifecycle_stage: active\nname: e\n",
    );
    fs.writeFileSync(
      path.join(exp, 'run1', 'meta.yaml'),
      "artifact_uri: x\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: run1\nrun_uuid: run1\nstart_time: 1\nstatus: 3\n",
    );
    fs.writeFileSync(path.join(exp, 'run1', 'tags', 'mlflow.source.git.commit'), HOSTILE_COMMIT);
    const r = await cli(['runs', ws, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    const runs = JSON.parse(r.out).runs as {
      id: string;
      source: string;
      git: { commit: string | null; branch: string | null };
    }[];
    assert.deepStrictEqual(runs.find(x => x.id === 'r1')!.git.commit, null);
    assert.deepStrictEqual(runs.find(x => x.id === 'r1')!.git.branch, null);
    assert.deepStrictEqual(runs.find(x => x.id === 'r2')!.git, { commit: 'abcdef12', branch: 'main', dirty: null });
    assert.strictEqual(runs.find(x => x.source === 'mlflow')!.git.commit, null);
    assert.strictEqual(r.err.match(/is not a commit id/g)?.length, 1, r.err);
    assert.ok(
      !r.out.includes(HOSTILE_COMMIT) ||
        JSON.parse(r.out).runs.every((x: { git: { commit: unknown } }) => x.git.commit !== HOSTILE_COMMIT),
    );
  });
});

describe('Hardening: audit.jsonl', () => {
  it('a version.create event with a hostile git_commit is stored as invalid (null) and never shown as a commit', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [
      { type: 'run', run_id: 'r1', name: 'one' },
      { type: 'git', commit: 'c0ffee'.padEnd(40, '0') },
      { type: 'model', name: 'clf', path: 'artifacts/model.pkl', size: 1, sha256: 'x' },
      { type: 'end', status: 'FINISHED' },
    ]);
    const store = await WorkspaceStore.open({
      folder: ws,
      persistDelayMs: 10,
      rebuild: st => rebuildFromWorkspace(st, silentLogger).then(() => undefined),
    });
    try {
      const registry = new Registry({ store, actor: 'alice' });
      await registry.registerVersion({ model: 'm', runId: 'r1' });
      const event = {
        id: 'hostile',
        at: Date.now(),
        actor: 'mallory',
        action: 'version.create',
        model: 'm',
        version: 2,
        seq: 99,
        evidence: { run_id: null, git_commit: HOSTILE_COMMIT },
      };
      fs.appendFileSync(auditLogPath(ws), JSON.stringify(event) + '\n');
      assert.strictEqual(await registry.sync(), 1);
      const d = store.read(db => getModelDetail(db, ws, 'm'))!;
      assert.strictEqual(d.versions.find(v => v.version === 1)!.gitCommit, 'c0ffee'.padEnd(40, '0'));
      assert.strictEqual(d.versions.find(v => v.version === 2)!.gitCommit, null);
      assert.strictEqual(
        store.read(db => db.scalar('SELECT count(*) FROM model_versions WHERE git_commit = ?', [HOSTILE_COMMIT])),
        0,
      );
    } finally {
      await store.close();
    }
  });
});

describe('Hardening: paths from workspace data stay in the workspace', () => {
  it('refuses ../, absolute paths and symlinks that lead out; accepts files inside, also through symlinks inside', () => {
    const ws = tempWorkspace();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-outside-'));
    after(() => fs.rmSync(outside, { recursive: true, force: true }));
    fs.writeFileSync(path.join(outside, 'secret'), 'x');
    fs.mkdirSync(path.join(ws, 'runs', 'r1'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'runs', 'r1', 'model.pkl'), 'x');
    fs.symlinkSync(outside, path.join(ws, 'link-out'));
    fs.symlinkSync(path.join(ws, 'runs'), path.join(ws, 'link-in'));
    const base = path.join(ws, 'runs', 'r1');
    const ok = confinePath('model.pkl', [ws], base);
    assert.ok(ok.ok && ok.file === fs.realpathSync(path.join(base, 'model.pkl')));
    assert.ok(confinePath('link-in/r1/model.pkl', [ws]).ok);
    assert.ok(confinePath('not-yet-there/file.txt', [ws]).ok, 'a file that does not exist yet inside is fine');
    for (const bad of [
      '../../../../../../../etc/passwd',
      '/etc/passwd',
      '../../link-out/secret',
      path.join(outside, 'secret'),
      '../../..',
      'a\0b',
    ]) {
      const c = confinePath(bad, [ws], base);
      assert.ok(!c.ok, bad);
      if (!c.ok) {
        assert.match(c.message, /outside the workspace folder|NUL/);
      }
    }
    const viaLink = confinePath('link-out/secret', [ws]);
    assert.ok(!viaLink.ok && /leads to/.test(viaLink.message));
  });
});

describe('Hardening: hostile JSON lines are skipped, everything around them loads', () => {
  it('the depth scanner ignores brackets inside strings and stops at the limit', () => {
    assert.strictEqual(jsonDepthExceeds(deep(MAX_JSON_DEPTH)), false);
    assert.strictEqual(jsonDepthExceeds(deep(MAX_JSON_DEPTH + 1)), true);
    assert.strictEqual(jsonDepthExceeds(JSON.stringify({ s: '['.repeat(10_000) + '"\\"' })), false);
    assert.throws(() => parseJsonLimited(deep(6000)), /nested deeper than 100 levels/);
    const chunk = parseJsonl(Buffer.from(`{"a":1}\n{"b":${deep(6000)}}\n{"c":2}\n`));
    assert.deepStrictEqual(
      chunk.records.map(r => r.line),
      [1, 3],
    );
    assert.deepStrictEqual(
      chunk.errors.map(e => e.line),
      [2],
    );
  });

  it('`mlsight runs` with a run-log line nested 6,000 deep lists every run and says which line it skipped', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'good', [
      { type: 'run', run_id: 'good', name: 'good' },
      { type: 'metric', key: 'acc', value: 0.5, step: 0 },
    ]);
    writeRunLog(ws, 'bad', [
      { type: 'run', run_id: 'bad', name: 'bad' },
      `{"type":"param","key":"x","value":${deep(6000)}}`,
      { type: 'param', key: 'lr', value: 0.1 },
      `{"type":"tag","key":"t","value":${deep(6000, '{"a":', '}')}}`,
    ]);
    const r = await cli(['runs', ws, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    const runs = JSON.parse(r.out).runs as { id: string; params: Record<string, string> }[];
    assert.deepStrictEqual(runs.map(x => x.id).sort(), ['bad', 'good']);
    assert.deepStrictEqual(
      runs.find(x => x.id === 'bad')!.params,
      { lr: '0.1' },
      'the lines after the hostile one still load',
    );
    assert.match(r.err, /bad\/events\.jsonl:2: .*nested deeper than 100 levels.*line skipped/);
    assert.match(r.err, /bad\/events\.jsonl:4: /);
    assert.doesNotMatch(r.err, /Maximum call stack/);
  });

  it("drift's JSON Lines loader refuses a line nested 50,000 deep with its line number, not a stack overflow", async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'deep.jsonl');
    fs.writeFileSync(file, `{"a":1}\n{"a":${deep(50_000)}}\n{"a":2}\n`);
    await assert.rejects(loadTable(file), (e: Error) =>
      /deep\.jsonl, line 2: .*nested deeper than 100 levels/.test(e.message),
    );
    const arr = path.join(ws, 'deep-array.json.jsonl');
    fs.writeFileSync(arr, `[{"a":${deep(50_000, '{"b":', '}')}}]`);
    await assert.rejects(loadTable(arr), /nested deeper than/);
  });
});

describe('Hardening: memory is bounded by data size, not columns²', () => {
  it('a CSV of 20,000 columns × 1 row loads without reserving columns² cells', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'wide.csv');
    const n = 20_000;
    fs.writeFileSync(
      file,
      Array.from({ length: n }, (_, i) => `c${i}`).join(',') +
        '\n' +
        Array.from({ length: n }, (_, i) => String(i % 7)).join(',') +
        '\n',
    );
    if (global.gc) {
      global.gc();
    }
    const before = process.memoryUsage().arrayBuffers;
    const t = await loadTable(file);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.strictEqual(t.columns.length, n);
    assert.strictEqual(t.rows, 1);
    // before the fix every column reserved file-size/8 rows (21,000 × 8 bytes × 20,000 columns ≈ 3.4 GB) plus a
    // 16 KB lookup table; now a column starts at 16 rows
    assert.ok(grown < 200 * 1024 * 1024, `typed arrays grew by ${(grown / 1048576).toFixed(0)} MB`);
    assert.deepStrictEqual(
      t.columns.slice(0, 3).map(c => c.name),
      ['c0', 'c1', 'c2'],
    );
  });
});

describe('Hardening: CLI conventions', () => {
  it('--help on every command and subcommand prints its usage and exits 0', async () => {
    const cases: [string[], RegExp][] = [
      [['runs', '--help'], /^usage:\n {2}runs \[folder\]/],
      [['store', '--help'], /store info[\s\S]*store rebuild/],
      [['store', 'info', '-h'], /store info/],
      [['lint', '--help'], /lint \[paths…\]/],
      [['registry', '--help'], /registry list[\s\S]*registry history/],
      [['registry', 'promote', '--help'], /registry promote[\s\S]*--folder/],
      [['ab', '--help'], /^usage:\n {2}ab /],
      [['drift', '--help'], /mlsight drift/],
      [['help', 'runs'], /runs \[folder\]/],
      [['registry', 'alias', 'set', 'm', '--help'], /registry alias set/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.match(r.out, re, args.join(' '));
    }
    assert.strictEqual((await cli(['nope', '--help'])).code, 2, 'an unknown command stays a usage error');
  });

  it('a missing folder is an error (exit 1) and nothing is created', async () => {
    const missing = path.join(os.tmpdir(), `mlsight-missing-${process.pid}-${Date.now()}`);
    for (const args of [
      ['runs', missing],
      ['store', 'info', missing],
      ['store', 'rebuild', missing],
    ]) {
      const r = await cli(args);
      assert.strictEqual(r.code, 1, args.join(' '));
      assert.match(r.err, /no such folder/);
      assert.ok(!fs.existsSync(missing), `${args.join(' ')} created ${missing}`);
    }
    const file = path.join(tempWorkspace(), 'file.txt');
    fs.writeFileSync(file, 'x');
    assert.match((await cli(['runs', file])).err, /not a folder/);
  });

  it('piping into a reader that closes early (| head) ends quietly, without a stack trace', async function () {
    this.timeout(120_000);
    const ws = tempWorkspace();
    for (let i = 0; i < 800; i++) {
      writeRunLog(ws, `r${i}`, [
        { type: 'run', run_id: `r${i}`, name: `a run with a long enough name ${i}`.repeat(4) },
      ]);
    }
    const bundle = path.join(__dirname, '..', '..', 'cli.js');
    const { spawn } = await import('child_process');
    const child = spawn(process.execPath, [bundle, 'runs', ws, '--format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', d => {
      err += d;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)));
    assert.doesNotMatch(err, /EPIPE|\n\s+at /, err);
    assert.strictEqual(code, 0, err);
  });
});

describe('Hardening: wrong input is an error, not a silent success', () => {
  it('a foreign SQLite database at the store path is moved aside and the store rebuilt, like a corrupt one', async () => {
    const ws = tempWorkspace();
    writeRunLog(ws, 'r1', [{ type: 'run', run_id: 'r1', name: 'one' }]);
    const { loadSqlJs } = await import('../../src/core/store/sqljs');
    const SQL = await loadSqlJs();
    const foreign = new SQL.Database();
    foreign.run("CREATE TABLE runs (x INTEGER); CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('theirs')");
    fs.mkdirSync(path.join(ws, '.mlsight'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.mlsight', 'mlsight.db'), Buffer.from(foreign.export()));
    foreign.close();
    const r = await cli(['runs', ws, '--format', 'json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(
      JSON.parse(r.out).runs.map((x: { id: string }) => x.id),
      ['r1'],
    );
    assert.match(r.err, /not an ML Sight store.*moved to/);
    const moved = fs.readdirSync(path.join(ws, '.mlsight')).filter(f => f.startsWith('mlsight.db.corrupt-'));
    assert.strictEqual(moved.length, 1, 'the foreign database is kept, moved aside');
  });

  it('lint exits non-zero when a notebook cannot be read (a truncated .ipynb), unless --unreadable warn', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'nb.ipynb'), '{"cells": [{"cell_type": "code", "source": ["import pa');
    const strict = await cli(['lint', ws]);
    assert.strictEqual(strict.code, 1, strict.err);
    assert.match(strict.err, /could not be analysed[\s\S]*1 file could not be analysed; failing/);
    const lenient = await cli(['lint', ws, '--unreadable', 'warn']);
    assert.strictEqual(lenient.code, 0, lenient.err);
    assert.match(lenient.err, /could not be analysed/);
    assert.strictEqual((await cli(['lint', ws, '--unreadable', 'maybe'])).code, 2);
  });

  it('a corrupt Parquet footer gives a clear message, not an internal error', async () => {
    const corpus = path.join(__dirname, '..', '..', '..', 'test', 'fuzz', 'corpus', 'parquet');
    for (const f of fs.readdirSync(corpus)) {
      await assert.rejects(
        loadTable(path.join(corpus, f)),
        (e: Error) =>
          /is not a readable Parquet file: its (footer|schema)/.test(e.message) &&
          !/Cannot read properties/.test(e.message),
      );
    }
  });
});

describe('Hardening: text encodings of data files', () => {
  it('warns when UTF-8 decoding replaced bytes, reads latin1/cp1252 on request, honours UTF-8 and UTF-16 BOMs', async () => {
    const ws = tempWorkspace();
    const latin = path.join(ws, 'latin.csv');
    fs.writeFileSync(latin, Buffer.concat([Buffer.from('name,n\ncaf'), Buffer.from([0xe9]), Buffer.from(',1\nb,2\n')]));
    const names = (t: Awaited<ReturnType<typeof loadTable>>) => {
      const c = t.columns[0] as unknown as { dictionary: string[] | null };
      return c.dictionary ?? [];
    };
    const plain = await loadTable(latin);
    assert.match(plain.warnings!.join('\n'), /latin\.csv is not valid UTF-8.*--encoding latin1 or cp1252/);
    for (const encoding of ['latin1', 'cp1252'] as const) {
      const t = await loadTable(latin, { encoding });
      assert.deepStrictEqual(t.warnings, []);
      assert.ok(names(t).includes('café'), `${encoding}: ${JSON.stringify(names(t))}`);
    }
    const bom8 = path.join(ws, 'bom8.csv');
    fs.writeFileSync(bom8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,n\ncafé,1\n')]));
    const t8 = await loadTable(bom8, { encoding: 'latin1' });
    assert.deepStrictEqual(
      t8.columns.map(c => c.name),
      ['name', 'n'],
      'the UTF-8 BOM wins over --encoding and is dropped',
    );
    assert.ok(names(t8).includes('café'));
    const bom16 = path.join(ws, 'bom16.csv');
    fs.writeFileSync(bom16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name,n\ncafé,1\n', 'utf16le')]));
    const t16 = await loadTable(bom16);
    assert.deepStrictEqual(
      t16.columns.map(c => c.name),
      ['name', 'n'],
    );
    assert.ok(names(t16).includes('café'));
    assert.match(t16.warnings!.join(), /UTF-16 LE/);
  });

  it('`mlsight drift --encoding` is validated and the UTF-8 warning reaches the report', async () => {
    const ws = tempWorkspace();
    const a = path.join(ws, 'a.csv');
    const b = path.join(ws, 'b.csv');
    const rows = (extra: string) =>
      Buffer.concat([
        Buffer.from('city,n\n'),
        ...Array.from({ length: 30 }, (_, i) =>
          Buffer.concat([Buffer.from(i % 2 ? 'Z' : 'M'), Buffer.from([0xfc]), Buffer.from(`rich${extra},${i}\n`)]),
        ),
      ]);
    fs.writeFileSync(a, rows(''));
    fs.writeFileSync(b, rows(''));
    const bad = await cli(['drift', a, b, '--encoding', 'ebcdic']);
    assert.strictEqual(bad.code, 2);
    const utf = await cli(['drift', a, b, '--format', 'json']);
    assert.match(JSON.parse(utf.out).warnings.join('\n'), /a\.csv is not valid UTF-8/);
    const lat = await cli(['drift', a, b, '--format', 'json', '--encoding', 'latin1']);
    assert.doesNotMatch(JSON.parse(lat.out).warnings.join('\n'), /not valid UTF-8/);
  });
});
