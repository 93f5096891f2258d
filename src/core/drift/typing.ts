/**
 * Column typing as Evidently does it (evidently legacy utils/data_preprocessing.py, _get_column_type), applied to
 * the dtypes pandas would give the two files (./columns):
 *
 *  - When reference and current dtypes differ: if both are numeric (int/float) the current one is used (numpy can
 *    cast one into the other), otherwise the reference's.
 *  - nunique = distinct non-missing values of the reference, or of the current data when the reference has none.
 *  - Features: an integer column with nunique ≤ 5 is categorical, other integer and float columns numerical;
 *    booleans and text (object) columns categorical. Datetime columns are not features (Evidently keeps them
 *    apart); a text column with more than DICTIONARY_LIMIT distinct values (an id, free text) and an all-missing
 *    column are not analysed.
 *  - Target: numerical (a regression task) when its dtype is numeric and nunique > 5, otherwise categorical
 *    (classification); a task set by the user wins.
 *  - Prediction: categorical when it is text, or numeric with nunique ≤ 5 and not a regression task, if it is an
 *    integer or lies outside [0, 1] (class labels); also categorical for a classification task when it lies
 *    outside [0, 1]; otherwise numerical — for a classification task, the probability of the positive class.
 */
import { Column, ColumnDtype } from './columns';
import { ColumnRole, DriftColumnType, Task } from './types';

export const NUMBER_UNIQUE_AS_CATEGORICAL = 5;

/** numpy's dtype kind for the dtype pandas would give the column. */
export function numpyKind(d: ColumnDtype): 'i' | 'f' | 'b' | 'O' | 'M' {
  switch (d) {
    case 'integer':
      return 'i';
    case 'float':
    case 'empty':
      return 'f';
    case 'boolean':
      return 'b';
    case 'datetime':
      return 'M';
    default:
      return 'O';
  }
}

/** The dtype Evidently goes by when the two files disagree. */
export function effectiveDtype(ref: ColumnDtype, cur: ColumnDtype): ColumnDtype {
  if (ref === cur) {
    return cur;
  }
  const numeric = (d: ColumnDtype) => d === 'integer' || d === 'float' || d === 'empty';
  return numeric(ref) && numeric(cur) ? cur : ref;
}

export interface TypingInput {
  name: string;
  role: ColumnRole;
  ref: Column;
  cur: Column;
  /** distinct non-missing values on each side */
  refUnique: number;
  curUnique: number;
  /** min and max of the current values, for the prediction rule (numeric columns) */
  curMin?: number;
  curMax?: number;
  task?: Task;
  forced?: DriftColumnType;
}

export type TypingResult =
  | { type: DriftColumnType; dtype: ColumnDtype; nUnique: number; integerData: boolean }
  | { type: null; dtype: ColumnDtype; reason: string };

export function evidentlyColumnType(t: TypingInput): TypingResult {
  const dtype = effectiveDtype(t.ref.dtype, t.cur.dtype);
  const nUnique = t.refUnique || t.curUnique;
  const integerData = t.ref.dtype === 'integer' && t.cur.dtype === 'integer';
  const ok = (type: DriftColumnType) => ({ type, dtype, nUnique, integerData });
  if (t.ref.dtype === 'empty' || t.cur.dtype === 'empty') {
    return {
      type: null,
      dtype,
      reason: `all values are missing in the ${t.ref.dtype === 'empty' ? 'reference' : 'current'} data`,
    };
  }
  if (dtype === 'text' || t.ref.dtype === 'text' || t.cur.dtype === 'text') {
    return { type: null, dtype, reason: 'more than 50,000 distinct values (an id or free text): not analysed' };
  }
  if (t.forced) {
    return ok(t.forced);
  }
  const numeric = dtype === 'integer' || dtype === 'float';
  if (t.role === 'target') {
    if (dtype === 'datetime') {
      return { type: null, dtype, reason: 'the target is a datetime column' };
    }
    const regression =
      t.task === 'regression' || (numeric && t.task !== 'classification' && nUnique > NUMBER_UNIQUE_AS_CATEGORICAL);
    return ok(regression ? 'numerical' : 'categorical');
  }
  if (t.role === 'prediction') {
    if (dtype === 'datetime') {
      return { type: null, dtype, reason: 'the prediction is a datetime column' };
    }
    const outside01 = (t.curMax ?? 0) > 1 || (t.curMin ?? 0) < 0;
    const few = nUnique <= NUMBER_UNIQUE_AS_CATEGORICAL;
    const categorical =
      dtype === 'string' ||
      dtype === 'boolean' ||
      (dtype === 'integer' && t.task !== 'regression' && few) ||
      (numeric && t.task !== 'regression' && few && outside01) ||
      (numeric && t.task === 'classification' && outside01);
    return ok(categorical ? 'categorical' : 'numerical');
  }
  if (dtype === 'datetime') {
    return { type: null, dtype, reason: 'a datetime column (use it as the time column)' };
  }
  if (dtype === 'integer') {
    return ok(nUnique <= NUMBER_UNIQUE_AS_CATEGORICAL ? 'categorical' : 'numerical');
  }
  if (dtype === 'float') {
    return ok('numerical');
  }
  return ok('categorical');
}

/** Evidently's task: classification for a categorical target, regression for a numerical one. */
export function taskOf(targetType: DriftColumnType | null): Task | null {
  return targetType === null ? null : targetType === 'categorical' ? 'classification' : 'regression';
}
