/**
 * What every table reader (./dataset, ./datasetParquet) shares: the Table and LoadOptions types, DatasetError,
 * format detection (by extension, else by content: gzip and Parquet magic bytes, a leading "{"), pandas' header
 * names, and the byte stream of a text data file decoded to UTF-8 (a BOM or the chosen encoding transcodes;
 * invalid UTF-8 is reported once as a warning).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Readable, Transform } from 'stream';
import { Column } from './columns';
import { CsvSyntaxError } from './csv';

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

export function describe(file: string): string {
  return path.basename(file);
}

export async function statFile(file: string): Promise<fs.Stats> {
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

export async function readHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function sniffFormat(file: string): Promise<{ format: TableFormat; gzip: boolean }> {
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

export function byteStream(
  file: string,
  gzip: boolean,
  onBytes: (n: number) => void,
  options: LoadOptions = {},
): Readable {
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

export function checkAbort(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) {
    throw new DatasetError(`reading ${describe(file)} was cancelled`, file);
  }
}

export function wrapError(e: unknown, file: string): Error {
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

export type Loaded = { rows: number; truncated: boolean; columns: Column[] };
