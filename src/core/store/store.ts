import * as fs from 'fs';
import * as path from 'path';
import type { Database, SqlJsStatic } from 'sql.js';
import * as lockfile from 'proper-lockfile';
import { Emitter } from '../events';
import { Logger, silentLogger } from '../log';
import { atomicWrite, removeStaleTemps } from './atomicFile';
import { Db } from './db';
import { MIGRATIONS, SCHEMA_VERSION, TABLES } from './schema';
import { loadSqlJs } from './sqljs';
import { errorMessage } from '../errors';

export const STORE_DIR = '.mlsight';
export const DB_FILE = 'mlsight.db';
export const LOCK_FILE = 'mlsight.db.lock';
/** Bytes per second a stream of debounced writes may make the store rewrite (see StoreOptions.writeBudgetBytesPerSecond). */
export const DEFAULT_WRITE_BUDGET = 200_000;

/** A change of the store: made in this process ('local') or read from disk after another process wrote it. */
export interface StoreChange {
  origin: 'local' | 'disk';
}

export type Mutation = (db: Db) => void;

export interface StoreRecovery {
  movedTo: string;
  reason: string;
}

export interface StoreOptions {
  /** The workspace folder; the store lives in `<folder>/.mlsight/mlsight.db`. */
  folder: string;
  log?: Logger;
  /** Debounce before a write is persisted (ms). 0 persists on the next tick. */
  persistDelayMs?: number;
  /** A lock older than this is considered left by a dead process (ms, proper-lockfile's minimum is 2000). */
  lockStaleMs?: number;
  /**
   * Bounds the bytes a stream of small writes (a metric line a second) makes the store rewrite: after a persist of
   * N bytes, the next debounced one waits at least N / budget seconds. flush() and writeNow() are not delayed.
   * Default 200 kB/s, i.e. at most ~12 MB a minute whatever the store's size. Ingested data can be: it is an
   * index of the run files (re-read from the stored offsets after a crash); user decisions are written to their
   * append-only logs first and persisted with writeNow(), which the budget does not delay.
   */
  writeBudgetBytesPerSecond?: number;
  /**
   * Fills a new or recovered store from the workspace's own files (run logs, the registry's audit log). Called
   * after a corrupt database was moved aside and when the store file did not exist yet.
   */
  rebuild?: (store: WorkspaceStore) => Promise<void>;
}

export interface StoreInfo {
  folder: string;
  path: string;
  exists: boolean;
  sizeBytes: number;
  schemaVersion: number;
  expectedSchemaVersion: number;
  readOnly: boolean;
  recovered?: StoreRecovery;
  counts: Record<string, number>;
}

interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

