/**
 * Parquet tables (hyparquet: pure JavaScript; snappy-compressed and uncompressed files): top-level primitive
 * columns only, read by row range so `maxRows` bounds the work; a corrupt footer, schema or column chunk is a
 * DatasetError naming the file.
 */
import * as fs from 'fs';
import { ColumnBuilder } from './columns';
import { checkAbort, DatasetError, describe, Loaded, LoadOptions, uniqueNames } from './datasetFormat';

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

export async function parquetOpen(
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

export function leafColumns(metadata: ParquetMeta, file: string): { name: string; integer: boolean }[] {
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

export async function loadParquet(file: string, maxRows: number, options: LoadOptions): Promise<Loaded> {
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
