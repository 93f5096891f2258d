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
    if (nl < 0) {
      break;
    }
    const lineNo = firstLine + out.lines;
    const text = buf.toString('utf8', start, nl).replace(/\r$/, '');
    out.lines++;
    start = nl + 1;
    if (text.trim() === '') {
      continue;
    }
    try {
      out.records.push({ line: lineNo, value: parseJsonLimited<T>(text) });
    } catch (e) {
      out.errors.push({ line: lineNo, message: errorMessage(e) });
    }
  }
  out.consumed = start;
  out.partialTail = start < buf.length;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Limits for JSON read from workspace files. JSON.parse itself copes with deep nesting, but everything after it
// (JSON.stringify, structured clone to a worker, recursive walks) overflows the stack somewhere between a few
// thousand and a few tens of thousands of levels, and takes the whole pass down with it. So a value nested deeper
// than MAX_JSON_DEPTH is refused where it is parsed, with a message that says so; the caller skips that line.

/** Deepest nesting of arrays/objects accepted in one JSON value (run logs, audit log, A/B logs, data files). */
export const MAX_JSON_DEPTH = 100;

export class JsonLimitError extends Error {}

/**
 * The nesting depth of a JSON text, scanning no further than needed to see it exceed `limit` (strings and their
 * escapes are skipped, so brackets inside strings do not count). Linear, no recursion.
 */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++;
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) {
        return true;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** JSON.parse that first refuses values nested deeper than `maxDepth` (a JsonLimitError with a clear message). */
export function parseJsonLimited<T = unknown>(text: string, maxDepth = MAX_JSON_DEPTH): T {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new JsonLimitError(`nested deeper than ${maxDepth} levels (the limit for JSON in workspace files)`);
  }
  return JSON.parse(text) as T;
}
