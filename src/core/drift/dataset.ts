/**
 * Loads a table (CSV, TSV, JSON Lines — each optionally gzip-compressed — or Parquet) into typed columns
 * (./columns), streaming: the file is read in 1 MB chunks and only the columns' typed arrays are kept, so memory
 * is bounded by rows × columns × 8 bytes, and `maxRows` bounds the rows (a larger file is read up to the limit
 * and the table says it was truncated). Every problem is a DatasetError naming the file and, for text formats,
 * the line: a ragged row, an unclosed quote, a JSON line that is not an object, a ".parquet" file that is not
 * Parquet. Column names are data: any text is allowed (duplicates get pandas' ".1" suffixes, empty names
 * "Unnamed: i").
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Readable, Transform } from 'stream';
import { MAX_JSON_DEPTH, parseJsonLimited } from '../jsonl';
import { Column, ColumnBuilder } from './columns';
import {
  CsvRecord,
  CsvRecordSink,
  CsvSyntaxError,
  CsvTokenizer,
  fieldText,
  NOT_SIMPLE,
  SIMPLE_INT,
  sniffDelimiter,
} from './csv';

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

export interface Table {
  path: string;
  format: TableFormat;
  gzip: boolean;
  /** data rows read (after the header) */
  rows: number;
  /** the file has more rows than maxRows; only the first maxRows were read */
  truncated: boolean;
  sizeBytes: number;
  columns: Column[];
  /** what the reader had to guess or repair (an encoding from a BOM, bytes that were not valid UTF-8) */
  warnings?: string[];
}

/** Text encodings of data files: UTF-8 (default; a UTF-8 or UTF-16 BOM is honoured), ISO-8859-1, Windows-1252. */
export const DATA_ENCODINGS = ['utf8', 'latin1', 'cp1252'] as const;
export type DataEncoding = (typeof DATA_ENCODINGS)[number];

export interface LoadOptions {
  /** read at most this many data rows (default DEFAULT_MAX_ROWS) */
  maxRows?: number;
  /** only these columns (by name); the others are skipped while reading */
  columns?: readonly string[];
  /** called now and then with the fraction of the file read */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** text encoding of CSV/TSV/JSON Lines files (default utf8; a BOM wins) */
  encoding?: DataEncoding;
  /** where the reader puts its warnings (loadTable passes them on as Table.warnings) */
  warnings?: string[];
}

export const DEFAULT_MAX_ROWS = 5_000_000;

export class DatasetError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

export const DATA_FILE_EXTENSIONS = ['csv', 'tsv', 'tab', 'jsonl', 'ndjson', 'parquet', 'pq'] as const;

/** The format a file name implies (by extension, `.gz` allowed for text formats); undefined when unknown. */
export function formatOf(file: string): { format: TableFormat; gzip: boolean } | undefined {
  let name = path.basename(file).toLowerCase();
  const gzip = name.endsWith('.gz');
  if (gzip) {
    name = name.slice(0, -3);
  }
  const ext = name.slice(name.lastIndexOf('.') + 1);
  if (ext === 'csv' || ext === 'txt') {
    return { format: 'csv', gzip };
  }
  if (ext === 'tsv' || ext === 'tab') {
    return { format: 'tsv', gzip };
  }
  if (ext === 'jsonl' || ext === 'ndjson' || ext === 'json') {
    return { format: 'jsonl', gzip };
  }
  if ((ext === 'parquet' || ext === 'pq') && !gzip) {
    return { format: 'parquet', gzip };
  }
  return undefined;
}

/** Whether ML Sight can read this file as a table. */
export function isDataFile(file: string): boolean {
  return formatOf(file) !== undefined;
}

function describe(file: string): string {
  return path.basename(file);
}

