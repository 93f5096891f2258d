/**
 * Errors thrown by the statistics core. Every message is a plain sentence a user can read in a report
 * ("the current sample has no finite values"), never a stack of internals.
 */

/** Bad input to a statistical function: wrong sizes, out-of-range parameters, unusable data. */
export class StatsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatsInputError';
  }
}

/** A sample that is empty, or becomes empty once NaN and ±Infinity are dropped. */
export class EmptySampleError extends StatsInputError {
  constructor(message: string) {
    super(message);
    this.name = 'EmptySampleError';
  }
}
