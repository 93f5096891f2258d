/**
 * Views of one column on one side of a drift report (sorted numeric samples, category counts), prepared lazily
 * and shared by the per-column statistics (./report) and the analysis over time (./overTime).
 */
import { Category, CategoricalSample, countDistinctSorted, EmptySampleError, NumericSample } from '../stats';
import { prepareNumericFast } from './sorting';
import { Column, columnNumbers, isTrueText, MISSING_CODE } from './columns';
import { ColumnRole, DriftColumnType, InvalidExample, MissingCounts } from './types';

/** Lazily prepared views of one column on one side. */
export class Side {
  private num:
    | { sample: NumericSample | null; missing: MissingCounts; examples: InvalidExample[]; values: Float64Array }
    | undefined;
  constructor(readonly col: Column) {}

  /** The finite values sorted (null when there are none), and what was dropped. */
  numeric(what: string): {
    sample: NumericSample | null;
    missing: MissingCounts;
    examples: InvalidExample[];
    values: Float64Array;
  } {
    if (!this.num) {
      const { values, invalid, invalidExamples } = columnNumbers(this.col);
      let sample: NumericSample | null = null;
      try {
        sample = prepareNumericFast(values, what);
      } catch (e) {
        if (!(e instanceof EmptySampleError)) {
          throw e;
        }
      }
      let posInf = 0;
      let negInf = 0;
      if (this.col.numbers) {
        posInf = this.col.posInf;
        negInf = this.col.negInf;
      } else if (sample) {
        posInf = sample.dropped.posInf;
        negInf = sample.dropped.negInf;
      }
      this.num = {
        sample,
        values,
        examples: invalidExamples,
        missing: { missing: this.col.missing, posInf, negInf, invalid },
      };
    }
    return this.num;
  }

  /** Distinct non-missing values (numbers compared as numbers, text as text). */
  distinct(what: string): number {
    const c = this.col;
    if (c.dtype === 'string' && c.dictionary) {
      return c.dictionary.length;
    }
    if (c.dtype === 'boolean' && c.dictionary) {
      return new Set(c.dictionary.map(isTrueText)).size;
    }
    if (c.dtype === 'integer' || c.dtype === 'float') {
      const s = this.numeric(what).sample;
      return s ? countDistinctSorted(s.sorted) : 0;
    }
    return 0;
  }

  /** Category counts: text (string columns), booleans, or numbers; for the given rows or all. */
  categoryCounts(what: string, rows?: ArrayLike<number>): { counts: Map<Category, number>; missing: MissingCounts } {
    const c = this.col;
    const counts = new Map<Category, number>();
    if ((c.dtype === 'string' || c.dtype === 'boolean') && c.codes && c.dictionary) {
      const byCode = new Float64Array(c.dictionary.length);
      let missing = 0;
      const codes = c.codes;
      if (rows) {
        for (let k = 0; k < rows.length; k++) {
          const code = codes[rows[k]];
          if (code === MISSING_CODE) {
            missing++;
          } else {
            byCode[code]++;
          }
        }
      } else {
        for (let i = 0; i < codes.length; i++) {
          const code = codes[i];
          if (code === MISSING_CODE) {
            missing++;
          } else {
            byCode[code]++;
          }
        }
      }
      c.dictionary.forEach((text, i) => {
        if (!byCode[i]) {
          return;
        }
        const key: Category = c.dtype === 'boolean' ? isTrueText(text) : text;
        counts.set(key, (counts.get(key) ?? 0) + byCode[i]);
      });
      return { counts, missing: { missing, posInf: 0, negInf: 0, invalid: 0 } };
    }
    const values = this.numeric(what).values;
    const m: MissingCounts = { missing: 0, posInf: 0, negInf: 0, invalid: 0 };
    const add = (v: number) => {
      if (Number.isNaN(v)) {
        m.missing++;
        return;
      }
      if (v === Infinity) {
        m.posInf++;
        return;
      }
      if (v === -Infinity) {
        m.negInf++;
        return;
      }
      const key = v === 0 ? 0 : v;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    if (rows) {
      for (let k = 0; k < rows.length; k++) {
        add(values[rows[k]]);
      }
    } else {
      for (let i = 0; i < values.length; i++) {
        add(values[i]);
      }
    }
    if (!rows) {
      const n = this.numeric(what).missing;
      m.missing = n.missing;
      m.invalid = n.invalid;
    }
    return { counts, missing: m };
  }
}

/** Two count maps over the same kind of keys: when one side has text and the other numbers/booleans, all become text. */
export function alignKeys(
  a: Map<Category, number>,
  b: Map<Category, number>,
): [Map<Category, number>, Map<Category, number>] {
  const kinds = (m: Map<Category, number>) => new Set([...m.keys()].map(k => typeof k));
  const ka = kinds(a);
  const kb = kinds(b);
  const all = new Set([...ka, ...kb]);
  if (all.size <= 1) {
    return [a, b];
  }
  const text = (m: Map<Category, number>) => {
    const out = new Map<Category, number>();
    for (const [k, v] of m) {
      const s = typeof k === 'boolean' ? (k ? 'True' : 'False') : String(k);
      out.set(s, (out.get(s) ?? 0) + v);
    }
    return out;
  };
  return [text(a), text(b)];
}

export interface PreparedColumn {
  name: string;
  role: ColumnRole;
  type: DriftColumnType;
  integerData: boolean;
  ref: Side;
  cur: Side;
  /** samples the column's statistics were computed on */
  refSample: NumericSample | CategoricalSample;
  curSample: NumericSample | CategoricalSample;
}
