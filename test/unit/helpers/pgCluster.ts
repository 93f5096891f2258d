/**
 * A private PostgreSQL cluster for tests: initdb in a temporary folder, started on a free 127.0.0.1 port with its
 * Unix socket in that folder, stopped and removed afterwards. Debian's `postgresql` package provides the server
 * binaries (/usr/lib/postgresql/<version>/bin; scripts/ensure-system.sh installs it). initdb and the server refuse
 * to run as root, so as root they run as the `postgres` user (runuser), which owns the folder.
 *
 * Missing binaries are an error, never a skip: team mode is tested against a real database or not at all.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';

/** The newest Debian server bin folder, or $MLSIGHT_PG_BIN, or the one pg_config names; throws when none. */
export function findPgBin(): string {
  const has = (dir: string) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'));
  if (process.env.MLSIGHT_PG_BIN) {
    if (has(process.env.MLSIGHT_PG_BIN)) {
      return process.env.MLSIGHT_PG_BIN;
    }
    throw new Error(`MLSIGHT_PG_BIN=${process.env.MLSIGHT_PG_BIN} has no initdb/pg_ctl`);
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter(v => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    if (has(path.join(base, v, 'bin'))) {
      return path.join(base, v, 'bin');
    }
  }
  const cfg = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (cfg.status === 0 && has(cfg.stdout.trim())) {
    return cfg.stdout.trim();
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) not found: team-mode tests need a real PostgreSQL. ' +
      "Install Debian's postgresql package (bash scripts/ensure-system.sh, or apt-get install -y postgresql) " +
      'or set MLSIGHT_PG_BIN to the folder holding initdb.',
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  port: number;
  dir: string;
  user: string;
  /** A tracking URI for database `db` (created by createDatabase). */
  uri(db: string): string;
  createDatabase(name: string): Promise<string>;
  /** A client connected to `db` (the caller ends it). */
  client(db?: string): Promise<Client>;
  stop(): void;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd: string, args: string[], asPostgres: boolean): void {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${path.basename(cmd)} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout || '').slice(-2000)}`,
    );
  }
}

/** Starts a private cluster; `after` of the calling suite should call stop() (also done at process exit). */
export async function startCluster(): Promise<PgCluster> {
  const bin = findPgBin();
  const root = isRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsight-pg-'));
  const data = path.join(dir, 'data');
  if (root) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) {
      throw new Error(
        "running as root, but there is no `postgres` user to run initdb as (Debian's postgresql package creates it)",
      );
    }
    fs.chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const user = 'postgres';
  run(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--no-sync', '--locale=C'], root);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  run(
    path.join(bin, 'pg_ctl'),
    ['-D', data, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start'],
    root,
  );
  let stopped = false;
  const stop = () => {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], root);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', () => {
    try {
      stop();
    } catch {
      /* best effort */
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      try {
        stop();
      } catch {
        /* best effort */
      }
      process.exit(130);
    });
  }
  const connect = async (db = 'postgres') => {
    const c = new Client({ host: '127.0.0.1', port, user, database: db });
    await c.connect();
    return c;
  };
  return {
    port,
    dir,
    user,
    stop,
    client: connect,
    uri: db => `postgresql://${user}@127.0.0.1:${port}/${db}`,
    async createDatabase(name: string) {
      const c = await connect();
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await c.end();
      }
      return `postgresql://${user}@127.0.0.1:${port}/${name}`;
    },
  };
}

/** A pg_dump file as statements pg can run: psql meta-commands (\restrict …) dropped. */
export function dumpSql(file: string): string {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(l => !l.startsWith('\\'))
    .join('\n');
}

export const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'mlflow-2.17');

/** Loads the recorded schema and sample data (MLflow 2.17 on PostgreSQL 15) into `db`. */
export async function loadRecordedSample(cluster: PgCluster, db: string): Promise<void> {
  const c = await cluster.client(db);
  try {
    await c.query(dumpSql(path.join(FIXTURES, 'postgresql-schema.sql')));
    await c.query(dumpSql(path.join(FIXTURES, 'postgresql-sample-data.sql')));
  } finally {
    await c.end();
  }
}
