/**
 * Columns of a loaded table, stored column-wise in typed arrays (no per-row objects), and the rules that give
 * each column a dtype the way pandas does when it reads a CSV file:
 *
 *  - missing: pandas' default NA strings ('' 'NA' 'N/A' 'n/a' 'NaN' 'nan' '-NaN' '-nan' 'NULL' 'null' 'None'
 *    '<NA>' '#N/A' '#N/A N/A' '#NA' '1.#IND' '-1.#IND' '1.#QNAN' '-1.#QNAN'), JSON null, Parquet null;
 *  - integer: every value is an integer literal and none is missing (pandas int64; with a missing value pandas
 *    reads float64);
 *  - float: every value is a number (decimal literals, exponents, 'inf'/'-inf'/'infinity' in any case);
 *  - boolean: every value is True/False/TRUE/FALSE/true/false (or a JSON/Parquet boolean);
 *  - datetime: every value is an ISO 8601 date or date-time (pandas would keep these as text unless asked to
 *    parse them; a drift report needs them as time);
 *  - string: anything else, kept as the original text (pandas' object dtype), dictionary-encoded.
 *
 * Two departures from pandas, both reported, never silent: a column whose dictionary outgrows DICTIONARY_LIMIT
 * distinct texts while most of its values are numbers (or dates) becomes a float (datetime) column whose other
 * values are counted as `invalid` with examples and line numbers — pandas would make it an object column of
 * hundreds of thousands of "categories"; and a column of more than DICTIONARY_LIMIT distinct texts is 'text'
 * (an id or free text), which the report lists as not analysed.
 */
import { fieldText } from './csv';
import type { ColumnDtype, InvalidExample } from './types';

export type { ColumnDtype, InvalidExample } from './types';

/** Distinct texts a column may have and still be kept as categories. */
export const DICTIONARY_LIMIT = 50_000;
/** The dictionary of a column that has held only numbers so far is dropped sooner (it is only needed if text follows). */
export const NUMERIC_DICTIONARY_LIMIT = 1_000;
export const MISSING_CODE = 0xffff;

export const NA_STRINGS: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);
const TRUE_STRINGS = new Set(['True', 'TRUE', 'true']);
const FALSE_STRINGS = new Set(['False', 'FALSE', 'false']);
const INF_RE = /^\s*([+-]?)(inf|infinity)\s*$/i;
const NUMBER_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INT_RE = /^\s*[+-]?\d+\s*$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** One column of a table. */
export interface Column {
  readonly name: string;
  readonly dtype: ColumnDtype;
  readonly length: number;
  /** integer/float columns: the values, NaN where missing or invalid (±∞ kept). */
  readonly numbers: Float64Array | null;
  /** datetime columns: milliseconds since 1970-01-01 UTC (naive times are taken as UTC), NaN where missing. */
  readonly times: Float64Array | null;
  /** string/boolean (and small) columns: per-row index into `dictionary`, MISSING_CODE where missing. */
  readonly codes: Uint16Array | null;
  /** the distinct original texts, in order of first appearance */
  readonly dictionary: readonly string[] | null;
  /** missing values (NA strings, empty fields, null) */
  readonly missing: number;
  readonly posInf: number;
  readonly negInf: number;
  /** values that do not fit the dtype (text in a numeric column), treated as missing */
  readonly invalid: number;
  readonly invalidExamples: readonly InvalidExample[];
}

// ---------------------------------------------------------------------------------------------------------------
// Number parsing from bytes

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** whether the last parseDecimal() result was an integer literal (no point, no exponent) */
let lastIsInt = false;

