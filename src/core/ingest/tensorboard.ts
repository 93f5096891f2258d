/**
 * TensorBoard event files (`*tfevents*`) → store, incrementally.
 *
 * A run is a directory holding event files (read in name order); its experiment is the logdir root: a
 * configured TensorBoard root, else the run directory's parent. Ids: experiment `tensorboard:<root path>`,
 * run `tensorboard:<run dir path>` (workspace-relative); runs.name is the run directory relative to the root,
 * runs.source = 'tensorboard', scalar summary tags are the metric keys.
 *
 * Framing: TFRecord (`u64le len | u32le masked_crc32c(len) | payload | u32le masked_crc32c(payload)`). A torn
 * last record is normal while training runs: reading stops there and resumes from the same offset when the
 * file grows. A record whose payload checksum fails is reported and skipped (its length was verified, so the
 * next record is found); a length whose checksum fails makes the rest of the file unreadable: it is reported
 * once and the file is not read further (ingest_state.line = -1) unless it is rewritten (shrinks).
 *
 * Scalars: `simple_value` (TF1, PyTorch default), or a one-element tensor when the tag's metadata (taken from
 * its first occurrence in the run; writers strip it later) says plugin "scalars" or data_class SCALAR: float_val
 * / double_val / int / half values, or raw little-endian tensor_content, for every numeric dtype.
 */
import * as fs from 'fs';
import * as path from 'path';
import { crc32c } from '@aws-crypto/crc32c';
import * as protobuf from 'protobufjs/light';
import { Logger } from '../log';
import { WorkspaceStore } from '../store/store';
import {
  Batcher,
  IngestCounts,
  SOURCE_TENSORBOARD,
  StateRow,
  Stmts,
  joinRel,
  fileMtime,
  problem,
  putState,
  readDirOrEmpty,
  readRange,
  relPath,
  statOrUndefined,
} from './common';
import { ExperimentRecord, Points, emptyPoints, pointSeq, upsertExperiment } from './rows';
import { CommonWork, workBatcher } from './work';
import { appendSeries, deleteSeries } from '../store/series';
import { errorMessage } from '../errors';

// ---------------------------------------------------------------------------------------------------------
// TFRecord framing

/** CRC-32C (Castagnoli). */
export function crc32cOf(data: Uint8Array): number {
  return crc32c(data) >>> 0;
}

/** TensorFlow's masked CRC: rotate right by 15 and add 0xa282ead8. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32cOf(data);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** Frames a payload as one TFRecord (used by tests to build fixtures, and handy for tools). */
export function encodeTfRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(16 + payload.length);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

/** Records larger than this are treated as corrupt framing (scalar events are tens of bytes; images MBs). */
const MAX_RECORD = 512 * 1024 * 1024;
const WINDOW = 4 * 1024 * 1024;

export type RecordProblem =
  { kind: 'length-crc' | 'too-large'; offset: number } | { kind: 'data-crc'; offset: number; length: number };

export interface ReadRecordsResult {
  /** Offset after the last complete record consumed (where the next pass starts). */
  offset: number;
  records: number;
  /** Complete records whose payload checksum failed (skipped). */
  badData: { offset: number; length: number }[];
  /** Set when the framing is broken at this offset: the file cannot be read further. */
  fatal?: RecordProblem;
}

/**
 * Reads TFRecords from [start, end) of an open file, calling onRecord for each verified payload. Stops before
 * a torn (incomplete) last record without treating it as an error.
 */
