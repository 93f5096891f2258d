/**
 * Helpers shared by the MLflow (FileStore, SQLite) and TensorBoard readers: workspace-relative paths, the
 * ingest_state rows that remember what was read, prepared statements reused inside one store mutation, and
 * the counters a pass returns.
 *
 * ingest_state conventions used by src/core/ingest (one row per path, `path` relative to the workspace folder,
 * POSIX separators):
 * - an append-only file (MLflow metric file, TensorBoard event file): `offset` = bytes consumed, `size`/`mtime_ms`
 *   = what was seen, `line` = lines/records consumed, `run_id` = the store run. `line = -1` on an event file means
 *   "stopped" (its framing is corrupt; it is read again only if it shrinks).
 * - a run's `meta.yaml`: a fingerprint of meta.yaml + params/ + tags/ + inputs/ (`size` = meta.yaml bytes,
 *   `mtime_ms` = newest mtime (ms, fractional), `offset` = bytes of the other files, `line` = file count). `line = -1`: the
 *   file was reported unreadable (not reported again until it changes); `line = -2`: the run was skipped because
 *   another source already provides the same MLflow run id.
 * - `<mlflow.db path>`: the database file's size/mtime; `<db>#run:<uuid>` per-run fingerprints.
 * - `<source>#model:<name>`: an MLflow registered model this source owns (FileStore: fingerprint of its folder).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { BindParams, SqlValue, Statement } from 'sql.js';
import { Logger } from '../log';
import { Db } from '../store/db';

export const SOURCE_MLFLOW = 'mlflow';
export const SOURCE_TENSORBOARD = 'tensorboard';

/** Counters returned by one ingest pass (summed over all sources). */
export interface IngestCounts {
  /** Sources looked at in this pass. */
  mlflowFileStores: number;
  mlflowDatabases: number;
  tensorboardRuns: number;
  /** Experiments inserted or changed. */
  experiments: number;
  /** Runs whose row, params or tags were (re)written. */
  runs: number;
  /** Metric points inserted. */
  metricPoints: number;
  params: number;
  tags: number;
  /** Registered models (re)written. */
  models: number;
  /** Runs and experiments deleted because their files are gone. */
  removedRuns: number;
  removedExperiments: number;
  /** Runs skipped because another source already provides the same MLflow run id. */
  duplicateRuns: number;
  filesRead: number;
  bytesRead: number;
  /** Problems reported to the log (bad files, bad lines, checksum errors). */
  problems: number;
  /** Store run ids whose rows changed in this pass. */
  changedRuns: string[];
}

export function emptyCounts(): IngestCounts {
  return {
    mlflowFileStores: 0,
    mlflowDatabases: 0,
    tensorboardRuns: 0,
    experiments: 0,
    runs: 0,
    metricPoints: 0,
    params: 0,
    tags: 0,
    models: 0,
    removedRuns: 0,
    removedExperiments: 0,
    duplicateRuns: 0,
    filesRead: 0,
    bytesRead: 0,
    problems: 0,
    changedRuns: [],
  };
}

/** Workspace-relative POSIX path ('.' for the folder itself); absolute when outside the folder. */
export function relPath(folder: string, abs: string): string {
  const r = path.relative(folder, abs);
  if (r === '') {
    return '.';
  }
  if (r.startsWith('..') || path.isAbsolute(r)) {
    return abs.split(path.sep).join('/');
  }
  return r.split(path.sep).join('/');
}

/** `a/b` joined with a child name, treating '.' as the folder itself. */
export function joinRel(parent: string, child: string): string {
  return parent === '.' ? child : `${parent}/${child}`;
}

export interface StateRow {
  path: string;
  offset: number;
  size: number | null;
  mtime_ms: number | null;
  line: number;
  run_id: string | null;
}

/** All ingest_state rows whose path starts with `prefix`. */
export function stateRowsWithPrefix(db: Db, prefix: string): Map<string, StateRow> {
  const out = new Map<string, StateRow>();
  for (const r of db.all<StateRow>(
    'SELECT path, offset, size, mtime_ms, line, run_id FROM ingest_state WHERE substr(path, 1, length(?1)) = ?1',
    [prefix],
  )) {
    out.set(r.path, r);
  }
  return out;
}

export function getState(db: Db | Stmts, p: string): StateRow | undefined {
  return db.get<StateRow>('SELECT path, offset, size, mtime_ms, line, run_id FROM ingest_state WHERE path = ?', [p]);
}

const STATE_CONFLICT = `ON CONFLICT(path) DO UPDATE SET offset = excluded.offset, size = excluded.size, mtime_ms = excluded.mtime_ms,
    line = excluded.line, run_id = excluded.run_id`;
export const UPSERT_STATE = `INSERT INTO ingest_state (path, offset, size, mtime_ms, line, run_id) VALUES (?, ?, ?, ?, ?, ?) ${STATE_CONFLICT}`;

export function putState(s: Stmts, row: StateRow): void {
  s.run(UPSERT_STATE, [row.path, row.offset, row.size, row.mtime_ms, row.line, row.run_id]);
}