/**
 * Parses a decimal literal `[+-]digits[.digits][e[+-]digits]` (surrounding spaces allowed) from bytes. Exact:
 * with at most 15 significant digits and a power of ten within ±22 the result is one correctly rounded
 * multiplication or division of two exact doubles (Clinger's fast path); other literals go through Number(),
 * which is correctly rounded too. Returns NaN when the bytes are not such a literal.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && (buf[s] === 32 || buf[s] === 9)) {
    s++;
  }
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) {
    e--;
  }
  if (s === e) {
    return NaN;
  }
  let i = s;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  } else if (buf[i] === 43) {
    i++;
  }
  let mant = 0;
  let sig = 0;
  let exp = 0;
  let digits = 0;
  let isInt = true;
  let slow = false;
  while (i < e) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      break;
    }
    digits++;
    if (mant !== 0 || d !== 0) {
      if (sig < 15) {
        mant = mant * 10 + d;
        sig++;
      } else {
        slow = true;
      }
    }
    i++;
  }
  if (i < e && buf[i] === 46) {
    isInt = false;
    i++;
    while (i < e) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) {
        break;
      }
      digits++;
      if (mant !== 0 || d !== 0) {
        if (sig < 15) {
          mant = mant * 10 + d;
          sig++;
          exp--;
        } else {
          slow = true;
        }
      } else {
        exp--;
      }
      i++;
    }
  }
  if (digits === 0) {
    return NaN;
  }
  if (i < e && (buf[i] === 101 || buf[i] === 69)) {
    isInt = false;
    i++;
    let eneg = false;
    if (i < e && buf[i] === 45) {
      eneg = true;
      i++;
    } else if (i < e && buf[i] === 43) {
      i++;
    }
    let ev = 0;
    let ed = 0;
    while (i < e) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) {
        break;
      }
      if (ev < 100000) {
        ev = ev * 10 + d;
      }
      ed++;
      i++;
    }
    if (ed === 0) {
      return NaN;
    }
    exp += eneg ? -ev : ev;
  }
  if (i !== e) {
    return NaN;
  }
  lastIsInt = isInt;
  if (!slow) {
    if (mant === 0) {
      return neg ? -0 : 0;
    }
    let r: number | undefined;
    if (exp === 0) {
      r = mant;
    } else if (exp > 0 && exp <= 22) {
      r = mant * POW10[exp];
    } else if (exp < 0 && exp >= -22) {
      r = mant / POW10[-exp];
    }
    if (r !== undefined) {
      return neg ? -r : r;
    }
  }
  let text = '';
  for (let k = s; k < e; k++) {
    text += String.fromCharCode(buf[k]);
  }
  return Number(text);
}

/** Parses a decimal literal from text (same rules as parseDecimal); NaN when it is not one. */
export function parseDecimalText(text: string): number {
  if (!NUMBER_RE.test(text)) {
    return NaN;
  }
  lastIsInt = INT_RE.test(text);
  return Number(text.trim());
}

/** Milliseconds since the epoch of an ISO 8601 date or date-time (naive = UTC), or NaN. */
export function parseIsoDate(text: string): number {
  const m = DATE_RE.exec(text);
  if (!m) {
    return NaN;
  }
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    return NaN;
  }
  let ms = Date.UTC(
    Number(y),
    month - 1,
    day,
    h ? Number(h) : 0,
    mi ? Number(mi) : 0,
    sec ? Number(sec) : 0,
    frac ? Math.floor(Number(frac) * 1000) : 0,
  );
  if (new Date(ms).getUTCDate() !== day) {
    return NaN;
  } // 2023-02-30
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------------------------
// Building a column

/** Accumulates one column's values row by row, then decides its dtype (finish). */
export class ColumnBuilder {
  private n = 0;
  private cap: number;
  private numbers: Float64Array | null = null;
  private times: Float64Array | null = null;
  private codes: Uint16Array | null;
  private dict: Map<string, number> | null = new Map();
  private numDict: Map<number, number> | null = new Map();
  /** codes of small integers by value, grown on demand (a fixed 4,096-entry table per column is 16 KB × columns) */
  private smallCodes = new Int32Array(0);
  private dictValues: string[] = [];
  private nMissing = 0;
  private nNumber = 0;
  private nInt = 0;
  private nBool = 0;
  private nDate = 0;
  private nString = 0;
  private nPosInf = 0;
  private nNegInf = 0;
  /** first few values that are not numbers, kept in case the column turns out numeric */
  private odd: InvalidExample[] = [];

  constructor(
    readonly name: string,
    capacity = 1024,
  ) {
    this.cap = Math.max(16, capacity);
    this.codes = new Uint16Array(this.cap);
  }

  get length(): number {
    return this.n;
  }

  private grow(): void {
    const cap = this.cap * 2;
    if (this.numbers) {
      const a = new Float64Array(cap);
      a.set(this.numbers);
      this.numbers = a;
    }
    if (this.times) {
      const a = new Float64Array(cap);
      a.set(this.times);
      this.times = a;
    }
    if (this.codes) {
      const a = new Uint16Array(cap);
      a.set(this.codes);
      this.codes = a;
    }
    this.cap = cap;
  }

