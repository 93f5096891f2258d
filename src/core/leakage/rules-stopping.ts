/**
 * multi-test, the part about held-out data used to stop training or keep the best epoch or iteration: the test part,
 * or the only held-out part (a validation part when nothing is scored on a test part), when it is scored afterwards.
 */
import type { DataV } from './dataflow';
import { partFromName } from './dataflow';
import type { PyNode } from './parser';
import type { RawFinding, RuleContext } from './rules-shared';

/** The same held-out rows: the same side of the same split, or the same rows by their roots and part. */
export function sameRows(a: DataV, b: DataV): boolean {
  if (a.origin && b.origin) {
    return a.origin.split === b.origin.split && a.origin.side === b.origin.side;
  }
  return a.part === b.part && a.roots.some(r => b.roots.includes(r));
}

/** Early stopping, a kept best epoch or a search's validation data on the test part (sites in `reported` are done). */
export function earlyStoppingOnTest(ctx: RuleContext, out: RawFinding[], reported: Set<PyNode>): void {
  // A validation part is the only held-out data when nothing is scored on a test part (a Kaggle test file predicted
  // for submission does not score the model here: the validation score reported is the one made optimistic).
  const anyHeldOutTest = ctx.facts.evaluations.some(e => e.data.part === 'test');
  for (const v of ctx.facts.testAsValidation) {
    if (reported.has(v.site)) {
      continue;
    }
    // The only held-out part, named as validation (`X_val`), never scored afterwards: early stopping is its purpose.
    const names = v.dataText.match(/[A-Za-z_]\w*/g) ?? [];
    const scored = (d: DataV) => sameRows(d, v.data);
    // So is a part named test that is never scored, nor even read after the fit: validation data by another name.
    const later = ctx.src.text.slice(v.site.end);
    const o = v.data.origin;
    const heldNames = o ? o.split.targetNames.filter((nm, i): nm is string => i % 2 === 1 && !!nm) : [];
    const unread = () =>
      [...(v.dataText.replace(/(['"]).*?\1/g, '').match(/[A-Za-z_]\w*/g) ?? []), ...heldNames].every(
        nm => !new RegExp(`(^|[^\\w.])${nm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(later),
      );
    // (A validation part counts when it is the held-out side of a split, not a fold of the training side.)
    const onlyVal = v.data.part === 'val';
    if (onlyVal && (anyHeldOutTest || v.data.origin?.side !== 'test')) {
      continue;
    }
    if (
      !v.search &&
      names.length &&
      (names.every(nm => partFromName(nm) === 'val') || (v.epoch !== true && unread())) &&
      !ctx.facts.evaluations.some(e => scored(e.data)) &&
      !ctx.facts.scorings.some(sc => scored(sc.data))
    ) {
      continue;
    }
    reported.add(v.site);
    const split = v.data.origin?.split;
    out.push({
      rule: 'multi-test',
      node: v.site,
      message:
        `${v.dataText}, the ${onlyVal ? 'validation' : 'test'} part${split ? ` (split at ${ctx.where(split.node.start)})` : ''}${onlyVal ? ' and the only held-out data here' : ''}, is used as validation data${split ? '' : ` at ${ctx.where(v.site.start)}`} ${v.search ? 'by a hyperparameter search: the hyperparameters are chosen' : v.epoch ? `to keep the best ${v.epoch === 'iteration' ? 'boosting iteration' : 'epoch'}: the model is chosen` : 'for early stopping: training is tuned'} on ${onlyVal ? 'it' : 'the test set'}, so its score is optimistic. ` +
        `Split a validation set from the training part for ${v.search ? 'the search' : v.epoch ? `choosing the ${v.epoch === 'iteration' ? 'iteration' : 'epoch'}` : 'early stopping'}.`,
      related: split ? [{ message: 'the test part comes from this split', node: split.node }] : [],
      fixes: [],
    });
  }
}
