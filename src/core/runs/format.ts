/**
 * ML Sight's run log format (version 1): `.mlsight/runs/<run_id>/events.jsonl`, one JSON object per line,
 * appended and flushed one line at a time by the Python logger. Every line has `type` and `ts` (ms since epoch).
 *
 *   {"type":"run","run_id":"…","experiment":"…","name":"…","start_time":…,"description":"…","format":1}
 *   {"type":"param","key":"lr","value":"0.01"}
 *   {"type":"metric","key":"loss","value":0.5,"step":3}      value may be "NaN", "Infinity", "-Infinity"
 *   {"type":"tag","key":"team","value":"vision"}
 *   {"type":"git","commit":"…","branch":"main","dirty":true}
 *   {"type":"artifact","path":"model.pkl","size":123,"sha256":"…","kind":"model"}
 *   {"type":"dataset","name":"iris","role":"train","path":"…","digest":"…","rows":150,"schema":{…}}
 *   {"type":"end","status":"FINISHED"|"FAILED"|"KILLED","end_time":…}
 */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'SCHEDULED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED', 'SCHEDULED'];

export type RunEvent =
  | { type: 'run'; ts?: number; run_id: string; experiment?: string; name?: string; start_time?: number; description?: string; tags?: Record<string, unknown> }
  | { type: 'param'; ts?: number; key: string; value: unknown }
  | { type: 'metric'; ts?: number; key: string; value: number | string; step?: number; timestamp?: number }
  | { type: 'tag'; ts?: number; key: string; value: unknown }
  | { type: 'git'; ts?: number; commit?: string; branch?: string; dirty?: boolean }
  | { type: 'artifact'; ts?: number; path: string; size?: number; sha256?: string; kind?: string }
  | { type: 'dataset'; ts?: number; name: string; role?: string; path?: string; digest?: string; rows?: number; schema?: unknown }
  | { type: 'end'; ts?: number; status?: string; end_time?: number };

/** Parses a metric value as logged: finite numbers, and the strings NaN / Infinity / -Infinity (also inf, nan). */
export function parseMetricValue(v: unknown): number | undefined {
  if (typeof v === 'number') { return v; }
  if (typeof v !== 'string') { return undefined; }
  const s = v.trim().toLowerCase();
  if (s === 'nan') { return NaN; }
  if (s === 'inf' || s === 'infinity' || s === '+inf' || s === '+infinity') { return Infinity; }
  if (s === '-inf' || s === '-infinity') { return -Infinity; }
  const n = Number(s);
  return s !== '' && !Number.isNaN(n) ? n : undefined;
}

/** Returns an error message if the line is not a valid event, else undefined. */
export function validateEvent(e: unknown): string | undefined {
  if (!e || typeof e !== 'object' || Array.isArray(e)) { return 'not a JSON object'; }
  const ev = e as Record<string, unknown>;
  const str = (k: string) => typeof ev[k] === 'string' && (ev[k] as string).length > 0;
  switch (ev.type) {
    case 'run': return str('run_id') ? undefined : 'run event without run_id';
    case 'param': case 'tag': return str('key') ? undefined : `${ev.type} event without key`;
    case 'metric':
      if (!str('key')) { return 'metric event without key'; }
      if (parseMetricValue(ev.value) === undefined) { return `metric "${String(ev.key)}" has a value that is not a number`; }
      if (ev.step !== undefined && !Number.isInteger(ev.step)) { return `metric "${String(ev.key)}" has a step that is not an integer`; }
      return undefined;
    case 'git': case 'end': return undefined;
    case 'artifact': return str('path') ? undefined : 'artifact event without path';
    case 'dataset': return str('name') ? undefined : 'dataset event without name';
    default: return `unknown event type ${JSON.stringify(ev.type)}`;
  }
}

export function paramText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
}