  private numbersArray(): Float64Array {
    if (!this.numbers) {
      this.numbers = new Float64Array(this.cap);
      this.numbers.fill(NaN, 0, this.n);
    }
    return this.numbers;
  }

  private timesArray(): Float64Array {
    if (!this.times) {
      this.times = new Float64Array(this.cap);
      this.times.fill(NaN, 0, this.n);
    }
    return this.times;
  }

  /** A new dictionary entry's code, or −1 when the dictionary outgrew its limit (and is dropped). */
  private addEntry(text: string): number {
    const limit = this.nString + this.nBool + this.nDate === 0 ? NUMERIC_DICTIONARY_LIMIT : DICTIONARY_LIMIT;
    if (this.dictValues.length >= limit) {
      this.dict = null;
      this.numDict = null;
      this.codes = null;
      this.dictValues = [];
      return -1;
    }
    this.dictValues.push(text);
    return this.dictValues.length - 1;
  }

  /** Records the row's text in the dictionary (while the column has few distinct values). */
  private code(text: string): void {
    const d = this.dict;
    if (!d) {
      return;
    }
    let c = d.get(text);
    if (c === undefined) {
      c = this.addEntry(text);
      if (c < 0) {
        return;
      }
      d.set(text, c);
    }
    this.codes![this.n] = c;
  }

  /**
   * Records a number in the dictionary, keyed by its value: the text is decoded only the first time a value is
   * seen (so "1.0" and "1" are one entry, spelled as first seen — pandas would keep two texts in a text column).
   */
  private smallTable(v: number): Int32Array {
    if (v < this.smallCodes.length) {
      return this.smallCodes;
    }
    let n = Math.max(16, this.smallCodes.length);
    while (n <= v) {
      n *= 2;
    }
    const t = new Int32Array(Math.min(n, 4096)).fill(-1);
    t.set(this.smallCodes);
    return (this.smallCodes = t);
  }

  private codeNumber(v: number, text: string | undefined, buf?: Uint8Array, start = 0, end = 0): void {
    const d = this.numDict;
    if (!d) {
      return;
    }
    // small non-negative integers (counts, codes, ratings) are looked up in an array, the rest in the map
    const small = v >= 0 && v < 4096 && Number.isInteger(v) && !Object.is(v, -0);
    let c = small ? (v < this.smallCodes.length ? this.smallCodes[v] : -1) : d.get(v);
    if (c === undefined || c < 0) {
      c = this.addEntry(text ?? (buf ? fieldText(buf, start, end, 0) : String(v)));
      if (c < 0) {
        return;
      }
      d.set(v, c);
      if (small) {
        this.smallTable(v)[v] = c;
      }
    }
    this.codes![this.n] = c;
  }

  /** Makes room for n rows at once (a row count estimated from the file size). */
  reserve(n: number): void {
    if (n <= this.cap) {
      return;
    }
    const grow = <T extends Float64Array | Uint16Array>(a: T | null, make: (k: number) => T): T | null => {
      if (!a) {
        return null;
      }
      const b = make(n);
      b.set(a);
      return b;
    };
    this.numbers = grow(this.numbers, k => new Float64Array(k));
    this.times = grow(this.times, k => new Float64Array(k));
    this.codes = grow(this.codes, k => new Uint16Array(k));
    this.cap = n;
  }

  private begin(): void {
    if (this.n >= this.cap) {
      this.grow();
    }
    if (this.numbers) {
      this.numbers[this.n] = NaN;
    }
    if (this.times) {
      this.times[this.n] = NaN;
    }
    if (this.codes) {
      this.codes[this.n] = MISSING_CODE;
    }
  }

  private note(line: number, text: string): void {
    if (this.odd.length < 5) {
      this.odd.push({ line, value: text.length > 80 ? text.slice(0, 79) + '…' : text });
    }
  }

  pushMissing(): void {
    this.begin();
    this.nMissing++;
    this.n++;
  }

