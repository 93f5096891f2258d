/**
 * PSI on fixed reference-quantile bins (deciles by default): the bins come from the reference alone
 * (./binning quantileEdges), so PSI of different windows against one reference uses the same bins and the usual
 * rule of thumb (< 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 major shift), which assumes such bins, applies. Empty
 * bins are filled as Evidently fills them (./drift psiOfProportions), so the two PSIs differ only in their bins.
 */
import { quantileEdges, rightClosedCounts } from './binning';
import { psiOfProportions } from './drift';
import { StatsInputError } from './errors';

export interface QuantilePsi {
  value: number;
  edges: Float64Array;
  reference: Float64Array;
  current: Float64Array;
}

/** PSI of `current` against `reference` (both sorted, finite) on the reference's k-quantile bins. */
export function quantilePsi(sortedReference: Float64Array, sortedCurrent: ArrayLike<number>, k = 10): QuantilePsi {
  if (!sortedReference.length || !sortedCurrent.length) {
    throw new StatsInputError('quantile PSI needs values on both sides');
  }
  const edges = quantileEdges(sortedReference, k);
  const reference = rightClosedCounts(sortedReference, edges).map(c => c / sortedReference.length);
  const current = rightClosedCounts(sortedCurrent, edges).map(c => c / sortedCurrent.length);
  return { value: psiOfProportions(reference, current, true), edges, reference, current };
}
