/**
 * ML Sight's own run logs (`.mlsight/runs/<run id>/events.jsonl`, written by python/mlsight.py): the one reader
 * of their lines (readRunLog, with a fast path for the logger's metric lines), used by ingestion (below) and by
 * full histories (core/runs/history.ts), and the ingestion of what is new in each log into the store.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Logger } from '../log';
import { readRangeSync } from './common';
import { errorMessage } from '../errors';
import { gitRefProblem, validBranch, validCommit } from '../git';
import { parseJsonLimited } from '../jsonl';
import { Db } from '../store/db';
import { Points, appendSeries, deleteSeries, emptyPoints, pointSeq } from '../store/series';
import { STORE_DIR, WorkspaceStore } from '../store/store';
import {
  FEATURE_IMPORTANCE_PREFIX,
  RUN_STATUSES,
  RunEvent,
  parseMetricValue,
  paramText,
  validateEvent,
} from '../runs/format';

export const RUNS_DIR = 'runs';
export const EVENTS_FILE = 'events.jsonl';
/** Prefix of the tags the logger's own events become (mlsight.python, mlsight.seed, mlsight.traceback, …). */
export const MLSIGHT_TAG = 'mlsight.';
/** Read at most this much of one file per pass, so a huge log cannot stall the editor. */
const MAX_CHUNK = 32 * 1024 * 1024;

/** A line of a run log that was skipped: not JSON (`json` false) or not a valid event. */
export interface RunLogProblem {
  line: number;
  message: string;
  json: boolean;
}

/**
 * A metric line exactly as the Python logger writes it (python/mlsight.py, Run.log_metric): read with a regular
 * expression instead of JSON.parse, which is several times slower; anything else goes through JSON.parse.
 */
const LOGGER_METRIC =
  /^\{"type":"metric","key":"([^"\\\x00-\x1f]+)","value":(-?[0-9][0-9.eE+-]*|"NaN"|"Infinity"|"-Infinity"),"step":(-?[0-9]{1,15}),"ts":([0-9]{1,15})\}\r?$/;

/**
 * Reads the complete lines of a run log (or of a chunk of one that starts at a line boundary): calls onEvent for
 * every valid event and onProblem for every line that is skipped (not JSON, or an event validateEvent rejects).
 * Blank lines are skipped silently; bytes after the last newline (a line being written) are not read.
 * `firstLine` numbers the first line. Returns what was consumed: bytes (of a Buffer; characters of a string)
 * and lines.
 */
export function readRunLog(
  data: Buffer | string,
  firstLine: number,
  onEvent: (e: RunEvent, line: number) => void,
  onProblem?: (p: RunLogProblem) => void,
): { consumed: number; lines: number } {
  let text: string;
  let consumed: number;
  if (typeof data === 'string') {
    consumed = data.lastIndexOf('\n') + 1;
    text = data;
  } else {
    consumed = data.lastIndexOf(0x0a) + 1;
    // a newline byte is never part of a multi-byte UTF-8 sequence: decoding the complete lines at once is exact
    text = data.toString('utf8', 0, consumed);
  }
  let lines = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      break;
    }
    const lineNo = firstLine + lines;
    const line = text.slice(start, nl);
    start = nl + 1;
    lines++;
    if (line.startsWith('{"type":"metric","key":"')) {
      const m = LOGGER_METRIC.exec(line);
      if (m) {
        const raw = m[2];
        const value = raw.charCodeAt(0) === 0x22 ? raw.slice(1, -1) : Number(raw);
        if (typeof value === 'string' || Number.isFinite(value)) {
          onEvent({ type: 'metric', key: m[1], value, step: Number(m[3]), ts: Number(m[4]) }, lineNo);
          continue;
        }
      }
    }
    if (line.trim() === '') {
      continue;
    }
    const parsed = parseLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    if ('error' in parsed) {
      onProblem?.({ line: lineNo, message: parsed.error, json: false });
      continue;
    }
    const problem = validateEvent(parsed.value);
    if (problem) {
      onProblem?.({ line: lineNo, message: problem, json: true });
      continue;
    }
    onEvent(parsed.value as RunEvent, lineNo);
  }
  return { consumed, lines };
}

/** The reader's one call to JSON parsing (values nested deeper than the JSON depth limit are refused). */
function parseLine(line: string): { value: unknown } | { error: string } {
  try {
    return { value: parseJsonLimited(line) };
  } catch (e) {
    return { error: errorMessage(e) };
  }
}

export function runsRoot(folder: string): string {
  return path.join(folder, STORE_DIR, RUNS_DIR);
}

export interface IngestResult {
  files: number;
  events: number;
  errors: number;
  changedRuns: string[];
}