  pushNumber(v: number, isInt: boolean, text?: string): void {
    this.begin();
    this.numbersArray()[this.n] = v;
    if (Number.isNaN(v)) {
      this.nMissing++;
      this.n++;
      return;
    }
    this.nNumber++;
    if (isInt) {
      this.nInt++;
    }
    if (v === Infinity) {
      this.nPosInf++;
    } else if (v === -Infinity) {
      this.nNegInf++;
    }
    if (this.numDict) {
      this.codeNumber(v, text);
    }
    this.n++;
  }

  pushBool(b: boolean, text?: string, line = 0): void {
    this.begin();
    this.nBool++;
    if (this.dict) {
      this.code(text ?? (b ? 'True' : 'False'));
    }
    this.note(line, text ?? String(b));
    this.n++;
  }

  pushTime(ms: number, text: string, line = 0): void {
    this.begin();
    this.timesArray()[this.n] = ms;
    this.nDate++;
    if (this.dict) {
      this.code(text);
    }
    this.note(line, text);
    this.n++;
  }

  pushString(text: string, line = 0): void {
    this.begin();
    this.nString++;
    if (this.dict) {
      this.code(text);
    }
    this.note(line, text);
    this.n++;
  }

  /** Classifies a text value as pandas' CSV reader would (missing, number, inf, boolean, date, text). */
  pushText(text: string, line = 0): void {
    if (NA_STRINGS.has(text)) {
      this.pushMissing();
      return;
    }
    const v = parseDecimalText(text);
    if (!Number.isNaN(v)) {
      this.pushNumber(v, lastIsInt, text);
      return;
    }
    const inf = INF_RE.exec(text);
    if (inf) {
      this.pushNumber(inf[1] === '-' ? -Infinity : Infinity, false, text);
      return;
    }
    if (TRUE_STRINGS.has(text)) {
      this.pushBool(true, text, line);
      return;
    }
    if (FALSE_STRINGS.has(text)) {
      this.pushBool(false, text, line);
      return;
    }
    const t = text.length >= 10 && text.length <= 40 ? parseIsoDate(text) : NaN;
    if (!Number.isNaN(t)) {
      this.pushTime(t, text, line);
      return;
    }
    this.pushString(text, line);
  }

  /** A number the CSV tokenizer already parsed from the field's bytes (the fast path of large numeric files). */
  pushParsed(v: number, isInt: boolean, buf: Uint8Array, start: number, end: number): void {
    const nums = this.numbers;
    if (nums && !this.times && this.n < this.cap) {
      if (this.numDict) {
        if (this.codes) {
          this.codes[this.n] = MISSING_CODE;
        }
        this.codeNumber(v, undefined, buf, start, end);
      }
      nums[this.n++] = v;
      this.nNumber++;
      if (isInt) {
        this.nInt++;
      }
      return;
    }
    this.pushNumber(v, isInt, fieldText(buf, start, end, 0));
  }

  /** A CSV field, parsed from bytes when it is a plain number. */
  pushField(buf: Uint8Array, start: number, end: number, flag: number, line: number): void {
    if (start === end) {
      this.pushMissing();
      return;
    }
    const v = flag & 2 ? NaN : parseDecimal(buf, start, end);
    if (!Number.isNaN(v)) {
      // the dictionary needs the text only while it is alive, and only for values it has not seen
      const isInt = lastIsInt;
      if (this.numDict && !this.numDict.has(v)) {
        this.pushNumber(v, isInt, fieldText(buf, start, end, flag));
      } else {
        this.pushNumber(v, isInt);
      }
      return;
    }
    this.pushText(fieldText(buf, start, end, flag), line);
  }

  /** Any JavaScript value from JSON or Parquet. */
  pushValue(v: unknown, line = 0, integerType = false): void {
    if (v === null || v === undefined) {
      this.pushMissing();
      return;
    }
    switch (typeof v) {
      case 'number':
        this.pushNumber(v, integerType || Number.isInteger(v));
        return;
      case 'bigint':
        this.pushNumber(Number(v), true, v.toString());
        return;
      case 'boolean':
        this.pushBool(v, undefined, line);
        return;
      case 'string': {
        const t = v.length >= 10 && v.length <= 40 ? parseIsoDate(v) : NaN;
        if (!Number.isNaN(t)) {
          this.pushTime(t, v, line);
        } else {
          this.pushString(v, line);
        }
        return;
      }
      default:
        if (v instanceof Date) {
          const ms = v.getTime();
          if (Number.isNaN(ms)) {
            this.pushMissing();
          } else {
            this.pushTime(ms, v.toISOString(), line);
          }
          return;
        }
        if (v instanceof Uint8Array) {
          this.pushString(Buffer.from(v).toString('base64'), line);
          return;
        }
        this.pushString(safeJson(v), line);
    }
  }