export async function readTfRecords(
  fh: fs.promises.FileHandle,
  start: number,
  end: number,
  onRecord: (payload: Buffer, offset: number) => void,
  stats?: { bytesRead: number },
): Promise<ReadRecordsResult> {
  const res: ReadRecordsResult = { offset: start, records: 0, badData: [] };
  let buf: Buffer = Buffer.alloc(0);
  let bufStart = start;
  let pos = start;
  /** Makes [pos, pos + n) available in buf; false if the file ends first. */
  const ensure = async (n: number): Promise<boolean> => {
    if (pos + n > end) {
      return false;
    }
    if (pos >= bufStart && pos + n <= bufStart + buf.length) {
      return true;
    }
    const len = Math.min(Math.max(n, WINDOW), end - pos);
    buf = await readRange(fh, pos, len);
    bufStart = pos;
    if (stats) {
      stats.bytesRead += buf.length;
    }
    return buf.length >= n;
  };
  while (pos < end) {
    if (!(await ensure(12))) {
      break;
    }
    const h = pos - bufStart;
    const lenBytes = buf.subarray(h, h + 8);
    if (maskedCrc32c(lenBytes) !== buf.readUInt32LE(h + 8)) {
      res.fatal = { kind: 'length-crc', offset: pos };
      break;
    }
    const big = buf.readBigUInt64LE(h);
    if (big > BigInt(MAX_RECORD)) {
      res.fatal = { kind: 'too-large', offset: pos };
      break;
    }
    const len = Number(big);
    if (!(await ensure(16 + len))) {
      break;
    } // torn last record: wait for the writer
    const p = pos - bufStart + 12;
    const payload = buf.subarray(p, p + len);
    if (maskedCrc32c(payload) !== buf.readUInt32LE(p + len)) {
      res.badData.push({ offset: pos, length: len });
    } else {
      onRecord(payload, pos);
    }
    pos += 16 + len;
    res.offset = pos;
    res.records++;
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------------
// Protobuf messages (tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto, ...): only the
// fields a scalar reader needs; other fields are skipped by the decoder.

const root = new protobuf.Root();
root.add(new protobuf.Type('TensorShapeProto_Dim').add(new protobuf.Field('size', 1, 'int64')));
root.add(new protobuf.Type('TensorShapeProto').add(new protobuf.Field('dim', 2, 'TensorShapeProto_Dim', 'repeated')));
root.add(
  new protobuf.Type('TensorProto')
    .add(new protobuf.Field('dtype', 1, 'int32'))
    .add(new protobuf.Field('tensor_shape', 2, 'TensorShapeProto'))
    .add(new protobuf.Field('tensor_content', 4, 'bytes'))
    .add(new protobuf.Field('float_val', 5, 'float', 'repeated'))
    .add(new protobuf.Field('double_val', 6, 'double', 'repeated'))
    .add(new protobuf.Field('int_val', 7, 'int32', 'repeated'))
    .add(new protobuf.Field('int64_val', 10, 'int64', 'repeated'))
    .add(new protobuf.Field('bool_val', 11, 'bool', 'repeated'))
    .add(new protobuf.Field('half_val', 13, 'int32', 'repeated'))
    .add(new protobuf.Field('uint32_val', 16, 'uint32', 'repeated'))
    .add(new protobuf.Field('uint64_val', 17, 'uint64', 'repeated')),
);
root.add(
  new protobuf.Type('PluginData')
    .add(new protobuf.Field('plugin_name', 1, 'string'))
    .add(new protobuf.Field('content', 2, 'bytes')),
);
root.add(
  new protobuf.Type('SummaryMetadata')
    .add(new protobuf.Field('plugin_data', 1, 'PluginData'))
    .add(new protobuf.Field('display_name', 2, 'string'))
    .add(new protobuf.Field('summary_description', 3, 'string'))
    .add(new protobuf.Field('data_class', 4, 'int32')),
);
root.add(
  new protobuf.Type('SummaryValue')
    .add(new protobuf.Field('tag', 1, 'string'))
    .add(new protobuf.Field('simple_value', 2, 'float'))
    .add(new protobuf.Field('node_name', 7, 'string'))
    .add(new protobuf.Field('tensor', 8, 'TensorProto'))
    .add(new protobuf.Field('metadata', 9, 'SummaryMetadata')),
);
root.add(new protobuf.Type('Summary').add(new protobuf.Field('value', 1, 'SummaryValue', 'repeated')));
root.add(
  new protobuf.Type('Event')
    .add(new protobuf.Field('wall_time', 1, 'double'))
    .add(new protobuf.Field('step', 2, 'int64'))
    .add(new protobuf.Field('file_version', 3, 'string'))
    .add(new protobuf.Field('summary', 5, 'Summary')),
);
root.resolveAll();

/** The reflected message types, exported for tests and tools. */
export const EventType = root.lookupType('Event');
export const SummaryType = root.lookupType('Summary');
export const TensorProtoType = root.lookupType('TensorProto');

export const DT = {
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  STRING: 7,
  INT64: 9,
  BOOL: 10,
  BFLOAT16: 14,
  UINT16: 17,
  HALF: 19,
  UINT32: 22,
  UINT64: 23,
} as const;
const DATA_CLASS_SCALAR = 1;

interface LongLike {
  toNumber(): number;
}
type Num = number | LongLike;
function num(v: Num | undefined | null): number | undefined {
  if (v === undefined || v === null) {
    return undefined;
  }
  return typeof v === 'number' ? v : v.toNumber();
}
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

interface TensorMsg {
  dtype?: number;
  tensor_shape?: { dim?: { size?: Num }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: Num[];
  bool_val?: boolean[];
  half_val?: number[];
  uint32_val?: number[];
  uint64_val?: Num[];
}
export interface MetadataMsg {
  plugin_data?: { plugin_name?: string };
  data_class?: number;
}
interface ValueMsg {
  tag?: string;
  simple_value?: number;
  tensor?: TensorMsg;
  metadata?: MetadataMsg;
}
interface EventMsg {
  wall_time?: number;
  step?: Num;
  summary?: { value?: ValueMsg[] };
}

/** IEEE half (binary16) bits → number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) {
    return s * f * 2 ** -24;
  }
  if (e === 0x1f) {
    return f ? NaN : s * Infinity;
  }
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits → number (the upper half of a float32). */
export function bfloat16ToNumber(h: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(((h & 0xffff) << 16) >>> 0);
  return b.readFloatLE(0);
}

/** The value of a one-element numeric tensor, or undefined. Lenient about dtype and shape (rank 0 or all 1s). */
export function tensorScalar(t: TensorMsg): number | undefined {
  let n = 1;
  for (const d of t.tensor_shape?.dim ?? []) {
    n *= num(d.size) ?? 0;
  }
  if (n !== 1) {
    return undefined;
  }
  const dtype = t.dtype ?? 0;
  const c = t.tensor_content;
  if (c && c.length > 0) {
    const b = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    const need = (k: number) => b.length >= k;
    switch (dtype) {
      case DT.FLOAT:
        return need(4) ? b.readFloatLE(0) : undefined;
      case DT.DOUBLE:
        return need(8) ? b.readDoubleLE(0) : undefined;
      case DT.INT32:
        return need(4) ? b.readInt32LE(0) : undefined;
      case DT.UINT32:
        return need(4) ? b.readUInt32LE(0) : undefined;
      case DT.INT64:
        return need(8) ? Number(b.readBigInt64LE(0)) : undefined;
      case DT.UINT64:
        return need(8) ? Number(b.readBigUInt64LE(0)) : undefined;
      case DT.INT16:
        return need(2) ? b.readInt16LE(0) : undefined;
      case DT.UINT16:
        return need(2) ? b.readUInt16LE(0) : undefined;
      case DT.INT8:
        return need(1) ? b.readInt8(0) : undefined;
      case DT.UINT8:
        return need(1) ? b.readUInt8(0) : undefined;
      case DT.BOOL:
        return need(1) ? (b[0] ? 1 : 0) : undefined;
      case DT.HALF:
        return need(2) ? halfToNumber(b.readUInt16LE(0)) : undefined;
      case DT.BFLOAT16:
        return need(2) ? bfloat16ToNumber(b.readUInt16LE(0)) : undefined;
      default:
        // Unknown dtype: guess from the byte count.
        return b.length === 4 ? b.readFloatLE(0) : b.length === 8 ? b.readDoubleLE(0) : undefined;
    }
  }
  const first = <T>(a: T[] | undefined) => (a && a.length ? a[0] : undefined);
  switch (dtype) {
    case DT.HALF: {
      const h = first(t.half_val);
      return h === undefined ? undefined : halfToNumber(h);
    }
    case DT.BFLOAT16: {
      const h = first(t.half_val);
      return h === undefined ? undefined : bfloat16ToNumber(h);
    }
    case DT.BOOL: {
      const v = first(t.bool_val);
      return v === undefined ? undefined : v ? 1 : 0;
    }
    default:
      break;
  }
  // float_val for FLOAT, double_val for DOUBLE, int_val for the small ints, ... and whichever is present otherwise.
  const byType: Record<number, () => number | undefined> = {
    [DT.FLOAT]: () => first(t.float_val),
    [DT.DOUBLE]: () => first(t.double_val),
    [DT.INT64]: () => num(first(t.int64_val)),
    [DT.UINT64]: () => num(first(t.uint64_val)),
    [DT.UINT32]: () => first(t.uint32_val),
  };
  const v = byType[dtype]?.();
  if (v !== undefined) {
    return v;
  }
  return (
    first(t.float_val) ??
    first(t.double_val) ??
    first(t.int_val) ??
    num(first(t.int64_val)) ??
    first(t.uint32_val) ??
    num(first(t.uint64_val))
  );
}

export interface ScalarPoint {
  tag: string;
  step: number;
  wallTimeMs: number;
  value: number;
}

/**
 * Decodes one event payload and returns its scalar values. `firstMeta` carries each tag's metadata from its
 * first occurrence in the run (filled here); `knownScalars` are tags already stored as scalars for the run.
 */
export function eventScalars(
  payload: Uint8Array,
  firstMeta: Map<string, MetadataMsg | null>,
  knownScalars: Set<string>,
): { points: ScalarPoint[]; wallTimeMs?: number } {
  const ev = EventType.decode(payload) as unknown as EventMsg;
  const wallTimeMs = ev.wall_time !== undefined ? Math.round(ev.wall_time * 1000) : undefined;
  const values = ev.summary?.value;
  if (!values || values.length === 0) {
    return { points: [], wallTimeMs };
  }
  const step = num(ev.step) ?? 0;
  const points: ScalarPoint[] = [];
  for (const v of values) {
    const tag = v.tag ?? '';
    if (!firstMeta.has(tag)) {
      firstMeta.set(tag, own(v, 'metadata') && v.metadata ? v.metadata : null);
    }
    let value: number | undefined;
    if (own(v, 'simple_value')) {
      value = v.simple_value;
    } else if (own(v, 'tensor') && v.tensor) {
      const m = firstMeta.get(tag) ?? (own(v, 'metadata') ? v.metadata : undefined);
      const scalar =
        knownScalars.has(tag) || m?.plugin_data?.plugin_name === 'scalars' || m?.data_class === DATA_CLASS_SCALAR;
      if (scalar) {
        value = tensorScalar(v.tensor);
      }
    }
    if (value !== undefined) {
      points.push({ tag, step, wallTimeMs: wallTimeMs ?? 0, value });
    }
  }
  return { points, wallTimeMs };
}

// ---------------------------------------------------------------------------------------------------------
// Ingest

export function tensorboardExperimentId(rootRel: string): string {
  return `tensorboard:${rootRel}`;
}
export function tensorboardRunId(runRel: string): string {
  return `tensorboard:${runRel}`;
}

export interface TensorboardRun {
  /** The run directory (absolute). */
  dir: string;
  /** The logdir root it belongs to (absolute): a configured root, else the run directory's parent. */
  root: string;
}

export interface TensorboardOptions {
  /** A run whose newest event file changed less than this long ago is RUNNING, else FINISHED (default 120 s). */
  runningWindowMs?: number;
  now?: number;
}

type RunWork = {
  kind: 'run';
  runId: string;
  exp: ExperimentRecord;
  name: string;
  runRel: string;
  status: string;
  firstMs?: number;
  lastMs?: number;
  reset: boolean;
  files: FileChunk[];
};
/** A run's status changed (its newest event file went quiet, or was written again). */
type StatusWork = { kind: 'status'; runId: string; status: string };
type OwnWork = RunWork | StatusWork;
type Work = CommonWork | OwnWork;

interface FileChunk {
  fileRel: string;
  expectedOffset: number;
  state: StateRow;
  series: Map<string, Points>;
}

function weigh(w: OwnWork): number {
  if (w.kind !== 'run') {
    return 1;
  }
  let n = 1;
  for (const f of w.files) {
    for (const p of f.series.values()) {
      n += p.values.length;
    }
  }
  return n;
}

function applyOwn(s: Stmts, w: OwnWork, counts: IngestCounts | undefined): void {
  if (w.kind === 'run') {
    applyRun(s, w, counts);
    return;
  }
  s.run('UPDATE runs SET status = ?, updated_at = ? WHERE id = ? AND status <> ?', [
    w.status,
    Date.now(),
    w.runId,
    w.status,
  ]);
  if (counts && s.changes() > 0) {
    counts.runs++;
    counts.changedRuns.push(w.runId);
  }
}

function applyRun(s: Stmts, w: RunWork, counts: IngestCounts | undefined): void {
  if (upsertExperiment(s, w.exp) && counts) {
    counts.experiments++;
  }
  if (w.reset) {
    // A file shrank or vanished: the run is read again from the start of every event file.
    deleteSeries(s, w.runId);
    s.run('DELETE FROM ingest_state WHERE run_id = ?', [w.runId]);
  }
  const cur = s.get<{ start_time: number | null; end_time: number | null; status: string }>(
    'SELECT start_time, end_time, status FROM runs WHERE id = ?',
    [w.runId],
  );
  const start = minDefined(w.reset ? undefined : (cur?.start_time ?? undefined), w.firstMs);
  const end = maxDefined(w.reset ? undefined : (cur?.end_time ?? undefined), w.lastMs);
  s.run(
    `INSERT INTO runs (id, experiment_id, name, status, start_time, end_time, source, source_path, lifecycle_stage, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)
         ON CONFLICT(id) DO UPDATE SET experiment_id = excluded.experiment_id, name = excluded.name, status = excluded.status,
           start_time = excluded.start_time, end_time = excluded.end_time, source = excluded.source, source_path = excluded.source_path,
           updated_at = excluded.updated_at`,
    [w.runId, w.exp.id, w.name, w.status, start ?? null, end ?? null, SOURCE_TENSORBOARD, w.runRel, Date.now()],
  );
  let points = 0;
  for (const f of w.files) {
    const st = s.get<{ offset: number }>('SELECT offset FROM ingest_state WHERE path = ?', [f.fileRel]);
    if ((st?.offset ?? 0) !== f.expectedOffset) {
      continue;
    } // applied already (replay)
    for (const [tag, p] of f.series) {
      appendSeries(s, w.runId, tag, pointSeq(p));
      points += p.values.length;
    }
    putState(s, f.state);
  }
  if (counts) {
    counts.runs++;
    counts.metricPoints += points;
    counts.changedRuns.push(w.runId);
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** Ingests the given TensorBoard runs; with `all`, also removes TensorBoard runs no longer in the list. */
export async function ingestTensorboardRuns(
  store: WorkspaceStore,
  log: Logger,
  runs: TensorboardRun[],
  counts: IngestCounts,
  options: TensorboardOptions & { removeMissing?: boolean; touches?: (rel: string) => boolean } = {},
): Promise<void> {
  const folder = store.folder;
  const batch = workBatcher<OwnWork>(store, counts, applyOwn, weigh);
  const now = options.now ?? Date.now();
  const windowMs = options.runningWindowMs ?? 120_000;
  const { stored, states } = store.read(db => ({
    stored: new Map(
      db
        .all<{ id: string; experiment_id: string; status: string; source_path: string | null }>(
          'SELECT id, experiment_id, status, source_path FROM runs WHERE source = ?',
          [SOURCE_TENSORBOARD],
        )
        .map(r => [r.id, r]),
    ),
    states: db.all<StateRow>(
      `SELECT path, offset, size, mtime_ms, line, run_id FROM ingest_state WHERE substr(run_id, 1, 12) = 'tensorboard:'`,
    ),
  }));
  const statesByRun = new Map<string, StateRow[]>();
  for (const r of states) {
    const l = statesByRun.get(r.run_id!);
    if (l) {
      l.push(r);
    } else {
      statesByRun.set(r.run_id!, [r]);
    }
  }
  const seen = new Set<string>();
  for (const run of runs) {
    const runRel = relPath(folder, run.dir);
    const rootRel = relPath(folder, run.root);
    const runId = tensorboardRunId(runRel);
    seen.add(runId);
    counts.tensorboardRuns++;
    try {
      await ingestRun(
        store,
        log,
        counts,
        batch,
        run,
        runRel,
        rootRel,
        runId,
        stored.get(runId),
        statesByRun.get(runId) ?? [],
        now,
        windowMs,
      );
    } catch (e) {
      problem(log, counts, 'error', `TensorBoard: ${runRel}: could not be read (${errorMessage(e)}); skipped.`);
    }
  }
  if (options.removeMissing) {
    for (const [id, r] of stored) {
      if (seen.has(id) || (options.touches && r.source_path && !options.touches(r.source_path))) {
        continue;
      }
      batch.add({ kind: 'deleteRun', runId: id, forget: { runId: id }, dropEmptyExperiment: r.experiment_id });
    }
  }
  batch.flush();
}

async function ingestRun(
  store: WorkspaceStore,
  log: Logger,
  counts: IngestCounts,
  batch: Batcher<Work>,
  run: TensorboardRun,
  runRel: string,
  rootRel: string,
  runId: string,
  stored: { status: string } | undefined,
  states: StateRow[],
  now: number,
  windowMs: number,
): Promise<void> {
  const files: { name: string; abs: string; rel: string; st: fs.Stats }[] = [];
  for (const d of await readDirOrEmpty(run.dir)) {
    if (!d.isFile() || !d.name.includes('tfevents')) {
      continue;
    }
    const abs = path.join(run.dir, d.name);
    const st = await statOrUndefined(abs);
    if (st) {
      files.push({ name: d.name, abs, rel: joinRel(runRel, d.name), st });
    }
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (files.length === 0) {
    // No event files left in the folder: it is no longer a run.
    if (stored || states.length) {
      batch.add({ kind: 'deleteRun', runId, forget: { runId }, dropEmptyExperiment: tensorboardExperimentId(rootRel) });
    }
    return;
  }
  const newest = Math.max(0, ...files.map(f => f.st.mtimeMs));
  const status = now - newest < windowMs ? 'RUNNING' : 'FINISHED';
  const stateByPath = new Map(states.map(s => [s.path, s]));
  // A file that shrank (rewritten) or vanished: the whole run is read again (points are not tied to files).
  const reset =
    files.some(f => {
      const s = stateByPath.get(f.rel);
      return !!s && f.st.size < s.offset;
    }) || states.some(s => !files.some(f => f.rel === s.path));
  const work = files.filter(f => {
    const s = reset ? undefined : stateByPath.get(f.rel);
    if (s && s.line === -1) {
      return false;
    } // stopped at corrupt framing
    return f.st.size > (s?.offset ?? 0);
  });
  const expName = rootRel === '.' ? path.basename(store.folder) : rootRel;
  const exp: ExperimentRecord = {
    id: tensorboardExperimentId(rootRel),
    name: expName,
    source: SOURCE_TENSORBOARD,
    artifactLocation: rootRel,
    lifecycleStage: 'active',
    createdAt: null,
  };
  const name =
    run.dir === run.root ? path.basename(run.dir) : path.relative(run.root, run.dir).split(path.sep).join('/');
  if (work.length === 0 && !reset) {
    if (stored && stored.status !== status) {
      batch.add({ kind: 'status', runId, status });
    }
    return;
  }
  const knownScalars = reset
    ? new Set<string>()
    : new Set(
        store.read(db =>
          db.all<{ key: string }>('SELECT key FROM latest_metrics WHERE run_id = ?', [runId]).map(r => r.key),
        ),
      );
  const firstMeta = new Map<string, MetadataMsg | null>();
  const out: RunWork = { kind: 'run', runId, exp, name, runRel, status, reset, files: [] };
  for (const f of work) {
    const prev = reset ? undefined : stateByPath.get(f.rel);
    const start = prev?.offset ?? 0;
    const series = new Map<string, Points>();
    let decodeErrors = 0;
    let firstDecodeError = '';
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(f.abs, 'r');
    } catch {
      continue;
    }
    let res: ReadRecordsResult;
    try {
      res = await readTfRecords(
        fh,
        start,
        f.st.size,
        (payload, offset) => {
          let r: ReturnType<typeof eventScalars>;
          try {
            r = eventScalars(payload, firstMeta, knownScalars);
          } catch (e) {
            if (decodeErrors++ === 0) {
              firstDecodeError = `at byte ${offset}: ${errorMessage(e)}`;
            }
            return;
          }
          if (r.wallTimeMs !== undefined && r.wallTimeMs > 0) {
            out.firstMs = minDefined(out.firstMs, r.wallTimeMs);
            out.lastMs = maxDefined(out.lastMs, r.wallTimeMs);
          }
          for (const p of r.points) {
            knownScalars.add(p.tag);
            let s = series.get(p.tag);
            if (!s) {
              s = emptyPoints();
              series.set(p.tag, s);
            }
            s.values.push(p.value);
            s.steps.push(p.step);
            s.ts.push(p.wallTimeMs);
          }
        },
        counts,
      );
    } finally {
      await fh.close();
    }
    counts.filesRead++;
    if (res.badData.length) {
      const b = res.badData[0];
      problem(
        log,
        counts,
        'warn',
        `TensorBoard: ${f.rel}: ${res.badData.length} record(s) with a bad checksum skipped (first at byte ${b.offset}, ${b.length} bytes).`,
      );
    }
    if (decodeErrors) {
      problem(
        log,
        counts,
        'warn',
        `TensorBoard: ${f.rel}: ${decodeErrors} record(s) are not valid events and were skipped (first ${firstDecodeError}).`,
      );
    }
    let line = (prev?.line ?? 0) + res.records;
    if (res.fatal) {
      const why =
        res.fatal.kind === 'length-crc'
          ? 'the record length fails its checksum'
          : 'a record claims an impossible length';
      problem(
        log,
        counts,
        'error',
        `TensorBoard: ${f.rel}: corrupt at byte ${res.fatal.offset} (${why}); the rest of this event file is not read.`,
      );
      line = -1;
    }
    if (res.offset === start && !res.fatal) {
      continue;
    } // only a torn record so far
    out.files.push({
      fileRel: f.rel,
      expectedOffset: reset ? 0 : start,
      series,
      state: { path: f.rel, offset: res.offset, size: f.st.size, mtime_ms: fileMtime(f.st), line, run_id: runId },
    });
  }
  if (out.files.length === 0 && !reset) {
    if (stored && stored.status !== status) {
      batch.add({ kind: 'status', runId, status });
    }
    if (stored) {
      return;
    }
  }
  batch.add(out);
}
