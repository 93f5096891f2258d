/**
 * Run liveness: is a run that says RUNNING still running?
 *
 * The Python logger records the process (`env` event: `host`, `pid`) and, while a run is open, rewrites a small
 * heartbeat file next to its log (`.mlsight/runs/<id>/heartbeat`, `{"ts":…,"pid":…,"host":…}`, every 30 s by
 * default). A process killed with SIGKILL (or by the OOM killer) writes no end event, so its log says RUNNING for
 * ever. We show such a run as KILLED ("process ended without closing the run") — at display time, never by
 * rewriting the user's run file:
 *  - on the same host, when its pid no longer exists;
 *  - on another host (or when the pid cannot be checked), when its last sign of life (the heartbeat, else the last
 *    write to its log) is older than the timeout (default 10 minutes: twenty missed heartbeats).
 * A run without a recorded pid and host (older logs, other trackers) is left as it is.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Db } from '../store/db';

export const HEARTBEAT_FILE = 'heartbeat';
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10 * 60_000;
export const KILLED_NOTE = 'process ended without closing the run';

export interface LivenessFacts {
  status: string;
  host: string | null;
  pid: number | null;
  /** ms: the heartbeat's time, else the last write to the run log; null when unknown */
  lastSeenAt: number | null;
}

export interface LivenessEnv {
  host: string;
  now: number;
  timeoutMs: number;
  /** does a process with this pid exist on this host */
  pidAlive: (pid: number) => boolean;
}

export interface Liveness {
  status: string;
  note?: string;
}

export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function defaultLivenessEnv(timeoutMs?: number): LivenessEnv {
  const fromEnv = Number(process.env.MLSIGHT_HEARTBEAT_TIMEOUT_S);
  const t = timeoutMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : DEFAULT_HEARTBEAT_TIMEOUT_MS);
  return { host: os.hostname(), now: Date.now(), timeoutMs: t, pidAlive };
}

/** The status to show for a run (pure: the decision, given the facts). */
export function judgeLiveness(f: LivenessFacts, env: LivenessEnv): Liveness {
  if (f.status !== 'RUNNING') {
    return { status: f.status };
  }
  if (f.host !== null && f.pid !== null && f.host === env.host) {
    return env.pidAlive(f.pid)
      ? { status: 'RUNNING' }
      : { status: 'KILLED', note: `${KILLED_NOTE} (pid ${f.pid} is gone on ${f.host})` };
  }
  if ((f.host !== null || f.pid !== null) && f.lastSeenAt !== null && env.now - f.lastSeenAt > env.timeoutMs) {
    const mins = Math.round((env.now - f.lastSeenAt) / 60_000);
    return { status: 'KILLED', note: `${KILLED_NOTE} (no heartbeat from ${f.host ?? 'its host'} for ${mins} min)` };
  }
  return { status: 'RUNNING' };
}

function readHeartbeat(file: string): number | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 4096) {
      return null;
    }
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as { ts?: unknown };
    return typeof o.ts === 'number' && Number.isFinite(o.ts) ? o.ts : st.mtimeMs;
  } catch {
    return null;
  }
}

/** What is known about the liveness of the RUNNING runs among `runIds` (others are not looked at). */
export function livenessFacts(db: Db, folder: string, runIds: readonly string[]): Map<string, LivenessFacts> {
  const out = new Map<string, LivenessFacts>();
  if (!runIds.length) {
    return out;
  }
  const wanted = new Set(runIds);
  const rows = db.all<{ id: string; source_path: string | null; host: string | null; pid: string | null }>(
    `SELECT r.id, r.source_path,
            (SELECT value FROM tags WHERE run_id = r.id AND key = 'mlsight.host') AS host,
            (SELECT value FROM tags WHERE run_id = r.id AND key = 'mlsight.pid') AS pid
       FROM runs r WHERE r.status = 'RUNNING' AND r.source = 'mlsight'`,
  );
  const root = path.resolve(folder);
  for (const r of rows) {
    if (!wanted.has(r.id)) {
      continue;
    }
    let lastSeenAt: number | null = null;
    if (r.source_path) {
      const log = path.resolve(root, r.source_path);
      if (log.startsWith(root + path.sep)) {
        lastSeenAt = readHeartbeat(path.join(path.dirname(log), HEARTBEAT_FILE));
        if (lastSeenAt === null) {
          try {
            lastSeenAt = fs.statSync(log).mtimeMs;
          } catch {
            /* gone */
          }
        }
      }
    }
    const pid = r.pid !== null && /^\d+$/.test(r.pid) ? Number(r.pid) : null;
    out.set(r.id, { status: 'RUNNING', host: r.host, pid, lastSeenAt });
  }
  return out;
}

/**
 * The rows with the status they should show: RUNNING runs whose process is gone become KILLED with a note.
 * Rows that are not RUNNING are returned as they are.
 */
export function withLiveness<T extends { id: string; status: string }>(
  db: Db,
  folder: string,
  rows: readonly T[],
  env: LivenessEnv = defaultLivenessEnv(),
): (T & { statusNote?: string })[] {
  const running = rows.filter(r => r.status === 'RUNNING').map(r => r.id);
  if (!running.length) {
    return rows as T[];
  }
  const facts = livenessFacts(db, folder, running);
  return rows.map(r => {
    const f = facts.get(r.id);
    if (!f) {
      return r;
    }
    const l = judgeLiveness(f, env);
    return l.status === r.status ? r : { ...r, status: l.status, statusNote: l.note };
  });
}

/** The status to show for one run (with the note when it was judged KILLED). */
export function effectiveRunStatus(db: Db, folder: string, runId: string, status: string, env?: LivenessEnv): Liveness {
  const [r] = withLiveness(db, folder, [{ id: runId, status }], env);
  return { status: r.status, note: r.statusNote };
}
