/** The part of a dataset (train, test, validation) a variable's name says it holds (`X_test`, `df_train`…). */
import type { Part } from './values';

/** Splits a variable name into lower-case words (`XTrain` → x, train; `df_test2` → df, test). */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
}

const AFFIX = '(x|y|df|data|dataset|features?|labels?|targets?)';
/** A word of a variable's name that says what kind of array it is, not which part (`X`, `y`, `df`, `labels`). */
export const PART_AFFIX = new RegExp(`^${AFFIX}$`);
const PART_WORDS: [Part, string[], RegExp][] = (
  [
    // (with the Portuguese and Spanish words of course notebooks: `x_treino`, `x_teste`, `X_prueba`)
    ['test', ['test', 'tst', 'te', 'holdout', 'hold', 'teste', 'prueba']],
    ['val', ['val', 'valid', 'validation', 'dev', 'validacao', 'validacion']],
    ['train', ['train', 'trn', 'tr', 'training', 'treino', 'treinamento', 'entrenamiento']],
  ] as [Part, string[]][]
).map(([p, ws]) => [p, ws, new RegExp(`^${AFFIX}?(${ws.join('|')})${AFFIX}?\\d*$`)]);
const partCache = new Map<string, Part | null>();

/** The part a variable's name says it holds (`X_test`, `df_train`, `valid_x`, `testX`…), if any. */
export function partFromName(name: string): Part | undefined {
  const cached = partCache.get(name);
  if (cached !== undefined) {
    return cached ?? undefined;
  }
  const words = nameWords(name);
  const compact = name.toLowerCase().replace(/_/g, '');
  let out: Part | null = null;
  for (const [p, ws, re] of PART_WORDS) {
    if (words.some(w => ws.includes(w)) || re.test(compact)) {
      out = p;
      break;
    }
  }
  if (partCache.size > 10_000) {
    partCache.clear();
  }
  partCache.set(name, out);
  return out ?? undefined;
}
