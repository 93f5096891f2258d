/**
 * Loads a table (CSV, TSV, JSON Lines — each optionally gzip-compressed — or Parquet) into typed columns
 * (./columns), streaming: the file is read in 1 MB chunks and only the columns' typed arrays are kept, so memory
 * is bounded by rows × columns × 8 bytes, and `maxRows` bounds the rows (a larger file is read up to the limit
 * and the table says it was truncated). Every problem is a DatasetError naming the file and, for text formats,
 * the line: a ragged row, an unclosed quote, a JSON line that is not an object, a ".parquet" file that is not
 * Parquet. Column names are data: any text is allowed (duplicates get pandas' ".1" suffixes, empty names
 * "Unnamed: i"). Shared types, format detection and encodings: ./datasetFormat; Parquet: ./datasetParquet.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { MAX_JSON_DEPTH, parseJsonLimited } from '../jsonl';
import { ColumnBuilder } from './columns';
import { CsvRecord, CsvRecordSink, CsvTokenizer, fieldText, NOT_SIMPLE, SIMPLE_INT, sniffDelimiter } from './csv';
import {
  byteStream,
  checkAbort,
  DatasetError,
  DEFAULT_MAX_ROWS,
  describe,
  Loaded,
  LoadOptions,
  readHead,
  sniffFormat,
  statFile,
  Table,
  TableFormat,
  uniqueNames,
  wrapError,
} from './datasetFormat';
import { leafColumns, loadParquet, parquetOpen } from './datasetParquet';

export {
  DATA_ENCODINGS,
  DATA_FILE_EXTENSIONS,
  DatasetError,
  DEFAULT_MAX_ROWS,
  formatOf,
  isDataFile,
  uniqueNames,
} from './datasetFormat';
export type { DataEncoding, LoadOptions, Table, TableFormat } from './datasetFormat';

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
