/**
 * MLflow FileStore metric lines (`ts value [step [dataset_name dataset_digest]]`), parsed straight from the
 * file's bytes. Cold ingest of a big mlruns tree reads millions of these lines, so the parser works on the
 * Buffer: timestamps and steps are decoded in place, values are only checked for syntax, and decoded when
 * asked for (ingest keeps only the latest value, so most values are never needed).
 *
 * Legacy 2-field lines have step 0. MLflow 2.x rejects 5-field lines and MLflow 3 reads them as step 0; we take
 * the third field as the step (what the writer logged), which gives the same latest value whenever steps grow
 * with time.
 */
import { Points, PointSeq, compareStepTs, emptyPoints, valueWins } from '../store/series';
import { parseNumber } from './common';

export interface BadLine {
  line: number;
  text: string;
  reason: string;
}

/** Points of a parsed chunk: steps and timestamps decoded, values decoded on demand from the buffer. */
export class MetricLineSeq implements PointSeq {
  constructor(
    private readonly buf: Buffer,
    readonly length: number,
    private readonly steps: Float64Array,
    private readonly times: Float64Array,
    /** value token [start, end) byte offsets in buf */
    private readonly vStart: Int32Array,
    private readonly vEnd: Int32Array,
  ) {}
  step(i: number): number {
    return this.steps[i];
  }
  ts(i: number): number {
    return this.times[i];
  }
  value(i: number): number {
    return parseNumber(this.buf.toString('latin1', this.vStart[i], this.vEnd[i])) ?? NaN;
  }
  toPoints(): Points {
    const p = emptyPoints();
    for (let i = 0; i < this.length; i++) {
      p.steps.push(this.steps[i]);
      p.ts.push(this.times[i]);
      p.values.push(this.value(i));
    }
    return p;
  }
}

export interface ParsedMetricChunk {
  seq: MetricLineSeq;
  lines: number;
  bad: BadLine[];
}

const SPACE = 0x20,
  TAB = 0x09,
  CR = 0x0d,
  NL = 0x0a,
  MINUS = 0x2d,
  PLUS = 0x2b,
  DOT = 0x2e,
  ZERO = 0x30,
  NINE = 0x39;
const isSpace = (c: number) => c === SPACE || c === TAB || c === CR || c === 0x0b || c === 0x0c;
const isDigit = (c: number) => c >= ZERO && c <= NINE;

/** An integer token: digits with an optional sign, fast; anything else through Number(). NaN if not a safe integer. */
function intToken(b: Buffer, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (b[i] === MINUS || b[i] === PLUS) {
    neg = b[i] === MINUS;
    i++;
  }
  if (i < e && e - i <= 15) {
    let n = 0;
    let j = i;
    for (; j < e; j++) {
      const c = b[j];
      if (!isDigit(c)) {
        break;
      }
      n = n * 10 + (c - ZERO);
    }
    if (j === e) {
      return neg ? -n : n;
    }
  }
  const v = Number(b.toString('latin1', s, e));
  return Number.isSafeInteger(v) ? v : NaN;
}

/** True if the token is a decimal number (sign, digits, point, exponent); other spellings are checked by parseNumber. */
function isDecimal(b: Buffer, s: number, e: number): boolean {
  let i = s;
  if (b[i] === MINUS || b[i] === PLUS) {
    i++;
  }
  let digits = 0;
  while (i < e && isDigit(b[i])) {
    i++;
    digits++;
  }
  if (i < e && b[i] === DOT) {
    i++;
    while (i < e && isDigit(b[i])) {
      i++;
      digits++;
    }
  }
  if (digits === 0) {
    return false;
  }
  if (i < e && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < e && (b[i] === MINUS || b[i] === PLUS)) {
      i++;
    }
    let ed = 0;
    while (i < e && isDigit(b[i])) {
      i++;
      ed++;
    }
    if (ed === 0) {
      return false;
    }
  }
  return i === e;
}