/** putState for many rows in few statements. */
export function putStates(s: Stmts, rows: readonly StateRow[]): void {
  s.insertMany(
    'INSERT INTO ingest_state (path, offset, size, mtime_ms, line, run_id)',
    rows.map(r => [r.path, r.offset, r.size, r.mtime_ms, r.line, r.run_id]),
    STATE_CONFLICT,
  );
}

/** Deletes ingest_state rows under a prefix (e.g. every file of a run folder, `run/`). */
export function deleteStatePrefix(s: Stmts, prefix: string): void {
  // A range on the primary key (paths starting with prefix sort between prefix and its successor), not a scan.
  if (prefix === '') {
    s.run('DELETE FROM ingest_state', []);
    return;
  }
  const end = prefixEnd(prefix);
  if (end === undefined) {
    s.run('DELETE FROM ingest_state WHERE substr(path, 1, length(?1)) = ?1', [prefix]);
    return;
  }
  s.run('DELETE FROM ingest_state WHERE path >= ? AND path < ? AND substr(path, 1, length(?3)) = ?3', [
    prefix,
    end,
    prefix,
  ]);
}

/**
 * A string greater than every string starting with `prefix` and smaller than any other greater string, in
 * SQLite's BINARY (UTF-8 byte) order: the prefix with its last character bumped by one. Undefined when the last
 * character is not a plain BMP character below the surrogates (callers fall back to a scan).
 */
export function prefixEnd(prefix: string): string | undefined {
  const last = prefix.charCodeAt(prefix.length - 1);
  return last < 0xd7ff ? prefix.slice(0, -1) + String.fromCharCode(last + 1) : undefined;
}

/**
 * Prepared statements reused for the length of one mutation (Db.run prepares per call, which dominates bulk
 * inserts). Always free() in a finally: sql.js frees open statements on export anyway, but not promptly.
 */
export class Stmts {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: Db) {}

  private st(sql: string): Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.raw.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  run(sql: string, params: BindParams): void {
    this.st(sql).run(params);
  }

  /**
   * Multi-row insert: `head` is `INSERT … (c1, …, cN)`, each row has N values, `tail` an optional ON CONFLICT
   * clause. One statement per up to 100 rows: in sql.js the cost of a statement call dwarfs that of a row.
   */
  insertMany(head: string, rows: readonly SqlValue[][], tail = ''): void {
    if (rows.length === 0) {
      return;
    }
    const width = rows[0].length;
    const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    for (let i = 0; i < rows.length; i += 100) {
      const part = rows.slice(i, i + 100);
      const flat: SqlValue[] = [];
      for (const r of part) {
        for (const v of r) {
          flat.push(v);
        }
      }
      this.run(`${head} VALUES ${Array.from({ length: part.length }, () => tuple).join(', ')} ${tail}`, flat);
    }
  }

  private readonly marks = new Set<string>();
  /** True if `mark` was seen before in this mutation (then nothing needs re-asserting); records it. */
  seen(mark: string): boolean {
    if (this.marks.has(mark)) {
      return true;
    }
    this.marks.add(mark);
    return false;
  }

  /** Rows changed by the last statement. */
  changes(): number {
    return this.db.raw.getRowsModified();
  }

  all<T>(sql: string, params: BindParams = []): T[] {
    const st = this.st(sql);
    const out: T[] = [];
    try {
      st.bind(params);
      while (st.step()) {
        out.push(st.getAsObject() as unknown as T);
      }
    } finally {
      st.reset();
    }
    return out;
  }

  get<T>(sql: string, params: BindParams = []): T | undefined {
    const st = this.st(sql);
    try {
      st.bind(params);
      return st.step() ? (st.getAsObject() as unknown as T) : undefined;
    } finally {
      st.reset();
    }
  }

  scalar(sql: string, params: BindParams = []): SqlValue | undefined {
    const st = this.st(sql);
    try {
      st.bind(params);
      return st.step() ? st.get()[0] : undefined;
    } finally {
      st.reset();
    }
  }

  free(): void {
    for (const st of this.cache.values()) {
      try {
        st.free();
      } catch {
        /* already freed */
      }
    }
    this.cache.clear();
  }
}

/** Runs fn with a Stmts on db and frees the statements afterwards. */
export function withStmts<T>(db: Db, fn: (s: Stmts) => T): T {
  const s = new Stmts(db);
  try {
    return fn(s);
  } finally {
    s.free();
  }
}

/** Parses metric values as MLflow writes them (Python str(float)): numbers, nan, inf, -inf (any case). */
export function parseNumber(text: string): number | undefined {
  if (text === '') {
    return undefined;
  }
  const n = Number(text);
  if (!Number.isNaN(n)) {
    return n;
  }
  switch (text.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

/** An integer from YAML/SQL (number, bigint or numeric string); undefined otherwise. */
export function toInt(v: unknown): number | undefined {
  if (typeof v === 'bigint') {
    return Number(v);
  }
  if (typeof v === 'number') {
    return Number.isFinite(v) ? Math.trunc(v) : undefined;
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) {
    return Number(v.trim());
  }
  return undefined;
}

/** An id from YAML/SQL kept verbatim as a string (18-digit MLflow ids exceed Number.MAX_SAFE_INTEGER). */
export function toIdString(v: unknown): string | undefined {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'bigint') {
    return v.toString();
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    return String(v);
  }
  return undefined;
}

export function toText(v: unknown): string | undefined {
  if (v === null || v === undefined) {
    return undefined;
  }
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') {
    return String(v);
  }
  return undefined;
}