  finish(): Column {
    const n = this.n;
    const nonMissing = this.nNumber + this.nBool + this.nDate + this.nString;
    const dictAlive = this.dict !== null;
    let dtype: ColumnDtype;
    let invalid = 0;
    if (nonMissing === 0) {
      dtype = 'empty';
    } else if (this.nNumber === nonMissing) {
      dtype = this.nInt === this.nNumber && this.nMissing === 0 ? 'integer' : 'float';
    } else if (this.nBool === nonMissing) {
      dtype = 'boolean';
    } else if (this.nDate === nonMissing) {
      dtype = 'datetime';
    } else if (dictAlive) {
      dtype = 'string';
    } else if (this.nNumber * 2 >= nonMissing) {
      dtype = 'float';
      invalid = nonMissing - this.nNumber;
    } else if (this.nDate * 2 >= nonMissing) {
      dtype = 'datetime';
      invalid = nonMissing - this.nDate;
    } else {
      dtype = 'text';
    }
    const keepNumbers = dtype === 'integer' || dtype === 'float';
    const keepTimes = dtype === 'datetime';
    const keepCodes = dictAlive && (dtype === 'string' || dtype === 'boolean');
    return {
      name: this.name,
      dtype,
      length: n,
      numbers: keepNumbers ? fit(this.numbersArray(), n) : null,
      times: keepTimes ? fit(this.timesArray(), n) : null,
      codes: keepCodes ? fit(this.codes!, n) : null,
      dictionary: keepCodes ? this.dictValues : null,
      missing: this.nMissing,
      posInf: keepNumbers ? this.nPosInf : 0,
      negInf: keepNumbers ? this.nNegInf : 0,
      invalid,
      invalidExamples: invalid ? this.odd.filter(o => (keepNumbers ? true : Number.isNaN(parseIsoDate(o.value)))) : [],
    };
  }
}

/** The first n values: a view when little space is wasted, else a copy. */
function fit<T extends Float64Array | Uint16Array>(a: T, n: number): T {
  return (a.length - n <= a.length / 10 ? a.subarray(0, n) : a.slice(0, n)) as T;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * The numbers of a column, whatever its dtype: numeric columns as they are; string/boolean columns by parsing
 * each distinct text (booleans as 1/0), with the texts that are not numbers counted as invalid.
 */
export function columnNumbers(col: Column): {
  values: Float64Array;
  invalid: number;
  invalidExamples: InvalidExample[];
} {
  if (col.numbers) {
    return { values: col.numbers, invalid: col.invalid, invalidExamples: [...col.invalidExamples] };
  }
  const values = new Float64Array(col.length).fill(NaN);
  if (col.times) {
    values.set(col.times);
    return { values, invalid: col.invalid, invalidExamples: [...col.invalidExamples] };
  }
  if (!col.codes || !col.dictionary) {
    return { values, invalid: col.length - col.missing, invalidExamples: [] };
  }
  const parsed = col.dictionary.map(t => {
    if (TRUE_STRINGS.has(t)) {
      return 1;
    }
    if (FALSE_STRINGS.has(t)) {
      return 0;
    }
    const v = parseDecimalText(t);
    if (!Number.isNaN(v)) {
      return v;
    }
    const inf = INF_RE.exec(t);
    return inf ? (inf[1] === '-' ? -Infinity : Infinity) : NaN;
  });
  let invalid = 0;
  const examples: InvalidExample[] = [];
  for (let i = 0; i < col.length; i++) {
    const c = col.codes[i];
    if (c === MISSING_CODE) {
      continue;
    }
    const v = parsed[c];
    values[i] = v;
    if (Number.isNaN(v)) {
      invalid++;
      if (examples.length < 5) {
        examples.push({ line: 0, value: col.dictionary[c] });
      }
    }
  }
  return { values, invalid, invalidExamples: examples };
}

/** Whether a column's text is a boolean literal (for boolean columns' category keys). */
export function isTrueText(t: string): boolean {
  return TRUE_STRINGS.has(t);
}
