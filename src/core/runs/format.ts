/**
 * ML Sight's run log format (version 1): `.mlsight/runs/<run_id>/events.jsonl`, one JSON object per line,
 * appended and flushed one line at a time by the Python logger. Every line has `type` and `ts` (ms since epoch).
 *
 *   {"type":"run","run_id":"…","experiment":"…","name":"…","start_time":…,"description":"…","format":1}
 *   {"type":"param","key":"lr","value":"0.01"}
 *   {"type":"metric","key":"loss","value":0.5,"step":3}      value may be "NaN", "Infinity", "-Infinity"
 *   {"type":"tag","key":"team","value":"vision"}
 *   {"type":"git","commit":"…","branch":"main","dirty":true,"root":"/repo","diff":"git.diff"}
 *   {"type":"artifact","path":"artifacts/model.pkl","size":123,"sha256":"…","kind":"file","source":"out/model.pkl"}
 *   {"type":"dataset","name":"iris","role":"train","path":"…","digest":"sha256:…","rows":150,"schema":{…},"kind":"file","size":4551}
 *   {"type":"env","python":"3.11.7","platform":"Linux-…","command":"python train.py --lr 0.1","script":"/ws/train.py",…}
 *   {"type":"seed","seed":42,"libraries":["random","numpy","torch"],"deterministic":true,"pythonhashseed":null}
 *   {"type":"model","name":"svc","path":"artifacts/models/svc/model.pkl","size":…,"sha256":"…","format":"pickle","class":"sklearn.svm._classes.SVC"}
 *      (+ "registered_name":"churn","register_id":"<hex>" when log_model(..., registered_name=...) asks for a registry version)
 *   {"type":"feature_importance","names":["a","b"],"values":[0.7,"NaN"],"step":0}
 *   {"type":"end","status":"FINISHED"|"FAILED"|"KILLED","end_time":…,"error":"…","traceback":"…","signal":"SIGTERM"}
 *
 * Paths: an artifact's or model's `path` is relative to the run folder (`.mlsight/runs/<run_id>/`): files copied by
 * `log_artifact` are under `artifacts/`, the logger's own `requirements.txt` (kind "requirements", the `pip freeze`
 * equivalent) and `git.diff` (kind "git_diff", the diff of tracked files when the tree was dirty) sit next to
 * events.jsonl. An artifact logged with `"copied":false` has an absolute `path` (the file was not copied). A
 * dataset's `path` is relative to the workspace root when inside it, else absolute; for a file its digest is
 * "sha256:" + the sha256 of its bytes; for a directory, the sha256 of "<relpath>\0<file sha256>\n" over its files in
 * sorted order; for in-memory data (kind "pandas", "numpy", "torch", "object") a hash of the content.
 * Unknown fields are ignored, so a newer logger can add fields without breaking an older reader.
 */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'SCHEDULED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED', 'SCHEDULED'];

export type RunEvent =
  | {
      type: 'run';
      ts?: number;
      run_id: string;
      experiment?: string;
      name?: string;
      start_time?: number;
      description?: string;
      tags?: Record<string, unknown>;
      format?: number;
    }
  | { type: 'param'; ts?: number; key: string; value: unknown }
  | { type: 'metric'; ts?: number; key: string; value: number | string; step?: number; timestamp?: number }
  | { type: 'tag'; ts?: number; key: string; value: unknown }
  | {
      type: 'git';
      ts?: number;
      commit?: string;
      branch?: string;
      dirty?: boolean;
      root?: string;
      diff?: string;
      diff_truncated?: boolean;
    }
  | {
      type: 'artifact';
      ts?: number;
      path: string;
      size?: number;
      sha256?: string;
      kind?: string;
      source?: string;
      copied?: boolean;
    }
  | {
      type: 'dataset';
      ts?: number;
      name: string;
      role?: string;
      path?: string;
      digest?: string;
      rows?: number;
      schema?: unknown;
      kind?: string;
      size?: number;
    }
  | EnvEvent
  | {
      type: 'seed';
      ts?: number;
      seed: number;
      libraries?: string[];
      deterministic?: boolean;
      pythonhashseed?: string | null;
    }
  | {
      type: 'model';
      ts?: number;
      name: string;
      path: string;
      size?: number;
      sha256?: string;
      format?: string;
      class?: string;
      framework?: string;
      framework_version?: string;
      registered_name?: string;
      register_id?: string;
    }
  | { type: 'feature_importance'; ts?: number; names: string[]; values: (number | string)[]; step?: number }
  | {
      type: 'end';
      ts?: number;
      status?: string;
      end_time?: number;
      error?: string;
      traceback?: string;
      signal?: string;
    };

/** The environment a run started in; every field becomes a tag `mlsight.<field>` (e.g. mlsight.python). */
export interface EnvEvent {
  type: 'env';
  ts?: number;
  python?: string;
  python_implementation?: string;
  python_executable?: string;
  platform?: string;
  machine?: string;
  host?: string;
  user?: string;
  command?: string;
  script?: string;
  cwd?: string;
  pid?: number;
  cpu_count?: number;
  memory_bytes?: number;
  venv?: string;
  logger?: string;
  [field: string]: unknown;
}

