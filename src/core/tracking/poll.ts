/**
 * Polling a team backend: every `baseMs` while answers come, backing off exponentially (×2 per failure in a row,
 * at most `maxMs`) while the backend fails or is unreachable, so a down server is not hammered by every open
 * window; ±20 % jitter (random ∈ [0, 1)) spreads windows that started together.
 */
export function nextPollDelay(baseMs: number, failures: number, random = 0.5, maxMs = 600_000): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, failures), 20));
  return Math.round(Math.min(maxMs, raw * (0.8 + 0.4 * random)));
}

/** A cheap fingerprint of a page of runs: it changes when a run is added, removed, renamed or changes status, end or metrics. */
export function pageSignature(
  runs: readonly {
    runUuid: string;
    status: string;
    endTime: number | null;
    name: string | null;
    metrics: Record<string, { step: number; value: number }>;
  }[],
): string {
  return runs
    .map(
      r =>
        `${r.runUuid}|${r.status}|${r.endTime}|${r.name}|${Object.entries(r.metrics)
          .map(([k, m]) => `${k}:${m.step}:${m.value}`)
          .join(',')}`,
    )
    .join('\n');
}