async function statFile(file: string): Promise<fs.Stats> {
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) {
      throw new DatasetError(`${describe(file)} is not a file`, file);
    }
    return st;
  } catch (e) {
    if (e instanceof DatasetError) {
      throw e;
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(
      code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(e as Error).message}`,
      file,
    );
  }
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function sniffFormat(file: string): Promise<{ format: TableFormat; gzip: boolean }> {
  const known = formatOf(file);
  const head = await readHead(file, 4);
  const gzipMagic = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const parquetMagic = head.length === 4 && head.toString('latin1') === 'PAR1';
  if (known) {
    if (known.format === 'parquet' && !parquetMagic) {
      throw new DatasetError(`${describe(file)} is not a Parquet file (it does not start with the bytes "PAR1")`, file);
    }
    if (known.gzip && !gzipMagic) {
      throw new DatasetError(`${describe(file)} is not gzip-compressed`, file);
    }
    return known;
  }
  if (parquetMagic) {
    return { format: 'parquet', gzip: false };
  }
  if (gzipMagic) {
    return { format: 'csv', gzip: true };
  }
  const text = (await readHead(file, 256)).toString('utf8').trimStart();
  return { format: text.startsWith('{') ? 'jsonl' : 'csv', gzip: false };
}

/** pandas' names for duplicate and empty header names ("a", "a.1", …; "Unnamed: 3"). */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw, i) => {
    let name = raw === '' ? `Unnamed: ${i}` : raw;
    if (seen.has(name)) {
      let k = 1;
      while (seen.has(`${name}.${k}`)) {
        k++;
      }
      name = `${name}.${k}`;
    }
    seen.add(name);
    return name;
  });
}

function byteStream(file: string, gzip: boolean, onBytes: (n: number) => void, options: LoadOptions = {}): Readable {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  raw.on('data', (c: Buffer | string) => onBytes(c.length));
  let bytes: Readable = raw;
  if (gzip) {
    const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
    raw.on('error', e => gunzip.destroy(e));
    bytes = raw.pipe(gunzip);
  }
  return asUtf8(bytes, file, options);
}

/**
 * The bytes of a text data file as UTF-8: a UTF-16 BOM or `encoding` latin1/cp1252 transcodes; UTF-8 (the default)
 * passes through, checked as it goes: the first invalid sequence adds one warning (the decoder replaces such bytes
 * with U+FFFD, so "café" in Latin-1 would silently become "caf�").
 */
function asUtf8(bytes: Readable, file: string, options: LoadOptions): Readable {
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  let checker: InstanceType<typeof TextDecoder> | undefined = new TextDecoder('utf-8', { fatal: true });
  let first = true;
  let offset = 0;
  const warn = (m: string) => {
    options.warnings?.push(m);
  };
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (first) {
        first = false;
        const bom16 =
          chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff));
        if (bom16) {
          decoder = new TextDecoder(chunk[0] === 0xff ? 'utf-16le' : 'utf-16be');
          warn(`${describe(file)}: read as ${chunk[0] === 0xff ? 'UTF-16 LE' : 'UTF-16 BE'} (byte order mark)`);
        } else if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          decoder = undefined; // UTF-8 with a BOM: the readers drop the BOM
        } else if (options.encoding === 'latin1' || options.encoding === 'cp1252') {
          decoder = new TextDecoder(options.encoding === 'cp1252' ? 'windows-1252' : 'latin1');
        }
        if (decoder) {
          checker = undefined;
        }
      }
      if (decoder) {
        done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
        return;
      }
      if (checker) {
        try {
          checker.decode(chunk, { stream: true });
        } catch {
          checker = undefined;
          warn(
            `${describe(file)} is not valid UTF-8 (in the 1 MB from byte ${offset}); the invalid bytes were replaced with U+FFFD. ` +
              'If it is a Latin-1 or Windows file, read it with --encoding latin1 or cp1252 (setting mlsight.drift.encoding)',
          );
        }
      }
      offset += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      const tail = decoder?.decode();
      done(null, tail ? Buffer.from(tail, 'utf8') : undefined);
    },
  });
  bytes.on('error', e => out.destroy(e));
  out.on('close', () => bytes.destroy()); // a reader that stops early closes the file too
  return bytes.pipe(out);
}

function checkAbort(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) {
    throw new DatasetError(`reading ${describe(file)} was cancelled`, file);
  }
}

/** Loads a table from a file (format by extension, else by content). */
export async function loadTable(file: string, options: LoadOptions = {}): Promise<Table> {
  const st = await statFile(file);
  const { format, gzip } = await sniffFormat(file);
  const maxRows = Math.max(0, options.maxRows ?? DEFAULT_MAX_ROWS);
  const warnings: string[] = [];
  options = { ...options, warnings };
  const base = { path: file, format, gzip, sizeBytes: st.size, warnings };
  if (format === 'jsonl' && (await isPredictionLog(file, gzip))) {
    return { ...base, ...(await loadPredictionLog(file, gzip, st.size, maxRows, options)) };
  }
  if (format === 'parquet') {
    return { ...base, ...(await loadParquet(file, maxRows, options)) };
  }
  if (format === 'jsonl') {
    return { ...base, ...(await loadJsonLines(file, gzip, st.size, maxRows, options)) };
  }
  return { ...base, ...(await loadDelimited(file, gzip, format === 'tsv' ? 9 : 44, st.size, maxRows, options)) };
}

/** Column names of a table, reading as little as possible (the header line, the Parquet footer, 100 JSON lines). */
export async function readColumnNames(file: string): Promise<{ format: TableFormat; columns: string[] }> {
  await statFile(file);
  const { format, gzip } = await sniffFormat(file);
  if (format === 'parquet') {
    const { metadata, close } = await parquetOpen(file);
    await close();
    return { format, columns: uniqueNames(leafColumns(metadata, file).map(c => c.name)) };
  }
  if (format === 'jsonl') {
    const t = (await isPredictionLog(file, gzip))
      ? await loadPredictionLog(file, gzip, 0, 100, {})
      : await loadJsonLines(file, gzip, 0, 100, {});
    return { format, columns: t.columns.map(c => c.name) };
  }
  const t = await loadDelimited(file, gzip, format === 'tsv' ? 9 : 44, 0, 0, {});
  return { format, columns: t.columns.map(c => c.name) };
}

type Loaded = { rows: number; truncated: boolean; columns: Column[] };

async function loadDelimited(
  file: string,
  gzip: boolean,
  fallbackDelimiter: number,
  size: number,
  maxRows: number,
  options: LoadOptions,
): Promise<Loaded> {
  let delimiter = -1;
  let builders: (ColumnBuilder | null)[] | null = null;
  let names: string[] = [];
  let rows = 0;
  let truncated = false;
  let read = 0;
  let lastReport = 0;
  const want = options.columns ? new Set(options.columns) : null;
  const capacity = Math.max(16, Math.min(maxRows, 65536, size > 0 ? Math.ceil(size / 8) : 1024));
  let tokenizer: CsvTokenizer | undefined;
  let reserved = false;
  const sink: CsvRecordSink = {
    record(r: CsvRecord): void {
      const { buf, starts, ends, flags, kinds, numbers, count, line } = r;
      if (!builders) {
        names = uniqueNames(Array.from({ length: count }, (_, i) => fieldText(buf, starts[i], ends[i], flags[i])));
        // the first guess of rows is the file's bytes over the row's width, never bytes alone times columns: a wide
        // file (20,000 columns) would otherwise reserve columns² cells before its first row
        const perColumn = Math.max(16, Math.min(capacity, Math.ceil(capacity / Math.max(1, count))));
        builders = names.map(n => (!want || want.has(n) ? new ColumnBuilder(n, perColumn) : null));
        if (maxRows === 0) {
          truncated = true;
          tokenizer!.stopped = true;
        }
        return;
      }
      if (count !== builders.length) {
        throw new DatasetError(
          `${describe(file)}, line ${line}: expected ${builders.length} field${builders.length === 1 ? '' : 's'} (as in the header), found ${count}`,
          file,
          line,
        );
      }
      if (rows >= maxRows) {
        truncated = true;
        tokenizer!.stopped = true;
        return;
      }
      for (let i = 0; i < count; i++) {
        const b = builders[i];
        if (!b) {
          continue;
        }
        const k = kinds[i];
        if (k !== NOT_SIMPLE) {
          b.pushParsed(numbers[i], k === SIMPLE_INT, buf, starts[i], ends[i]);
        } else {
          b.pushField(buf, starts[i], ends[i], flags[i], line);
        }
      }
      rows++;
    },
  };
  const stream = byteStream(
    file,
    gzip,
    n => {
      read += n;
      if (options.onProgress && size > 0 && read - lastReport > 8 << 20) {
        lastReport = read;
        options.onProgress(Math.min(1, read / size));
      }
    },
    options,
  );
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      checkAbort(options.signal, file);
      if (!tokenizer) {
        delimiter = sniffDelimiter(chunk, fallbackDelimiter);
        tokenizer = new CsvTokenizer(delimiter, sink);
      }
      tokenizer.push(chunk);
      if (tokenizer.stopped) {
        break;
      }
      if (!reserved && !gzip && size > 0 && rows > 0 && builders) {
        // room for the whole file at once, from the first chunk's bytes per row (no repeated doubling)
        reserved = true;
        const estimate = Math.min(maxRows, Math.ceil(((rows * size) / chunk.length) * 1.02) + 64);
        for (const b of builders as (ColumnBuilder | null)[]) {
          b?.reserve(estimate);
        }
      }
    }
    if (tokenizer && !tokenizer.stopped) {
      tokenizer.end();
    }
  } catch (e) {
    throw wrapError(e, file);
  } finally {
    stream.destroy();
  }
  if (!builders) {
    throw new DatasetError(`${describe(file)} is empty (no header line)`, file);
  }
  const bs: (ColumnBuilder | null)[] = builders;
  return { rows, truncated, columns: bs.filter((b): b is ColumnBuilder => b !== null).map(b => b.finish()) };
}

function wrapError(e: unknown, file: string): Error {
  if (e instanceof DatasetError) {
    return e;
  }
  if (e instanceof CsvSyntaxError) {
    return new DatasetError(
      `${describe(file)}: ${e.message.startsWith('line') ? e.message : `line ${e.line}: ${e.message}`}`,
      file,
      e.line,
    );
  }
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
    return new DatasetError(`${describe(file)}: the gzip data is corrupt or truncated`, file);
  }
  return new DatasetError(`cannot read ${describe(file)}: ${e instanceof Error ? e.message : String(e)}`, file);
}

const MAX_JSON_ARRAY_BYTES = 512 << 20;

async function startsWithBracket(file: string, gzip: boolean): Promise<boolean> {
  let head = await readHead(file, 4096);
  if (gzip) {
    try {
      head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  return head
    .toString('utf8')
    .replace(/^\ufeff/, '')
    .trimStart()
    .startsWith('[');
}

async function loadJsonLines(
  file: string,
  gzip: boolean,
  size: number,
  maxRows: number,
  options: LoadOptions,
): Promise<Loaded> {
  const builders = new Map<string, ColumnBuilder>();
  const order: ColumnBuilder[] = [];
  const want = options.columns ? new Set(options.columns) : null;
  let rows = 0;
  let truncated = false;
  const handle = (text: string, line: number): boolean => {
    const t = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1).trim() : text.trim();
    if (!t) {
      return true;
    }
    if (rows >= maxRows) {
      truncated = true;
      return false;
    }
    let obj: unknown;
    try {
      obj = parseJsonLimited(t);
    } catch (e) {
      throw new DatasetError(`${describe(file)}, line ${line}: not valid JSON (${(e as Error).message})`, file, line);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new DatasetError(
        `${describe(file)}, line ${line}: expected a JSON object, found ${Array.isArray(obj) ? 'an array' : JSON.stringify(obj)?.slice(0, 40)}`,
        file,
        line,
      );
    }
    addRow(obj as Record<string, unknown>, line);
    return true;
  };
  const addRow = (obj: Record<string, unknown>, line: number): void => {
    for (const key of Object.keys(obj)) {
      if (want && !want.has(key)) {
        continue;
      }
      let b = builders.get(key);
      if (!b) {
        b = new ColumnBuilder(key, 1024);
        for (let i = 0; i < rows; i++) {
          b.pushMissing();
        }
        builders.set(key, b);
        order.push(b);
      }
      b.pushValue(obj[key], line);
    }
    rows++;
    for (const b of order) {
      if (b.length < rows) {
        b.pushMissing();
      }
    }
  };
  if (await startsWithBracket(file, gzip)) {
    // a JSON array of records (pandas' orient="records"), read whole
    if (size > MAX_JSON_ARRAY_BYTES) {
      throw new DatasetError(
        `${describe(file)} is a JSON array larger than ${MAX_JSON_ARRAY_BYTES >> 20} MB; write it as JSON Lines (one object per line) to stream it`,
        file,
      );
    }
    let data: unknown;
    try {
      const bytes = await fs.promises.readFile(file);
      data = parseJsonLimited((gzip ? zlib.gunzipSync(bytes) : bytes).toString('utf8'), MAX_JSON_DEPTH + 1);
    } catch (e) {
      throw new DatasetError(`${describe(file)}: not valid JSON (${(e as Error).message})`, file);
    }
    if (!Array.isArray(data)) {
      throw new DatasetError(`${describe(file)}: expected an array of objects`, file);
    }
    for (let i = 0; i < data.length; i++) {
      if (rows >= maxRows) {
        truncated = true;
        break;
      }
      const obj = data[i];
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new DatasetError(`${describe(file)}: item ${i + 1} of the array is not an object`, file);
      }
      addRow(obj as Record<string, unknown>, i + 1);
    }
    return { rows, truncated, columns: order.map(b => b.finish()) };
  }
  await forEachLine(file, gzip, size, options, handle);
  return { rows, truncated, columns: order.map(b => b.finish()) };
}

// ---------------------------------------------------------------------------------------------------------------
// Prediction logs of the Python logger (mlsight.log_prediction / log_label): .mlsight/predictions/<model>.jsonl,
// one {"id", "ts", "features": {…}, "prediction"[, "label"]} per prediction and {"id", "ts", "label"} per label
// that arrived later. Read as a table: one column per feature, then "prediction", "label" (the prediction's own
// label, replaced by the last late label with its id) and "timestamp" (ts as a UTC date-time). A feature named
// like one of those three becomes "features.<name>".

export const PREDICTION_COLUMNS = ['prediction', 'label', 'timestamp'] as const;

/** Whether a file is a prediction log: under .mlsight/predictions/, or JSON Lines whose first object is a prediction. */
export async function isPredictionLog(file: string, gzip = false): Promise<boolean> {
  const parts = path.resolve(file).split(/[\\/]/);
  const n = parts.length;
  if (n >= 3 && parts[n - 3] === '.mlsight' && parts[n - 2] === 'predictions' && /\.jsonl$/i.test(parts[n - 1])) {
    return true;
  }
  if (gzip) {
    return false;
  }
  try {
    const head = (await readHead(file, 64 * 1024)).toString('utf8').replace(/^\ufeff/, '');
    const nl = head.indexOf('\n');
    if (nl < 0 && head.length >= 64 * 1024) {
      return false;
    }
    const obj = parseJsonLimited<Record<string, unknown>>(nl < 0 ? head : head.slice(0, nl));
    return (
      !!obj &&
      typeof obj === 'object' &&
      'id' in obj &&
      'prediction' in obj &&
      !!obj.features &&
      typeof obj.features === 'object' &&
      !Array.isArray(obj.features)
    );
  } catch {
    return false;
  }
}

/** Splits a (possibly gzip) text file into lines, streaming; `handle` returns false to stop. */
async function forEachLine(
  file: string,
  gzip: boolean,
  size: number,
  options: LoadOptions,
  handle: (text: string, line: number) => boolean,
): Promise<void> {
  let line = 0;
  let carry = '';
  let read = 0;
  let lastReport = 0;
  const decoder = new TextDecoder('utf-8');
  const stream = byteStream(
    file,
    gzip,
    n => {
      read += n;
      if (options.onProgress && size > 0 && read - lastReport > 8 << 20) {
        lastReport = read;
        options.onProgress(Math.min(1, read / size));
      }
    },
    options,
  );
  let stopped = false;
  try {
    outer: for await (const chunk of stream as AsyncIterable<Buffer>) {
      checkAbort(options.signal, file);
      const text = carry + decoder.decode(chunk, { stream: true });
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) {
          break;
        }
        line++;
        if (!handle(text.slice(start, nl), line)) {
          stopped = true;
          break outer;
        }
        start = nl + 1;
      }
      carry = text.slice(start);
      if (carry.length > 64 << 20) {
        throw new DatasetError(`${describe(file)}, line ${line + 1}: a line longer than 64 MB`, file, line + 1);
      }
    }
    if (!stopped) {
      carry += decoder.decode();
      if (carry.trim()) {
        handle(carry, line + 1);
      }
    }
  } catch (e) {
    throw wrapError(e, file);
  } finally {
    stream.destroy();
  }
}

function nonFiniteJson(v: unknown): unknown {
  if (v === 'NaN') {
    return NaN;
  }
  if (v === 'Infinity') {
    return Infinity;
  }
  if (v === '-Infinity') {
    return -Infinity;
  }
  return v;
}

async function loadPredictionLog(
  file: string,
  gzip: boolean,
  size: number,
  maxRows: number,
  options: LoadOptions,
): Promise<Loaded> {
  const want = options.columns ? new Set(options.columns) : null;
  const features = new Map<string, ColumnBuilder | null>();
  const order: ColumnBuilder[] = [];
  const prediction = !want || want.has('prediction') ? new ColumnBuilder('prediction', 1024) : null;
  const timestamp = !want || want.has('timestamp') ? new ColumnBuilder('timestamp', 1024) : null;
  const wantLabel = !want || want.has('label');
  const ids: string[] = [];
  const labels: unknown[] = [];
  const late = new Map<string, unknown>();
  let rows = 0;
  let truncated = false;
  const idOf = (v: unknown, line: number): string => {
    if (typeof v === 'string' && v !== '') {
      return v;
    }
    if (typeof v === 'number' && Number.isFinite(v)) {
      return String(v);
    }
    throw new DatasetError(
      `${describe(file)}, line ${line}: a prediction log line needs an "id" (a string)`,
      file,
      line,
    );
  };
  await forEachLine(file, gzip, size, options, (raw, line) => {
    const t = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1).trim() : raw.trim();
    if (!t) {
      return true;
    }
    let obj: Record<string, unknown>;
    try {
      obj = parseJsonLimited<Record<string, unknown>>(t);
    } catch (e) {
      throw new DatasetError(`${describe(file)}, line ${line}: not valid JSON (${(e as Error).message})`, file, line);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new DatasetError(`${describe(file)}, line ${line}: expected a JSON object`, file, line);
    }
    const id = idOf(obj.id, line);
    if (!('features' in obj)) {
      if (!('label' in obj)) {
        throw new DatasetError(
          `${describe(file)}, line ${line}: neither a prediction ("features", "prediction") nor a label ("label")`,
          file,
          line,
        );
      }
      late.set(id, obj.label);
      return true;
    }
    // later predictions are skipped once maxRows are read, but their late labels are still joined
    if (rows >= maxRows) {
      truncated = true;
      return true;
    }
    const f = obj.features;
    if (!f || typeof f !== 'object' || Array.isArray(f)) {
      throw new DatasetError(`${describe(file)}, line ${line}: "features" must be an object`, file, line);
    }
    for (const [key, value] of Object.entries(f as Record<string, unknown>)) {
      let b = features.get(key);
      if (b === undefined) {
        const name = (PREDICTION_COLUMNS as readonly string[]).includes(key) ? `features.${key}` : key;
        b = !want || want.has(name) ? new ColumnBuilder(name, 1024) : null;
        if (b) {
          for (let i = 0; i < rows; i++) {
            b.pushMissing();
          }
          order.push(b);
        }
        features.set(key, b);
      }
      b?.pushValue(nonFiniteJson(value), line);
    }
    prediction?.pushValue(nonFiniteJson(obj.prediction), line);
    if (timestamp) {
      const ts = obj.ts;
      if (typeof ts === 'number' && Number.isFinite(ts)) {
        timestamp.pushValue(new Date(ts), line);
      } else if (typeof ts === 'string') {
        timestamp.pushValue(ts, line);
      } else {
        timestamp.pushMissing();
      }
    }
    if (wantLabel) {
      ids.push(id);
      labels.push('label' in obj ? obj.label : undefined);
    }
    rows++;
    for (const b of order) {
      if (b.length < rows) {
        b.pushMissing();
      }
    }
    return true;
  });
  const columns = order.map(b => b.finish());
  if (prediction) {
    columns.push(prediction.finish());
  }
  if (wantLabel) {
    const label = new ColumnBuilder('label', Math.max(16, rows));
    for (let i = 0; i < rows; i++) {
      label.pushValue(nonFiniteJson(late.has(ids[i]) ? late.get(ids[i]) : labels[i]));
    }
    columns.push(label.finish());
  }
  if (timestamp) {
    columns.push(timestamp.finish());
  }
  return { rows, truncated, columns };
}

// ---------------------------------------------------------------------------------------------------------------
// Parquet (hyparquet: pure JavaScript; snappy-compressed and uncompressed files)

type ParquetMeta = import('hyparquet').FileMetaData;

/** A hyparquet AsyncBuffer over an open file (reads only the byte ranges hyparquet asks for). */
async function fileBuffer(file: string): Promise<{ buffer: import('hyparquet').AsyncBuffer; close(): Promise<void> }> {
  const fh = await fs.promises.open(file, 'r');
  const { size } = await fh.stat();
  return {
    buffer: {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size);
        const len = Math.max(0, stop - start);
        const out = new Uint8Array(len);
        let off = 0;
        while (off < len) {
          const { bytesRead } = await fh.read(out, off, len - off, start + off);
          if (!bytesRead) {
            break;
          }
          off += bytesRead;
        }
        return out.buffer;
      },
    },
    close: () => fh.close(),
  };
}

/** hyparquet's own errors say what is wrong; an internal TypeError/RangeError on corrupt bytes does not. */
function parquetProblem(e: unknown, corrupt: string): string {
  if (e instanceof TypeError || e instanceof RangeError || !(e instanceof Error)) {
    return corrupt;
  }
  return e.message;
}

async function parquetOpen(
  file: string,
): Promise<{ buffer: import('hyparquet').AsyncBuffer; metadata: ParquetMeta; close(): Promise<void> }> {
  const hp = await import('hyparquet');
  const fb = await fileBuffer(file);
  try {
    const metadata = await hp.parquetMetadataAsync(fb.buffer);
    return { buffer: fb.buffer, metadata, close: fb.close };
  } catch (e) {
    await fb.close();
    throw new DatasetError(
      `${describe(file)} is not a readable Parquet file: ${parquetProblem(e, 'its footer (schema and row groups) is corrupt or truncated')}`,
      file,
    );
  }
}

function leafColumns(metadata: ParquetMeta, file: string): { name: string; integer: boolean }[] {
  try {
    return parquetLeafColumns(metadata);
  } catch (e) {
    throw new DatasetError(
      `${describe(file)} is not a readable Parquet file: ${parquetProblem(e, 'its schema is corrupt')}`,
      file,
    );
  }
}

/** Top-level primitive columns of a Parquet schema (nested columns are not tables' columns). */
function parquetLeafColumns(metadata: ParquetMeta): { name: string; integer: boolean }[] {
  const schema = metadata.schema;
  const out: { name: string; integer: boolean }[] = [];
  // schema[0] is the root; walk its children, skipping nested groups with their descendants
  let i = 1;
  const skip = (): void => {
    const el = schema[i++];
    for (let k = 0; k < (el.num_children ?? 0); k++) {
      skip();
    }
  };
  const rootChildren = schema[0]?.num_children ?? 0;
  for (let c = 0; c < rootChildren && i < schema.length; c++) {
    const el = schema[i];
    if (el.num_children) {
      skip();
      continue;
    }
    i++;
    const integer =
      ((el.type === 'INT32' || el.type === 'INT64') && !el.logical_type && !el.converted_type) ||
      el.converted_type === 'INT_8' ||
      el.converted_type === 'INT_16' ||
      el.converted_type === 'INT_32' ||
      el.converted_type === 'INT_64' ||
      el.converted_type === 'UINT_8' ||
      el.converted_type === 'UINT_16' ||
      el.converted_type === 'UINT_32' ||
      el.converted_type === 'UINT_64' ||
      el.logical_type?.type === 'INTEGER';
    out.push({ name: el.name, integer: !!integer });
  }
  return out;
}

async function loadParquet(file: string, maxRows: number, options: LoadOptions): Promise<Loaded> {
  const hp = await import('hyparquet');
  const { buffer, metadata, close } = await parquetOpen(file);
  const total = Number(metadata.num_rows);
  let leaves: { name: string; integer: boolean }[];
  try {
    leaves = leafColumns(metadata, file).filter(c => !options.columns || options.columns.includes(c.name));
  } catch (e) {
    await close();
    throw e;
  }
  const names = uniqueNames(leaves.map(l => l.name));
  const rows = Math.min(total, maxRows);
  // a corrupt footer can claim any row count: reserve at most 65,536 rows up front (columns grow as data arrives)
  const builders = names.map(n => new ColumnBuilder(n, Math.max(16, Math.min(rows, 65_536) || 16)));
  try {
    const scan = await hp.parquetScan({ file: buffer, metadata, columns: leaves.map(l => l.name) });
    let done = 0;
    for (const range of scan.ranges) {
      if (range.rowStart >= rows) {
        break;
      }
      const end = Math.min(range.rowEnd, rows);
      for (let c = 0; c < leaves.length; c++) {
        checkAbort(options.signal, file);
        const data = await scan.readColumn({ column: leaves[c].name, rowStart: range.rowStart, rowEnd: end });
        const b = builders[c];
        const integer = leaves[c].integer;
        if (data instanceof Float64Array || data instanceof Float32Array) {
          for (let k = 0; k < data.length; k++) {
            b.pushNumber(data[k], false);
          }
        } else if (data instanceof Int32Array || data instanceof Uint32Array) {
          for (let k = 0; k < data.length; k++) {
            b.pushNumber(data[k], true);
          }
        } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
          for (let k = 0; k < data.length; k++) {
            b.pushNumber(Number(data[k]), true);
          }
        } else {
          const arr = data as ArrayLike<unknown>;
          for (let k = 0; k < arr.length; k++) {
            b.pushValue(arr[k], range.rowStart + k + 1, integer);
          }
        }
      }
      done = end;
      options.onProgress?.(done / Math.max(1, rows));
    }
  } catch (e) {
    if (e instanceof DatasetError) {
      throw e;
    }
    throw new DatasetError(
      `${describe(file)}: cannot read the Parquet data: ${parquetProblem(e, 'a column chunk is corrupt or truncated')}`,
      file,
    );
  } finally {
    await close();
  }
  return { rows, truncated: total > rows, columns: builders.map(b => b.finish()) };
}
