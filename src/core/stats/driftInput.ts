/**
 * The inputs of the drift statistics (./drift, ./nannyml): numeric arrays/samples or categorical values/counts,
 * and the conversions between them. Internal to the stats core (not re-exported by ./index).
 */
import { StatsInputError } from './errors';
import {
  asCategorical,
  asNumeric,
  Category,
  CategoricalInput,
  CategoricalSample,
  compareCategories,
  numericAsCategorical,
  NumericInput,
  NumericSample,
} from './sample';

/** Either kind of sample: numeric arrays/samples, or categorical values/counts. */
export type DriftInput = NumericInput | CategoricalInput;

export function isNumericLike(x: DriftInput): x is NumericInput {
  if ((x as { kind?: string }).kind === 'numeric-sample') {
    return true;
  }
  if ((x as { kind?: string }).kind === 'categorical-sample') {
    return false;
  }
  if (ArrayBuffer.isView(x)) {
    return true;
  }
  const a = x as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) {
      continue;
    }
    return typeof v === 'number';
  }
  return true;
}

export function toCategorical(x: DriftInput, what: string): CategoricalSample {
  return isNumericLike(x) ? numericAsCategorical(asNumeric(x, what)) : asCategorical(x, what);
}

export function toNumeric(x: DriftInput, what: string): NumericSample {
  if (!isNumericLike(x)) {
    throw new StatsInputError(`the ${what} holds non-numeric values; use kind "categorical"`);
  }
  return asNumeric(x, what);
}

export function unionCategories(a: CategoricalSample, b: CategoricalSample): Category[] {
  const keys = new Set<Category>(a.counts.keys());
  for (const k of b.counts.keys()) {
    keys.add(k);
  }
  return [...keys].sort(compareCategories);
}

export function proportionsOver(s: CategoricalSample, keys: Category[]): Float64Array {
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    out[i] = (s.counts.get(keys[i]) ?? 0) / s.n;
  }
  return out;
}
