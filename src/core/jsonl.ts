/**
 * Incremental JSON Lines parsing: only complete lines (ending in "\n") are consumed, so a writer that is in the
 * middle of a line (or crashed in it) is waited on, not reported as an error.
 */
import { errorMessage } from './errors';

export interface JsonlChunk<T> {
  records: { line: number; value: T }[];
  errors: { line: number; message: string }[];
  /** Bytes consumed from the start of the buffer (up to and including the last newline). */
  consumed: number;
  /** Lines consumed. */
  lines: number;
  /** True if bytes after the last newline were left for later. */
  partialTail: boolean;
}

export function parseJsonl<T = unknown>(buf: Buffer, firstLine = 1): JsonlChunk<T> {
  const out: JsonlChunk<T> = { records: [], errors: [], consumed: 0, lines: 0, partialTail: false };
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) { break; }
    const lineNo = firstLine + out.lines;
    const text = buf.toString('utf8', start, nl).replace(/\r$/, '');
    out.lines++;
    start = nl + 1;
    if (text.trim() === '') { continue; }
    try {
      out.records.push({ line: lineNo, value: JSON.parse(text) as T });
    } catch (e) {
      out.errors.push({ line: lineNo, message: errorMessage(e) });
    }
  }
  out.consumed = start;
  out.partialTail = start < buf.length;
  return out;
}