function stampOf(file: string): FileStamp | undefined {
  try {
    const s = fs.statSync(file);
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (!a || !b) {
    return a === b;
  }
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export class StoreError extends Error {}

/**
 * The workspace store: a SQLite database (sql.js, in memory) persisted to `.mlsight/mlsight.db`.
 *
 * Writes are applied to the in-memory database at once (reads see them) and queued. A debounced flush then,
 * under an inter-process lock, re-reads the file if another process replaced it since we loaded it, replays
 * the queued writes on top of it, and atomically replaces the file (temp file, fsync, rename). So two windows
 * (or the CLI and a window) writing the same store never lose each other's rows, and a crash at any moment
 * leaves either the old or the new file, never a torn one.
 */
export class WorkspaceStore {
  readonly dir: string;
  readonly dbPath: string;
  readonly lockPath: string;
  private readonly log: Logger;
  private readonly persistDelayMs: number;
  private readonly lockStaleMs: number;
  private readonly writeBudget: number;
  private lastPersist = { at: 0, bytes: 0 };
  /** persists done and bytes written by this instance (benchmarks and tests read them) */
  readonly stats = { persists: 0, bytesWritten: 0 };
  private db!: Db;
  private stamp: FileStamp | undefined;
  private pending: Mutation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonlyReason: string | undefined;
  private readonly changed = new Emitter<StoreChange>();
  /** Set when the file on disk could not be read and was moved aside. */
  recovery: StoreRecovery | undefined;
  /** True when this open created the database file. */
  created = false;
  readonly onDidChange = this.changed.event;

  private constructor(
    readonly folder: string,
    private readonly SQL: SqlJsStatic,
    options: StoreOptions,
  ) {
    this.dir = path.join(folder, STORE_DIR);
    this.dbPath = path.join(this.dir, DB_FILE);
    this.lockPath = path.join(this.dir, LOCK_FILE);
    this.log = options.log ?? silentLogger;
    this.persistDelayMs = options.persistDelayMs ?? 250;
    this.lockStaleMs = Math.max(2000, options.lockStaleMs ?? 10000);
    this.writeBudget = Math.max(1, options.writeBudgetBytesPerSecond ?? DEFAULT_WRITE_BUDGET);
  }

  static async open(options: StoreOptions): Promise<WorkspaceStore> {
    const SQL = await loadSqlJs();
    const store = new WorkspaceStore(path.resolve(options.folder), SQL, options);
    await store.init(options.rebuild);
    return store;
  }

  private async init(rebuild: StoreOptions['rebuild']): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    await this.writeOwnGitignore();
    const loaded = await this.loadFromDisk();
    if (loaded) {
      this.db = loaded.db;
      this.stamp = loaded.stamp;
    } else {
      if (fs.existsSync(this.dbPath)) {
        // Unreadable: before we move it aside, make sure no other process replaced it meanwhile.
        await this.withLock(async () => {
          const again = await this.loadFromDisk();
          if (again) {
            this.db = again.db;
            this.stamp = again.stamp;
            return;
          }
          const movedTo = `${this.dbPath}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
          const reason = (await this.describeUnreadable()) ?? 'unreadable';
          await fs.promises.rename(this.dbPath, movedTo);
          this.recovery = { movedTo, reason };
          this.log.warn(
            `The ML Sight store ${this.dbPath} could not be read (${reason}). It was moved to ${movedTo} and is being rebuilt from the workspace's files.`,
          );
        });
      }
      if (!this.db) {
        this.db = new Db(new this.SQL.Database());
        this.created = !this.recovery;
        this.stamp = undefined;
      }
    }
    this.configureConnection();
    const version = this.userVersion();
    if (version > SCHEMA_VERSION) {
      this.readonlyReason = `the store was written by a newer ML Sight (schema ${version}, this one knows ${SCHEMA_VERSION}); it is opened read-only`;
      this.log.warn(`${this.dbPath}: ${this.readonlyReason}.`);
      return;
    }
    if (version < SCHEMA_VERSION) {
      this.write(db => this.migrate(db));
    }
    if (this.created || this.recovery) {
      if (rebuild) {
        await rebuild(this);
      }
      await this.flush();
    }
  }

  /** Why the file cannot be opened, or undefined if it can. */
  private async describeUnreadable(): Promise<string | undefined> {
    try {
      const bytes = await fs.promises.readFile(this.dbPath);
      if (bytes.length === 0) {
        return 'the file is empty';
      }
      const db = new this.SQL.Database(bytes);
      try {
        this.validate(new Db(db));
      } finally {
        db.close();
      }
      return undefined;
    } catch (e) {
      return errorMessage(e);
    }
  }

  private validate(db: Db): void {
    const check = db.scalar<string>('PRAGMA quick_check');
    if (check !== 'ok') {
      throw new StoreError(`integrity check failed: ${check}`);
    }
    // a valid SQLite file that is not an ML Sight store (another tool's database at this path) is treated like an
    // unreadable one: moved aside and rebuilt, never migrated into (that fails on its tables) or written over
    const version = Number(db.scalar('PRAGMA user_version') ?? 0);
    const tables = db
      .all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      .map(r => r.name);
    const ours = tables.includes('runs') && tables.includes('meta') && tables.includes('experiments');
    if (version === 0 ? tables.length > 0 : !ours) {
      throw new StoreError(
        `not an ML Sight store: a SQLite database with ${tables.length ? `tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}` : 'no tables'} (user_version ${version})`,
      );
    }
  }

  /** Reads and validates the file; undefined when missing or unreadable. */
  private async loadFromDisk(): Promise<{ db: Db; stamp: FileStamp } | undefined> {
    const stamp = stampOf(this.dbPath);
    if (!stamp) {
      return undefined;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(this.dbPath);
    } catch {
      return undefined;
    }
    if (bytes.length === 0) {
      return undefined;
    }
    let raw: Database | undefined;
    try {
      raw = new this.SQL.Database(bytes);
      const db = new Db(raw);
      this.validate(db);
      // The stamp is taken before the read: if the file was replaced while we read, the next flush re-reads.
      return { db, stamp };
    } catch {
      raw?.close();
      return undefined;
    }
  }

  private configureConnection(): void {
    configure(this.db);
  }

  private userVersion(): number {
    return Number(this.db.scalar('PRAGMA user_version') ?? 0);
  }

  private migrate(db: Db): void {
    const from = Number(db.scalar('PRAGMA user_version') ?? 0);
    for (let v = from; v < SCHEMA_VERSION; v++) {
      db.raw.exec(MIGRATIONS[v]);
      // PRAGMA does not take bound parameters; v is an integer we control.
      db.raw.run(`PRAGMA user_version = ${v + 1}`);
    }
    if (from !== SCHEMA_VERSION) {
      this.log.info(`Store schema migrated from version ${from} to ${SCHEMA_VERSION}.`);
    }
  }

  private async writeOwnGitignore(): Promise<void> {
    // Only ML Sight's own folder: the user's .gitignore is never touched. The database is a rebuildable index;
    // the run logs and the registry's audit log next to it are what users may commit.
    const file = path.join(this.dir, '.gitignore');
    if (!fs.existsSync(file)) {
      await fs.promises
        .writeFile(
          file,
          '# Written by ML Sight: the database is rebuilt from the files next to it.\nmlsight.db\nmlsight.db.*\n',
          { flag: 'wx' },
        )
        .catch(() => undefined);
    }
  }

  get readOnly(): boolean {
    return this.readonlyReason !== undefined;
  }

  /** Runs a read against the in-memory database (it includes this process's not yet persisted writes). */
  read<T>(fn: (db: Db) => T): T {
    this.assertOpen();
    return fn(this.db);
  }

  /**
   * Applies a change now (in a transaction) and schedules persisting it. The mutation may be replayed on a
   * newer copy of the file written by another process, so it must be written as an upsert / idempotent change
   * that re-reads what it depends on.
   */
  write(mutation: Mutation): void {
    this.assertOpen();
    if (this.readonlyReason) {
      throw new StoreError(`Cannot write: ${this.readonlyReason}.`);
    }
    this.db.transaction(() => mutation(this.db));
    this.pending.push(mutation);
    this.changed.fire({ origin: 'local' });
    this.schedule();
  }

  /** write() and wait until it is on disk. */
  async writeNow(mutation: Mutation): Promise<void> {
    this.write(mutation);
    await this.flush();
  }

  private schedule(): void {
    if (this.timer || this.closed) {
      return;
    }
    const sinceLast = Date.now() - this.lastPersist.at;
    const budgetWait = (this.lastPersist.bytes / this.writeBudget) * 1000 - sinceLast;
    const delay = Math.max(this.persistDelayMs, budgetWait);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(e => this.log.error(`Could not save the ML Sight store: ${errorMessage(e)}`));
    }, delay);
  }

  /** Persists queued writes now. Resolves when they are on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.enqueue(() => this.persist());
  }

  /** Re-reads the file if another process replaced it; returns true if it did. */
  reloadIfChanged(): Promise<boolean> {
    return this.enqueue(async () => {
      if (this.closed || sameStamp(stampOf(this.dbPath), this.stamp)) {
        return false;
      }
      const changed = await this.reloadAndReplay();
      if (changed) {
        this.changed.fire({ origin: 'disk' });
      }
      return changed;
    });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async persist(): Promise<void> {
    if (this.pending.length === 0 && this.stamp) {
      return;
    }
    if (this.readonlyReason) {
      return;
    }
    await this.withLock(async () => {
      if (!sameStamp(stampOf(this.dbPath), this.stamp)) {
        if (await this.reloadAndReplay()) {
          this.changed.fire({ origin: 'disk' });
        }
      }
      await removeStaleTemps(this.dbPath);
      const persisted = this.pending.length;
      this.db.releaseStatements();
      const bytes = this.db.raw.export();
      this.configureConnection(); // export() closes and re-opens the database, which resets pragmas
      await atomicWrite(this.dbPath, bytes);
      this.lastPersist = { at: Date.now(), bytes: bytes.length };
      this.stats.persists++;
      this.stats.bytesWritten += bytes.length;
      this.stamp = stampOf(this.dbPath);
      this.pending.splice(0, persisted);
    });
    if (this.pending.length) {
      this.schedule();
    }
  }

  /** Loads the file written by another process and replays our unsaved writes on top of it. */
  private async reloadAndReplay(): Promise<boolean> {
    const loaded = await this.loadFromDisk();
    if (!loaded) {
      return false;
    }
    const fresh = loaded.db;
    try {
      configure(fresh);
      if (Number(fresh.scalar('PRAGMA user_version') ?? 0) < SCHEMA_VERSION) {
        fresh.transaction(() => this.migrate(fresh));
      }
      for (const m of this.pending) {
        try {
          fresh.transaction(() => m(fresh));
        } catch (e) {
          this.log.warn(`A change could not be re-applied after another window wrote the store: ${errorMessage(e)}`);
        }
      }
    } catch (e) {
      fresh.releaseStatements();
      fresh.raw.close();
      throw e;
    }
    const old = this.db;
    this.db = fresh;
    this.stamp = loaded.stamp;
    old.releaseStatements();
    old.raw.close();
    return true;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    let compromised: Error | undefined;
    const release = await lockfile.lock(this.dir, {
      lockfilePath: this.lockPath,
      realpath: false,
      stale: this.lockStaleMs,
      update: Math.floor(this.lockStaleMs / 2),
      retries: {
        retries: Math.ceil((this.lockStaleMs * 3) / 100),
        factor: 1.2,
        minTimeout: 10,
        maxTimeout: 100,
        randomize: true,
      },
      onCompromised: e => {
        compromised = e;
        this.log.warn(`Store lock lost: ${e.message}`);
      },
    });
    try {
      return await fn();
    } finally {
      if (!compromised) {
        await release().catch(e => this.log.warn(`Could not release the store lock: ${e.message}`));
      }
    }
  }

  info(): StoreInfo {
    this.assertOpen();
    const counts: Record<string, number> = {};
    for (const t of TABLES) {
      counts[t] = Number(this.db.scalar(`SELECT count(*) FROM ${t}`) ?? 0);
    }
    const stamp = stampOf(this.dbPath);
    return {
      folder: this.folder,
      path: this.dbPath,
      exists: !!stamp,
      sizeBytes: stamp?.size ?? 0,
      schemaVersion: this.userVersion(),
      expectedSchemaVersion: SCHEMA_VERSION,
      readOnly: this.readOnly,
      recovered: this.recovery,
      counts,
    };
  }

  /** Persists what is queued and frees the database. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    try {
      await this.flush();
    } finally {
      this.closed = true;
      if (this.timer) {
        clearTimeout(this.timer);
      }
      this.changed.dispose();
      this.db.releaseStatements();
      this.db.raw.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new StoreError('The ML Sight store is closed.');
    }
  }
}

/**
 * Connection settings. The database lives in sql.js's in-memory file system and reaches the disk only through
 * export() + atomicWrite, so SQLite's own journal file and syncs would only cost time: the rollback journal
 * stays in memory (transactions still roll back) and nothing is synced.
 */
function configure(db: Db): void {
  db.raw.run('PRAGMA foreign_keys = ON');
  db.raw.run('PRAGMA journal_mode = MEMORY');
  db.raw.run('PRAGMA synchronous = OFF');
  db.raw.run('PRAGMA temp_store = MEMORY');
}