/** Lists the event files of ML Sight's own run logs in a workspace folder. */
export async function listRunLogs(folder: string): Promise<string[]> {
  const root = runsRoot(folder);
  const entries = await fs.promises.readdir(root, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
  const files: string[] = [];
  for (const d of entries) {
    if (!d.isDirectory()) {
      continue;
    }
    const f = path.join(root, d.name, EVENTS_FILE);
    if (fs.existsSync(f)) {
      files.push(f);
    }
  }
  return files.sort();
}

/**
 * Reads what is new in each run log since the last pass (offsets are kept in the store's ingest_state) and
 * writes it to the store. A truncated or half-written last line is left for the next pass; a bad line is
 * reported once (with its line number) and skipped; a file that shrank is read again from the start.
 */
export async function ingestMlsightRuns(store: WorkspaceStore, log: Logger, files?: string[]): Promise<IngestResult> {
  const result: IngestResult = { files: 0, events: 0, errors: 0, changedRuns: [] };
  const prefix = `${STORE_DIR}/${RUNS_DIR}/`;
  const states = store.read(
    db =>
      new Map(
        db
          .all<{ path: string; offset: number; line: number; run_id: string | null }>(
            'SELECT path, offset, line, run_id FROM ingest_state WHERE substr(path, 1, length(?1)) = ?1',
            [prefix],
          )
          .map(r => [r.path, r]),
      ),
  );
  // Files are applied in batches (one store write for many run logs): a cold start over thousands of runs would
  // otherwise pay a transaction, a change event and a replay entry per file.
  let batch: { rel: string; apply: (db: Db) => void; run: () => string }[] = [];
  let batchEvents = 0;
  const flush = () => {
    if (batch.length === 0) {
      return;
    }
    const todo = batch;
    batch = [];
    batchEvents = 0;
    store.write(db => {
      for (const f of todo) {
        // one file that cannot be stored (a value SQLite or JSON.stringify refuses) never takes the others down
        const e = db.isolated(() => f.apply(db));
        if (e) {
          log.error(`${f.rel}: could not be stored (${e.message}); skipped, and read again on the next pass.`);
        }
      }
    });
    for (const f of todo) {
      result.changedRuns.push(f.run());
    }
  };
  let lastYield = performance.now();
  for (const file of files ?? (await listRunLogs(store.folder))) {
    if (performance.now() - lastYield > 25) {
      await new Promise(r => setImmediate(r));
      lastYield = performance.now();
    }
    const rel = path.relative(store.folder, file).split(path.sep).join('/');
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue;
    }
    const state =
      states.get(rel) ??
      (rel.startsWith(prefix)
        ? undefined
        : store.read(db =>
            db.get<{ offset: number; line: number; run_id: string | null }>(
              'SELECT offset, line, run_id FROM ingest_state WHERE path = ?',
              [rel],
            ),
          ));
    let offset = state?.offset ?? 0;
    let line = state?.line ?? 0;
    let restart = false;
    if (stat.size < offset) {
      offset = 0;
      line = 0;
      restart = true;
    }
    if (stat.size === offset) {
      continue;
    }
    const length = Math.min(stat.size - offset, MAX_CHUNK);
    let buf: Buffer;
    try {
      const fd = fs.openSync(file, 'r');
      try {
        buf = readRangeSync(fd, offset, length);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue;
    }
    const events: RunEvent[] = [];
    const chunk = readRunLog(
      buf,
      line + 1,
      (e, n) => {
        if (e.type === 'git') {
          const problem = gitRefProblem((e as { commit?: unknown }).commit, (e as { branch?: unknown }).branch);
          if (problem) {
            log.warn(`${rel}:${n}: ${problem}.`);
          }
        }
        events.push(e);
      },
      p => {
        log.warn(
          p.json
            ? `${rel}:${p.line}: ${p.message}; line skipped.`
            : `${rel}:${p.line}: not valid JSON (${p.message}); line skipped.`,
        );
        result.errors++;
      },
    );
    if (chunk.consumed === 0 && length === MAX_CHUNK) {
      log.error(`${rel}: line ${line + 1} is longer than ${MAX_CHUNK} bytes; the rest of this run log is skipped.`);
      flush();
      store.write(db => setState(db, rel, stat.size, stat.size, stat.mtimeMs, line + 1, state?.run_id ?? null));
      continue;
    }
    if (chunk.consumed === 0) {
      continue;
    }
    const fallbackRunId = path.basename(path.dirname(file));
    const expectedOffset = state?.offset ?? 0;
    const newOffset = offset + chunk.consumed;
    const newLine = line + chunk.lines;
    let runId = state?.run_id ?? fallbackRunId;
    batch.push({
      rel,
      apply: db => {
        // Idempotent under replay: only apply if the store's offset is still where this pass started.
        const cur = db.get<{ offset: number }>('SELECT offset FROM ingest_state WHERE path = ?', [rel]);
        if ((cur?.offset ?? 0) !== expectedOffset) {
          return;
        }
        if (restart && state?.run_id) {
          deleteRun(db, state.run_id);
        }
        runId = applyEvents(db, events, runId, rel, expectedOffset === 0);
        setState(db, rel, newOffset, stat.size, stat.mtimeMs, newLine, runId);
      },
      run: () => runId,
    });
    batchEvents += events.length;
    result.files++;
    result.events += events.length;
    if (batch.length >= 500 || batchEvents >= 50_000) {
      flush();
    }
  }
  flush();
  return result;
}

function setState(
  db: Db,
  rel: string,
  offset: number,
  size: number,
  mtime: number,
  line: number,
  runId: string | null,
): void {
  db.run(
    `INSERT INTO ingest_state (path, offset, size, mtime_ms, line, run_id) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET offset = excluded.offset, size = excluded.size, mtime_ms = excluded.mtime_ms,
       line = excluded.line, run_id = excluded.run_id`,
    [rel, offset, size, Math.round(mtime), line, runId],
  );
}

function deleteRun(db: Db, runId: string): void {
  db.run('DELETE FROM runs WHERE id = ?', [runId]);
}

export function experimentIdFor(name: string): string {
  return `mlsight:${name}`;
}

function ensureRun(db: Db, runId: string, rel: string, ts: number | undefined): void {
  const exists = db.scalar('SELECT 1 FROM runs WHERE id = ?', [runId]);
  if (exists) {
    return;
  }
  const expId = experimentIdFor('Default');
  db.run(`INSERT OR IGNORE INTO experiments (id, name, source, created_at) VALUES (?, 'Default', 'mlsight', ?)`, [
    expId,
    ts ?? Date.now(),
  ]);
  db.run(
    `INSERT INTO runs (id, experiment_id, status, start_time, source, source_path, updated_at) VALUES (?, ?, 'RUNNING', ?, 'mlsight', ?, ?)`,
    [runId, expId, ts ?? null, rel, Date.now()],
  );
}

/**
 * Applies parsed events of one run log; returns the run id (taken from the "run" event when present).
 * `fromStart`: the log is read from its first line, so the metric series it feeds start over.
 */
function applyEvents(db: Db, events: RunEvent[], runId: string, rel: string, fromStart: boolean): string {
  let ensured: string | undefined;
  // metric points by run and key, in log order, written as series at the end
  const series = new Map<string, Map<string, Points>>();
  const point = (key: string, step: number, ts: number | null, value: number) => {
    let byKey = series.get(runId);
    if (!byKey) {
      byKey = new Map();
      series.set(runId, byKey);
    }
    let p = byKey.get(key);
    if (!p) {
      p = emptyPoints();
      byKey.set(key, p);
    }
    p.steps.push(step);
    p.ts.push(ts);
    p.values.push(value);
  };
  for (const e of events) {
    if (e.type === 'run') {
      runId = e.run_id;
      const expName = e.experiment?.trim() || 'Default';
      const expId = experimentIdFor(expName);
      db.run(`INSERT OR IGNORE INTO experiments (id, name, source, created_at) VALUES (?, ?, 'mlsight', ?)`, [
        expId,
        expName,
        e.ts ?? Date.now(),
      ]);
      db.run(
        `INSERT INTO runs (id, experiment_id, name, status, start_time, source, source_path, description, updated_at)
         VALUES (?, ?, ?, 'RUNNING', ?, 'mlsight', ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET experiment_id = excluded.experiment_id, name = excluded.name,
           start_time = excluded.start_time, description = excluded.description, updated_at = excluded.updated_at`,
        [runId, expId, e.name ?? null, e.start_time ?? e.ts ?? null, rel, e.description ?? null, Date.now()],
      );
      for (const [k, v] of Object.entries(e.tags ?? {})) {
        upsertTag(db, runId, k, paramText(v));
      }
      continue;
    }
    if (ensured !== runId) {
      ensureRun(db, runId, rel, e.ts);
      ensured = runId;
    }
    switch (e.type) {
      case 'param':
        db.run(
          `INSERT INTO params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value`,
          [runId, e.key, paramText(e.value)],
        );
        break;
      case 'metric':
        point(e.key, e.step ?? 0, e.timestamp ?? e.ts ?? null, parseMetricValue(e.value) as number);
        break;
      case 'tag':
        upsertTag(db, runId, e.key, paramText(e.value));
        break;
      case 'git':
        db.run('UPDATE runs SET git_commit = ?, git_branch = ?, git_dirty = ? WHERE id = ?', [
          validCommit(e.commit),
          validBranch(e.branch),
          e.dirty === undefined ? null : e.dirty ? 1 : 0,
          runId,
        ]);
        if (typeof e.root === 'string' && e.root) {
          upsertTag(db, runId, `${MLSIGHT_TAG}git.root`, e.root);
        }
        if (e.diff_truncated) {
          upsertTag(db, runId, `${MLSIGHT_TAG}git.diff_truncated`, 'true');
        }
        break;
      case 'artifact':
        upsertArtifact(db, runId, e.path, e.kind ?? 'file', e.size, e.sha256);
        break;
      case 'dataset':
        db.run(
          `INSERT INTO datasets (run_id, name, role, path, digest, rows, schema_json) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(run_id, name, role) DO UPDATE SET path = excluded.path, digest = excluded.digest, rows = excluded.rows, schema_json = excluded.schema_json`,
          [
            runId,
            e.name,
            e.role ?? 'train',
            e.path ?? null,
            e.digest ?? null,
            e.rows ?? null,
            e.schema === undefined ? null : JSON.stringify(e.schema),
          ],
        );
        break;
      case 'env':
        // The environment becomes tags mlsight.python, mlsight.platform, mlsight.command, mlsight.script, …
        for (const [k, v] of Object.entries(e)) {
          if (k === 'type' || k === 'ts' || v === null || v === undefined) {
            continue;
          }
          upsertTag(db, runId, `${MLSIGHT_TAG}${k}`, paramText(v));
        }
        break;
      case 'seed':
        upsertTag(db, runId, `${MLSIGHT_TAG}seed`, String(e.seed));
        if (Array.isArray(e.libraries)) {
          upsertTag(db, runId, `${MLSIGHT_TAG}seed.libraries`, e.libraries.map(String).join(','));
        }
        if (typeof e.deterministic === 'boolean') {
          upsertTag(db, runId, `${MLSIGHT_TAG}seed.deterministic`, String(e.deterministic));
        }
        if (typeof e.pythonhashseed === 'string') {
          upsertTag(db, runId, `${MLSIGHT_TAG}seed.pythonhashseed`, e.pythonhashseed);
        }
        break;
      case 'model':
        upsertArtifact(db, runId, e.path, 'model', e.size, e.sha256);
        upsertTag(db, runId, `${MLSIGHT_TAG}model.${e.name}`, e.path);
        if (e.class) {
          upsertTag(db, runId, `${MLSIGHT_TAG}model.${e.name}.class`, String(e.class));
        }
        if (typeof e.registered_name === 'string' && e.registered_name) {
          // a registration request, honoured once by Registry.registerRequested (keyed by register_id)
          upsertTag(db, runId, `${MLSIGHT_TAG}model.${e.name}.registered_name`, e.registered_name);
          upsertTag(
            db,
            runId,
            `${MLSIGHT_TAG}model.${e.name}.register_id`,
            typeof e.register_id === 'string' && e.register_id ? e.register_id : `${runId}:${e.path}`,
          );
        }
        break;
      case 'feature_importance': {
        const ts = e.ts ?? null;
        e.names.forEach((name, i) =>
          point(`${FEATURE_IMPORTANCE_PREFIX}${name}`, e.step ?? 0, ts, parseMetricValue(e.values[i]) as number),
        );
        break;
      }
      case 'end': {
        const status = RUN_STATUSES.includes(e.status as never) ? (e.status as string) : 'FINISHED';
        db.run('UPDATE runs SET status = ?, end_time = ?, updated_at = ? WHERE id = ?', [
          status,
          e.end_time ?? e.ts ?? null,
          Date.now(),
          runId,
        ]);
        if (e.error) {
          upsertTag(db, runId, `${MLSIGHT_TAG}error`, String(e.error));
        }
        if (e.traceback) {
          upsertTag(db, runId, `${MLSIGHT_TAG}traceback`, String(e.traceback));
        }
        if (e.signal) {
          upsertTag(db, runId, `${MLSIGHT_TAG}signal`, String(e.signal));
        }
        break;
      }
    }
  }
  for (const [id, byKey] of series) {
    if (fromStart) {
      deleteSeries(db, id);
    }
    for (const [key, p] of byKey) {
      appendSeries(db, id, key, pointSeq(p));
    }
  }
  return runId;
}

function upsertArtifact(
  db: Db,
  runId: string,
  p: string,
  kind: string,
  size: number | undefined,
  sha256: string | undefined,
): void {
  db.run(
    `INSERT INTO artifacts (run_id, path, kind, size, sha256) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT(run_id, path) DO UPDATE SET kind = excluded.kind, size = excluded.size, sha256 = excluded.sha256`,
    [runId, p, kind, size ?? null, sha256 ?? null],
  );
}

function upsertTag(db: Db, runId: string, key: string, value: string): void {
  db.run(
    'INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value',
    [runId, key, value],
  );
}