/** A line's text as a bad-line report quotes it. */
function lineText(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start, end).trim();
}

/** The parser's columns, copied into arrays of `cap` entries. */
function growColumns(cap: number, n: number, steps: Float64Array, times: Float64Array, vs: Int32Array, ve: Int32Array) {
  const s2 = new Float64Array(cap),
    t2 = new Float64Array(cap),
    vs2 = new Int32Array(cap),
    ve2 = new Int32Array(cap);
  s2.set(steps.subarray(0, n));
  t2.set(times.subarray(0, n));
  vs2.set(vs.subarray(0, n));
  ve2.set(ve.subarray(0, n));
  return { steps: s2, times: t2, vs: vs2, ve: ve2 };
}

/** The latest point of a chunk by MLflow's rule (highest step, then timestamp, then value; NaN loses ties). */
export interface LatestPoint {
  step: number;
  ts: number;
  value: number;
}

export interface ScannedMetricChunk {
  count: number;
  lines: number;
  bad: BadLine[];
  latest: LatestPoint | undefined;
}

/**
 * Parses the complete lines in buf[0, end) (end is just after a newline, or the buffer's end). Line numbers in
 * `bad` start at firstLine. One pass over the bytes, no allocation per line (cold ingest reads millions).
 */
export function parseMetricBuffer(buf: Buffer, end: number, firstLine: number): ParsedMetricChunk & ScannedMetricChunk {
  return parse(buf, end, firstLine, true) as ParsedMetricChunk & ScannedMetricChunk;
}

/**
 * Like parseMetricBuffer, without keeping the points: how many there are and the latest one. Nothing is
 * allocated per line, and only the values that decide a tie are decoded.
 */
export function scanMetricBuffer(buf: Buffer, end: number, firstLine: number): ScannedMetricChunk {
  return parse(buf, end, firstLine, false);
}

const NO_F64 = new Float64Array(0);
const NO_I32 = new Int32Array(0);