/**
 * Feature importances are stored as metrics `feature_importance/<feature>`, one step per logged set (the one
 * definition; views that list a run's metrics leave these out, see isFeatureImportance).
 */
export const FEATURE_IMPORTANCE_PREFIX = 'feature_importance/';

/** True for a metric key that holds a feature importance rather than a training metric. */
export function isFeatureImportance(key: string): boolean {
  return key.startsWith(FEATURE_IMPORTANCE_PREFIX);
}

/** Parses a metric value as logged: finite numbers, and the strings NaN / Infinity / -Infinity (also inf, nan). */
export function parseMetricValue(v: unknown): number | undefined {
  if (typeof v === 'number') {
    return v;
  }
  if (typeof v !== 'string') {
    return undefined;
  }
  const s = v.trim().toLowerCase();
  if (s === 'nan') {
    return NaN;
  }
  if (s === 'inf' || s === 'infinity' || s === '+inf' || s === '+infinity') {
    return Infinity;
  }
  if (s === '-inf' || s === '-infinity') {
    return -Infinity;
  }
  const n = Number(s);
  return s !== '' && !Number.isNaN(n) ? n : undefined;
}

/** Returns an error message if the line is not a valid event, else undefined. */
export function validateEvent(e: unknown): string | undefined {
  if (!e || typeof e !== 'object' || Array.isArray(e)) {
    return 'not a JSON object';
  }
  const ev = e as Record<string, unknown>;
  const str = (k: string) => typeof ev[k] === 'string' && ev[k].length > 0;
  switch (ev.type) {
    case 'run':
      return str('run_id') ? undefined : 'run event without run_id';
    case 'param':
    case 'tag':
      return str('key') ? undefined : `${ev.type} event without key`;
    case 'metric':
      if (!str('key')) {
        return 'metric event without key';
      }
      if (parseMetricValue(ev.value) === undefined) {
        return `metric "${String(ev.key)}" has a value that is not a number`;
      }
      if (ev.step !== undefined && !Number.isInteger(ev.step)) {
        return `metric "${String(ev.key)}" has a step that is not an integer`;
      }
      return undefined;
    case 'git':
    case 'end':
    case 'env':
      return undefined;
    case 'artifact':
      return str('path') ? undefined : 'artifact event without path';
    case 'dataset':
      return str('name') ? undefined : 'dataset event without name';
    case 'seed':
      return Number.isSafeInteger(ev.seed) ? undefined : 'seed event whose seed is not an integer';
    case 'model':
      if (!str('name')) {
        return 'model event without name';
      }
      return str('path') ? undefined : `model "${String(ev.name)}" has no path`;
    case 'feature_importance': {
      const names = ev.names,
        values = ev.values;
      if (!Array.isArray(names) || !Array.isArray(values) || names.length !== values.length) {
        return 'feature_importance event needs arrays "names" and "values" of the same length';
      }
      const bad = names.findIndex(
        (n, i) => typeof n !== 'string' || n.length === 0 || parseMetricValue(values[i]) === undefined,
      );
      if (bad >= 0) {
        return `feature_importance entry ${bad} has an empty name or a value that is not a number`;
      }
      if (ev.step !== undefined && !Number.isInteger(ev.step)) {
        return 'feature_importance event has a step that is not an integer';
      }
      return undefined;
    }
    default:
      return `unknown event type ${JSON.stringify(ev.type)}`;
  }
}

export function paramText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}

/**
 * A run's duration as every ML Sight surface shows it (Runs view, run page, comparison): "45s", "9m 0s", "2h 5m".
 * Empty for a negative or non-finite duration.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '';
  }
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${s % 60}s`;
  }
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/**
 * The description next to a run in the Runs view, most important first so that a narrow sidebar cuts the least
 * useful part: the key metric's value, then the status when it is not FINISHED (the icon shows it too), the
 * duration, the commit and a note mark.
 */
export function runDescription(
  r: {
    status: string;
    keyMetric?: { key: string; value: number };
    startTime: number | null;
    endTime: number | null;
    gitCommit: string | null;
    gitDirty: boolean | null;
    note?: string | null;
    /** why the status is what it is, when ML Sight inferred it (a RUNNING run whose process is gone shows KILLED) */
    statusNote?: string | null;
  },
  formatValue: (v: number) => string,
  now = Date.now(),
): string {
  const parts: string[] = [];
  if (r.keyMetric) {
    parts.push(`${formatValue(r.keyMetric.value)} ${r.keyMetric.key}`);
  }
  if (r.status !== 'FINISHED') {
    parts.push(r.statusNote ? `${r.status.toLowerCase()} (${r.statusNote})` : r.status.toLowerCase());
  }
  if (r.startTime) {
    const end = r.endTime ?? (r.status === 'RUNNING' ? now : undefined);
    if (end) {
      parts.push(formatDuration(end - r.startTime));
    }
  }
  if (r.gitCommit) {
    parts.push(r.gitCommit.slice(0, 7) + (r.gitDirty ? '*' : ''));
  }
  if (r.note) {
    parts.push('✎');
  }
  return parts.filter(Boolean).join(' · ');
}