/** 'true' / 'false' style flags (MLflow tag values) as 0/1, else null. */
export function flag(v: string | undefined): number | null {
  if (v === undefined) {
    return null;
  }
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === 'yes') {
    return 1;
  }
  if (s === 'false' || s === '0' || s === 'no') {
    return 0;
  }
  return null;
}

/** A 32-bit FNV-1a hash of a string, as a non-negative integer (fingerprints of small metadata). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Reads `length` bytes at `position` (short reads are retried until EOF). Returns fewer bytes only at EOF.
 */
export async function readRange(fh: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) {
      break;
    }
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** readRange for a file descriptor, synchronously (many small files: a thread-pool round trip costs more than the read). */
export function readRangeSync(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n === 0) {
      break;
    }
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

export async function statOrUndefined(p: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(p);
  } catch {
    return undefined;
  }
}

export async function readDirOrEmpty(p: string): Promise<fs.Dirent[]> {
  try {
    return await fs.promises.readdir(p, { withFileTypes: true });
  } catch {
    return [];
  }
}

export function readDirSyncOrEmpty(p: string): fs.Dirent[] {
  try {
    return fs.readdirSync(p, { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * A file's mtime in ms, with its sub-millisecond fraction (stored as a REAL in ingest_state.mtime_ms, which
 * SQLite allows; whole ms alone would miss two writes of the same size within one ms).
 */
export function fileMtime(st: fs.Stats): number {
  return st.mtimeMs;
}

/** Runs `fn` over items with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * VS Code-style glob → RegExp, matched against workspace-relative POSIX paths: `**` (any depth), `*`, `?`,
 * `{a,b}`, `[abc]` / `[!abc]`. A folder is tested as `rel/` so that `** /name/**` excludes the folder itself.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length;) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        if (atSegmentStart && glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 3;
          continue;
        }
        re += '.*';
        i += 2;
        continue;
      }
      re += '[^/]*';
      i++;
      continue;
    }
    if (c === '?') {
      re += '[^/]';
      i++;
      continue;
    }
    if (c === '{') {
      depth++;
      re += '(?:';
      i++;
      continue;
    }
    if (c === '}' && depth > 0) {
      depth--;
      re += ')';
      i++;
      continue;
    }
    if (c === ',' && depth > 0) {
      re += '|';
      i++;
      continue;
    }
    if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end > 0) {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) {
          cls = '^' + cls.slice(1);
        }
        re += `[${cls}]`;
        i = end + 1;
        continue;
      }
    }
    re += c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
    i++;
  }
  while (depth-- > 0) {
    re += ')';
  }
  return new RegExp(`^${re}$`);
}

export class Excluder {
  private readonly res: RegExp[];
  constructor(globs: readonly string[]) {
    this.res = globs
      .map(g => g.trim())
      .filter(g => g.length > 0)
      .map(g => globToRegExp(g.replace(/^\.\//, '')));
  }
  dir(rel: string): boolean {
    const p = `${rel}/`;
    return this.res.some(r => r.test(p) || r.test(rel));
  }
  file(rel: string): boolean {
    return this.res.some(r => r.test(rel));
  }
}

/** Logs a problem with a file as one line and counts it. */
export function problem(log: Logger, counts: IngestCounts, level: 'warn' | 'error', message: string): void {
  counts.problems++;
  log[level](message);
}

/**
 * Collects work items and writes them to the store in batches: one store.write per batch, so a cold ingest
 * of many runs is a few large transactions, not one per file. `apply` must be replay-safe (it is re-run on a
 * newer copy of the store if another process wrote it); counters are only passed to its first application.
 */
export class Batcher<W> {
  private works: W[] = [];
  private weight = 0;
  constructor(
    private readonly store: { write(m: (db: Db) => void): void },
    private readonly counts: IngestCounts,
    private readonly apply: (s: Stmts, works: W[], counts: IngestCounts | undefined) => void,
    private readonly weigh: (w: W) => number = () => 1,
    private readonly maxWeight = 200_000,
    /** Items per write; fewer when the items come from other threads, so that writing overlaps their reading. */
    public maxItems = 2_000,
  ) {}

  add(w: W): void {
    this.works.push(w);
    this.weight += this.weigh(w);
    if (this.weight >= this.maxWeight || this.works.length >= this.maxItems) {
      this.flush();
    }
  }

  flush(): void {
    if (this.works.length === 0) {
      return;
    }
    const works = this.works;
    this.works = [];
    this.weight = 0;
    let first = true;
    this.store.write(db => {
      withStmts(db, s => this.apply(s, works, first ? this.counts : undefined));
      first = false;
    });
  }
}