function parse(
  buf: Buffer,
  end: number,
  firstLine: number,
  keep: boolean,
): ScannedMetricChunk & { seq?: MetricLineSeq } {
  end = Math.min(end, buf.length);
  let cap = keep ? Math.max(16, (end >>> 5) + 1) : 0;
  let steps = keep ? new Float64Array(cap) : NO_F64,
    times = keep ? new Float64Array(cap) : NO_F64;
  let vs = keep ? new Int32Array(cap) : NO_I32,
    ve = keep ? new Int32Array(cap) : NO_I32;
  let n = 0;
  const bad: BadLine[] = [];
  let lines = 0;
  // the latest point so far: its step, timestamp and value token
  let bs = 0,
    bt = 0,
    bv0 = 0,
    bv1 = 0;
  const value = (v0: number, v1: number) => parseNumber(buf.toString('latin1', v0, v1)) ?? NaN;
  const take = (step: number, t: number, v0: number, v1: number) => {
    if (keep) {
      if (n === cap) {
        ({ steps, times, vs, ve } = growColumns((cap *= 2), n, steps, times, vs, ve));
      }
      steps[n] = step;
      times[n] = t;
      vs[n] = v0;
      ve[n] = v1;
    }
    const c = n === 0 ? 1 : compareStepTs(step, t, bs, bt);
    if (c > 0 || (c === 0 && valueWins(value(v0, v1), value(bv0, bv1)))) {
      bs = step;
      bt = t;
      bv0 = v0;
      bv1 = v1;
    }
    n++;
  };
  let i = 0;
  while (i < end) {
    const lineStart = i;
    // Fast path, for lines exactly as MLflow writes them: `<digits> <decimal> <digits>\n` (or without the step).
    // Anything else (signs, nan/inf, extra spaces, CR, 5 fields, long integers) falls through to the general path.
    {
      let j = i;
      let c = buf[j];
      let t = 0;
      while (c >= ZERO && c <= NINE) {
        t = t * 10 + (c - ZERO);
        c = buf[++j];
      }
      if (c === SPACE && j > i && j - i <= 15 && j < end) {
        const v0 = ++j;
        c = buf[j];
        if (c === MINUS) {
          c = buf[++j];
        }
        let digits = 0;
        while (c >= ZERO && c <= NINE) {
          digits++;
          c = buf[++j];
        }
        if (c === DOT) {
          c = buf[++j];
          while (c >= ZERO && c <= NINE) {
            digits++;
            c = buf[++j];
          }
        }
        let ok = digits > 0;
        if (ok && (c === 0x65 || c === 0x45)) {
          c = buf[++j];
          if (c === MINUS || c === PLUS) {
            c = buf[++j];
          }
          let ed = 0;
          while (c >= ZERO && c <= NINE) {
            ed++;
            c = buf[++j];
          }
          ok = ed > 0;
        }
        const v1 = j;
        let step = 0;
        if (ok && c === SPACE && j < end) {
          const s0 = ++j;
          c = buf[j];
          while (c >= ZERO && c <= NINE) {
            step = step * 10 + (c - ZERO);
            c = buf[++j];
          }
          ok = j > s0 && j - s0 <= 15;
        }
        if (ok && c === NL && j < end) {
          take(step, t, v0, v1);
          lines++;
          i = j + 1;
          continue;
        }
      }
    }
    // the first three fields' bounds, and how many fields the line has
    let fields = 0,
      a0 = 0,
      a1 = 0,
      b0 = 0,
      b1 = 0,
      c0 = 0,
      c1 = 0;
    while (i < end) {
      const c = buf[i];
      if (c === NL) {
        break;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      const s = i;
      while (i < end) {
        const d = buf[i];
        if (d === NL || isSpace(d)) {
          break;
        }
        i++;
      }
      if (fields === 0) {
        a0 = s;
        a1 = i;
      } else if (fields === 1) {
        b0 = s;
        b1 = i;
      } else if (fields === 2) {
        c0 = s;
        c1 = i;
      }
      fields++;
    }
    const lineEnd = i;
    i++; // past the newline
    const lineNo = firstLine + lines;
    lines++;
    if (fields === 0) {
      continue;
    }
    if (fields < 2) {
      bad.push({ line: lineNo, text: lineText(buf, lineStart, lineEnd), reason: `${fields} field` });
      continue;
    }
    const t = intToken(buf, a0, a1);
    if (Number.isNaN(t)) {
      bad.push({ line: lineNo, text: lineText(buf, lineStart, lineEnd), reason: 'the timestamp is not an integer' });
      continue;
    }
    if (!isDecimal(buf, b0, b1) && parseNumber(buf.toString('latin1', b0, b1)) === undefined) {
      bad.push({ line: lineNo, text: lineText(buf, lineStart, lineEnd), reason: 'the value is not a number' });
      continue;
    }
    const step = fields >= 3 ? intToken(buf, c0, c1) : 0;
    if (Number.isNaN(step)) {
      bad.push({ line: lineNo, text: lineText(buf, lineStart, lineEnd), reason: 'the step is not an integer' });
      continue;
    }
    take(step, t, b0, b1);
  }
  const latest = n > 0 ? { step: bs, ts: bt, value: value(bv0, bv1) } : undefined;
  return { count: n, lines, bad, latest, seq: keep ? new MetricLineSeq(buf, n, steps, times, vs, ve) : undefined };
}

/** Parses complete metric lines of a text (every line ends with '\n'; a last line without one is not read). */
export function parseMetricLines(text: string, firstLine: number): { points: Points; lines: number; bad: BadLine[] } {
  const buf = Buffer.from(text, 'utf8');
  const end = buf.lastIndexOf(NL) + 1;
  const r = parseMetricBuffer(buf, end, firstLine);
  return { points: r.seq.toPoints(), lines: r.lines, bad: r.bad };
}
