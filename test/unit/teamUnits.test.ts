/** Team mode's pure parts: tracking URIs (parsing, password redaction), polling backoff, page signatures. */
import * as assert from 'assert';
import { nextPollDelay, pageSignature } from '../../src/core/tracking/poll';
import { toSqlMetric } from '../../src/core/tracking/postgres';
import { restValue, toRestValue } from '../../src/core/tracking/rest';
import { TrackingError } from '../../src/core/tracking/types';
import { parseTrackingUri, redactUri } from '../../src/core/tracking/uri';
import { findPgBin } from './helpers/pgCluster';
import { tempWorkspace } from './helpers';

describe('team mode: tracking URIs, backoff, value encodings', () => {
  it('parses postgresql (with driver suffix), postgres and http(s) URIs; never shows a password', () => {
    const p = parseTrackingUri('postgresql+psycopg2://ana:s3cret@db.example:5433/mlflow?sslmode=require');
    assert.strictEqual(p.kind, 'postgresql');
    assert.strictEqual(p.hasPassword, true);
    assert.ok(!p.display.includes('s3cret'));
    assert.strictEqual(p.display, 'postgresql://ana:***@db.example:5433/mlflow?sslmode=require');
    assert.strictEqual(parseTrackingUri('postgres://ana@h/db').kind, 'postgresql');
    const r = parseTrackingUri('https://mlflow.example.com/base/');
    assert.deepStrictEqual([r.kind, r.kind === 'rest' && r.baseUrl], ['rest', 'https://mlflow.example.com/base']);
    assert.strictEqual(redactUri('https://u:pw@h/x'), 'https://u:***@h/x');
    // sqlite:/// as SQLAlchemy (and MLflow) read it: a relative path after three slashes, an absolute one after four
    assert.deepStrictEqual(parseTrackingUri('sqlite:///tmp/mlflow.db'), {
      kind: 'sqlite',
      path: 'tmp/mlflow.db',
      hasPassword: false,
      display: 'sqlite:///tmp/mlflow.db',
    });
    const abs = parseTrackingUri('sqlite:////srv/team/mlflow.db');
    assert.deepStrictEqual([abs.kind, abs.kind === 'sqlite' && abs.path], ['sqlite', '/srv/team/mlflow.db']);
    for (const bad of [
      'mlruns',
      'postgresql://h:5432/',
      'ftp://h/x',
      'sqlite://',
      'sqlite:///',
      'sqlite:///x.db?mode=ro',
    ]) {
      assert.throws(
        () => parseTrackingUri(bad),
        (e: TrackingError) => e instanceof TrackingError && e.code === 'INVALID',
        bad,
      );
    }
  });

  it('backs off ×2 per failure up to 10 minutes, with bounded jitter', () => {
    assert.strictEqual(nextPollDelay(30_000, 0), 30_000);
    assert.strictEqual(nextPollDelay(30_000, 1), 60_000);
    assert.strictEqual(nextPollDelay(30_000, 3), 240_000);
    assert.strictEqual(nextPollDelay(30_000, 50), 600_000);
    assert.strictEqual(nextPollDelay(30_000, 0, 0), 24_000);
    assert.strictEqual(nextPollDelay(30_000, 0, 0.999999), 36_000);
  });

  it('page signatures change with status, end, name or metrics, not otherwise', () => {
    const run = {
      runUuid: 'a',
      status: 'RUNNING',
      endTime: null,
      name: 'x',
      metrics: { acc: { step: 1, value: 0.5 } },
    };
    const s = pageSignature([run]);
    assert.strictEqual(pageSignature([{ ...run }]), s);
    for (const changed of [
      { ...run, status: 'FINISHED' },
      { ...run, endTime: 5 },
      { ...run, name: 'y' },
      { ...run, metrics: { acc: { step: 2, value: 0.6 } } },
    ]) {
      assert.notStrictEqual(pageSignature([changed]), s);
    }
  });

  it('encodes NaN and ±inf as MLflow does: SQL (0 + is_nan, ±1.797e308) and REST ("NaN", "Infinity")', () => {
    assert.deepStrictEqual(toSqlMetric(NaN), { value: 0, isNan: true });
    assert.deepStrictEqual(toSqlMetric(-Infinity), { value: -1.7976931348623157e308, isNan: false });
    assert.deepStrictEqual(toSqlMetric(0.5), { value: 0.5, isNan: false });
    assert.deepStrictEqual([NaN, Infinity, -Infinity, 1].map(toRestValue), ['NaN', 'Infinity', '-Infinity', 1]);
    assert.ok(Number.isNaN(restValue('NaN')));
    assert.strictEqual(restValue('-Infinity'), -Infinity);
  });

  it('the PostgreSQL harness fails loudly (never skips) when the server binaries are missing', () => {
    const saved = process.env.MLSIGHT_PG_BIN;
    process.env.MLSIGHT_PG_BIN = tempWorkspace();
    try {
      assert.throws(() => findPgBin(), /has no initdb\/pg_ctl/);
    } finally {
      if (saved === undefined) {
        delete process.env.MLSIGHT_PG_BIN;
      } else {
        process.env.MLSIGHT_PG_BIN = saved;
      }
    }
    assert.match(findPgBin(), /bin$/, "this machine has Debian's postgresql (scripts/ensure-system.sh installs it)");
  });
});
