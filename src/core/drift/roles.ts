/** Guesses which columns are the target, the prediction and the time, by their names (for pickers' defaults). */
const TARGET = ['target', 'label', 'y', 'y_true', 'class', 'outcome', 'ground_truth', 'actual'];
const PREDICTION = [
  'prediction',
  'predicted',
  'pred',
  'y_pred',
  'y_hat',
  'yhat',
  'score',
  'proba',
  'probability',
  'prediction_proba',
];
const TIME = ['timestamp', 'time', 'datetime', 'date', 'ts', 'event_time', 'created_at'];

export function guessRoles(columns: readonly string[]): {
  target: string | null;
  prediction: string | null;
  time: string | null;
} {
  const find = (names: string[]) => {
    const lower = columns.map(c => c.toLowerCase());
    for (const n of names) {
      const i = lower.indexOf(n);
      if (i >= 0) {
        return columns[i];
      }
    }
    return null;
  };
  return { target: find(TARGET), prediction: find(PREDICTION), time: find(TIME) };
}
