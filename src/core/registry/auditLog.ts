import * as fs from 'fs';
import * as path from 'path';
import { createHash, randomUUID } from 'crypto';
import * as lockfile from 'proper-lockfile';
import { appendLineDurably } from '../store/atomicFile';
import { Db } from '../store/db';
import { parseJsonl } from '../jsonl';
import { STORE_DIR } from '../store/store';
import { ModelState, foldModel } from './state';

export const AUDIT_FILE = 'audit.jsonl';
export const AUDIT_LOCK_FILE = 'audit.jsonl.lock';

/** Registry actions. The audit log is the source of truth; the store's registry tables are its projection. */
export type RegistryAction =
  | 'model.create'
  | 'model.describe'
  | 'model.configure'
  | 'version.create'
  | 'version.describe'
  | 'alias.set'
  | 'alias.delete'
  | 'stage.set'
  | 'tag.set'
  | 'tag.delete'
  | 'promote'
  | 'promotion.undo'
  | 'canary.set';

export const REGISTRY_ACTIONS: readonly RegistryAction[] = [
  'model.create',
  'model.describe',
  'model.configure',
  'version.create',
  'version.describe',
  'alias.set',
  'alias.delete',
  'stage.set',
  'tag.set',
  'tag.delete',
  'promote',
  'promotion.undo',
  'canary.set',
];

/**
 * Where the model lives. 'mlsight' (the default): ML Sight's own registry, whose state is the fold of these
 * events. 'mlflow-filestore': a model in an MLflow `mlruns/models/` folder; the event records the change (which
 * was also written back to MLflow's files), and the projection only updates the ingested rows if present.
 */
export type RegistryBackend = 'mlsight' | 'mlflow-filestore';

export interface AuditEvent {
  id: string;
  /** ms since epoch */
  at: number;
  /** git user, else OS user */
  actor: string;
  action: RegistryAction;
  /** model name */
  model: string;
  version?: number;
  alias?: string;
  from?: string | null;
  to?: string | null;
  reason?: string;
  evidence?: Record<string, unknown>;
  /** Position in `.mlsight/audit.jsonl` (1-based), assigned under the audit lock; orders the events of a model. */
  seq?: number;
  backend?: RegistryBackend;
  /** Hash chain (tamper evidence): the `hash` of the event before it (null for the first line of a new log). */
  prev?: string | null;
  /** sha256 of this event's JSON without `hash` (so of its content and `prev`): any edit breaks the chain. */
  hash?: string;
}

export function newAuditEvent(
  fields: Omit<AuditEvent, 'id' | 'at'> & Partial<Pick<AuditEvent, 'id' | 'at'>>,
): AuditEvent {
  return { id: fields.id ?? randomUUID(), at: fields.at ?? Date.now(), ...fields };
}

export function auditLogPath(folder: string): string {
  return path.join(folder, STORE_DIR, AUDIT_FILE);
}

const ACTIONS = new Set<string>(REGISTRY_ACTIONS);

function isAuditEvent(v: unknown): v is AuditEvent {
  const e = v as AuditEvent;
  return (
    !!e &&
    typeof e === 'object' &&
    typeof e.id === 'string' &&
    typeof e.at === 'number' &&
    typeof e.actor === 'string' &&
    ACTIONS.has(e.action) &&
    typeof e.model === 'string' &&
    (e.version === undefined || Number.isInteger(e.version)) &&
    (e.seq === undefined || Number.isInteger(e.seq))
  );
}

/** Appends an event durably (fsync) to `.mlsight/audit.jsonl`. Prefer appendAuditEvents, which orders and locks. */
export async function appendAuditEvent(folder: string, event: AuditEvent): Promise<void> {
  await fs.promises.mkdir(path.join(folder, STORE_DIR), { recursive: true });
  await appendLineDurably(auditLogPath(folder), JSON.stringify(event));
}

/**
 * The hash chain of the log, verified on every read. `verified`: every event is chained and intact; `unchained`:
 * a log written before the chain (no hashes; loaded as it is); `partial`: older unchained events followed by an
 * intact chain; `broken`: from `firstBad` on, an event was edited, removed, inserted or reordered — the events from
 * there on still load but are unverified.
 */
export interface AuditChain {
  state: 'verified' | 'unchained' | 'partial' | 'broken' | 'empty';
  /** the first line that does not verify (1-based line of .mlsight/audit.jsonl) */
  firstBad?: { line: number; eventId: string; message: string };
  /** ids of the events from the first bad one on */
  unverified: string[];
  unchained: number;
  /** hash of the last event: the next event's `prev` */
  head: string | null;
}

export interface AuditRead {
  events: AuditEvent[];
  errors: { line: number; message: string }[];
  /** the file ends without a newline */
  tornTail: boolean;
  chain?: AuditChain;
}

/** The hash an event carries: sha256 of its JSON (in its own key order) without `hash`. */
export function eventHash(e: AuditEvent): string {
  const { hash: _h, ...rest } = e;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/** What the next event chains to: the previous event's `hash`, or the sha256 of an unchained line's text. */
function linkOf(e: AuditEvent, raw: string): string {
  return typeof e.hash === 'string' ? e.hash : createHash('sha256').update(raw).digest('hex');
}

/** Verifies the chain over the valid events (with their raw lines), in file order. */
export function verifyChain(items: readonly { event: AuditEvent; line: number; raw: string }[]): AuditChain {
  let prev: string | null = null;
  let unchained = 0;
  let chained = 0;
  let bad: AuditChain['firstBad'];
  const unverified: string[] = [];
  for (const { event: e, line, raw } of items) {
    if (!bad) {
      let message: string | undefined;
      if (e.hash === undefined) {
        if (chained) {
          message = 'an event without a hash after chained events (inserted or rewritten)';
        } else {
          unchained++;
        }
      } else if (eventHash(e) !== e.hash) {
        message = 'its content does not match its hash (edited)';
      } else if ((e.prev ?? null) !== prev) {
        message =
          prev === null && chained === 0 && unchained === 0
            ? 'the first event points at a previous one (lines removed at the start)'
            : 'it does not follow the event before it (an event was removed, inserted, reordered or edited before it)';
      } else {
        chained++;
      }
      if (message) {
        bad = { line, eventId: e.id, message };
      }
    }
    if (bad) {
      unverified.push(e.id);
    }
    prev = linkOf(e, raw);
  }
  const state: AuditChain['state'] = bad
    ? 'broken'
    : !items.length
      ? 'empty'
      : chained === 0
        ? 'unchained'
        : unchained
          ? 'partial'
          : 'verified';
  return { state, firstBad: bad, unverified, unchained, head: prev };
}

/** One sentence for the user about a chain that is not fully verified (undefined when there is nothing to say). */
export function describeChain(c: AuditChain | undefined): string | undefined {
  if (!c) {
    return undefined;
  }
  if (c.state === 'broken' && c.firstBad) {
    return (
      `.mlsight/audit.jsonl does not verify from line ${c.firstBad.line} on: ${c.firstBad.message}. ` +
      `The ${c.unverified.length} event${c.unverified.length === 1 ? '' : 's'} from there on are shown but unverified.`
    );
  }
  if (c.state === 'unchained') {
    return '.mlsight/audit.jsonl was written before events were hash-chained: it is loaded as it is, unverified.';
  }
  if (c.state === 'partial') {
    return `The first ${c.unchained} events of .mlsight/audit.jsonl were written before events were hash-chained (unverified); the rest verify.`;
  }
  return undefined;
}

/**
 * Reads every complete, valid event; bad lines are reported, a torn last line is ignored. Every event gets its
 * `seq` (events written before sequencing get their position among the valid events).
 */
export async function readAuditLog(folder: string): Promise<AuditRead> {
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(auditLogPath(folder));
  } catch {
    return { events: [], errors: [], tornTail: false };
  }
  const chunk = parseJsonl<unknown>(buf);
  const events: AuditEvent[] = [];
  const errors = [...chunk.errors];
  const lines = buf.toString('utf8').split('\n');
  const items: { event: AuditEvent; line: number; raw: string }[] = [];
  for (const r of chunk.records) {
    if (isAuditEvent(r.value)) {
      events.push(r.value);
      items.push({ event: r.value, line: r.line, raw: (lines[r.line - 1] ?? '').replace(/\r$/, '') });
    } else {
      errors.push({ line: r.line, message: 'not a registry event' });
    }
  }
  const chain = verifyChain(items);
  let last = 0;
  for (const e of events) {
    if (e.seq === undefined || e.seq <= last) {
      e.seq = last + 1;
    }
    last = e.seq;
  }
  return { events, errors, tornTail: chunk.partialTail, chain };
}

/**
 * Appends events to the audit log under an inter-process lock, so registry decisions of two windows (or a window
 * and the CLI) are serialised: `build` sees every event already in the log (to validate against, to allocate
 * the next version number) and returns the events to append, which get consecutive `seq` numbers. A torn last
 * line left by a crashed writer is terminated first (it stays a skipped bad line; nothing is rewritten).
 */
export async function appendAuditEvents<T>(
  folder: string,
  build: (log: AuditRead) => Promise<{ events: AuditEvent[]; result: T }> | { events: AuditEvent[]; result: T },
  /** runs after the append, still under the lock (MLflow write-back, so two writers' file changes keep log order) */
  afterAppend?: (events: AuditEvent[]) => Promise<void>,
): Promise<{ events: AuditEvent[]; result: T }> {
  const dir = path.join(folder, STORE_DIR);
  await fs.promises.mkdir(dir, { recursive: true });
  // The lock's target is the log file (it need not exist): proper-lockfile keys its in-process bookkeeping by the
  // target, so it must differ from the store's (which locks the .mlsight folder).
  const release = await lockfile.lock(auditLogPath(folder), {
    lockfilePath: path.join(dir, AUDIT_LOCK_FILE),
    realpath: false,
    stale: 10_000,
    update: 5_000,
    retries: { retries: 300, factor: 1.2, minTimeout: 10, maxTimeout: 100, randomize: true },
  });
  try {
    const log = await readAuditLog(folder);
    const built = await build(log);
    if (built.events.length === 0) {
      return built;
    }
    let seq = log.events.length ? log.events[log.events.length - 1].seq! : 0;
    let prev = log.chain?.head ?? null;
    const lines: string[] = [];
    for (const e of built.events) {
      e.seq = ++seq;
      delete e.hash;
      e.prev = prev;
      e.hash = eventHash(e);
      prev = e.hash;
      lines.push(JSON.stringify(e));
    }
    // One write for all of them: a crash leaves a prefix of whole lines plus at most one torn line.
    await appendLineDurably(auditLogPath(folder), (log.tornTail ? '\n' : '') + lines.join('\n'));
    if (afterAppend) {
      await afterAppend(built.events);
    }
    return built;
  } finally {
    await release().catch(() => undefined);
  }
}

/** Events of one model from a log, in order. */
export function eventsOf(log: AuditRead, model: string): AuditEvent[] {
  return log.events.filter(e => e.model === model);
}

/** The state of one model according to the log. */
export function modelStateFromLog(log: AuditRead, model: string): ModelState | undefined {
  const events = eventsOf(log, model);
  return events.length ? foldModel(model, events) : undefined;
}

function subjectOf(e: AuditEvent): string {
  return e.model + (e.version !== undefined ? ` v${e.version}` : '') + (e.alias ? ` @${e.alias}` : '');
}

function insertRow(db: Db, e: AuditEvent, logSeq: number | null): boolean {
  return (
    db.run(
      `INSERT OR IGNORE INTO audit_log (event_id, at, actor, action, subject, from_value, to_value, reason, evidence_json, model, log_seq, event_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.id,
        e.at,
        e.actor,
        e.action,
        subjectOf(e),
        e.from ?? null,
        e.to ?? null,
        e.reason ?? null,
        e.evidence ? JSON.stringify(e.evidence) : null,
        e.model,
        logSeq,
        JSON.stringify(e),
      ],
    ) > 0
  );
}

/** The model's events as recorded in the store, in log order. */
export function storedEvents(db: Db, model: string): AuditEvent[] {
  return db
    .all<{ event_json: string | null }>(
      'SELECT event_json FROM audit_log WHERE model = ? AND event_json IS NOT NULL ORDER BY log_seq, seq',
      [model],
    )
    .flatMap(r => {
      try {
        return [JSON.parse(r.event_json!) as AuditEvent];
      } catch {
        return [];
      }
    });
}

/**
 * Rewrites a model's registry rows from its events (ML Sight's own models), or, for a model another source owns
 * (an MLflow registered model, replaced by the ingester whenever its files change), applies what the latest
 * event changed to the rows that exist. Gate settings are projected for every model.
 */
export function projectModel(db: Db, model: string, latest?: AuditEvent): void {
  const events = storedEvents(db, model);
  const state = foldModel(model, events);
  const cfg = [...events].reverse().find(e => e.action === 'model.configure');
  if (cfg) {
    db.run(
      `INSERT INTO model_settings (model_name, settings_json, updated_at) VALUES (?, ?, ?)
            ON CONFLICT(model_name) DO UPDATE SET settings_json = excluded.settings_json, updated_at = excluded.updated_at`,
      [model, JSON.stringify(state.settings), cfg.at],
    );
  }
  const cur = db.get<{ source: string }>('SELECT source FROM models WHERE name = ?', [model]);
  const foreign = (cur && cur.source !== 'mlsight') || events.some(e => e.backend === 'mlflow-filestore');
  if (foreign) {
    if (cur && latest) {
      applyToForeignRows(db, latest);
    }
    return;
  }
  const registryEvents = events.filter(e => e.action !== 'model.configure');
  if (registryEvents.length === 0) {
    return;
  }
  db.run('DELETE FROM models WHERE name = ?', [model]); // cascades to versions, aliases, tags
  db.run('INSERT INTO models (name, description, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
    model,
    state.description,
    'mlsight',
    state.createdAt,
    state.updatedAt,
  ]);
  for (const [k, v] of state.tags) {
    db.run('INSERT INTO model_tags (model_name, version, key, value) VALUES (?, 0, ?, ?)', [model, k, v]);
  }
  for (const v of state.versions.values()) {
    db.run(
      `INSERT INTO model_versions (model_name, version, run_id, source_uri, git_commit, description, stage, status, metrics_json,
              datasets_json, created_at, lineage_json, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        model,
        v.version,
        v.runId,
        v.sourceUri,
        v.gitCommit,
        v.description,
        v.stage,
        v.status,
        v.metrics ? JSON.stringify(v.metrics) : null,
        v.datasets ? JSON.stringify(v.datasets) : null,
        v.createdAt,
        v.lineage ? JSON.stringify(v.lineage) : null,
        v.createdBy,
        v.updatedAt,
      ],
    );
    for (const [k, x] of v.tags) {
      db.run('INSERT INTO model_tags (model_name, version, key, value) VALUES (?, ?, ?, ?)', [model, v.version, k, x]);
    }
  }
  for (const [alias, version] of state.aliases) {
    db.run('INSERT INTO model_aliases (model_name, alias, version) VALUES (?, ?, ?)', [model, alias, version]);
  }
}

/** The rows of an ingested (MLflow) model, updated in place until the ingester re-reads its files. */
function applyToForeignRows(db: Db, e: AuditEvent): void {
  const has = (v: number | undefined) =>
    v !== undefined && !!db.scalar('SELECT 1 FROM model_versions WHERE model_name = ? AND version = ?', [e.model, v]);
  const ev = e.evidence ?? {};
  const setStage = (version: number, stage: string, archive: boolean) => {
    db.run('UPDATE model_versions SET stage = ? WHERE model_name = ? AND version = ?', [stage, e.model, version]);
    if (archive && (stage === 'Staging' || stage === 'Production')) {
      db.run(`UPDATE model_versions SET stage = 'Archived' WHERE model_name = ? AND stage = ? AND version <> ?`, [
        e.model,
        stage,
        version,
      ]);
    }
  };
  const setAlias = (alias: string, version: number) =>
    db.run(
      `INSERT INTO model_aliases (model_name, alias, version) VALUES (?, ?, ?) ON CONFLICT(model_name, alias) DO UPDATE SET version = excluded.version`,
      [e.model, alias, version],
    );
  switch (e.action) {
    case 'alias.set':
      if (e.alias && has(e.version)) {
        setAlias(e.alias, e.version!);
      }
      break;
    case 'alias.delete':
      db.run('DELETE FROM model_aliases WHERE model_name = ? AND alias = ?', [e.model, e.alias ?? '']);
      break;
    case 'stage.set':
      if (has(e.version)) {
        setStage(e.version!, e.to ?? 'None', ev.archiveExisting === true);
      }
      break;
    case 'promote':
      if (!has(e.version)) {
        break;
      }
      if (e.alias) {
        setAlias(e.alias, e.version!);
      } else if (e.to) {
        setStage(e.version!, e.to, ev.archiveExisting === true);
      }
      for (const a of Array.isArray(ev.clearedAliases) ? ev.clearedAliases : []) {
        if (typeof a === 'string') {
          db.run('DELETE FROM model_aliases WHERE model_name = ? AND alias = ? AND version = ?', [
            e.model,
            a,
            e.version!,
          ]);
        }
      }
      break;
    case 'promotion.undo': {
      const to = e.to != null && e.to !== '' ? Number(e.to) : undefined;
      if (e.alias) {
        if (has(to)) {
          setAlias(e.alias, to!);
        } else {
          db.run('DELETE FROM model_aliases WHERE model_name = ? AND alias = ?', [e.model, e.alias]);
        }
      } else if (has(e.version) && typeof ev.restoreStage === 'string') {
        setStage(e.version!, ev.restoreStage, false);
      }
      const restore =
        ev.restoreAliases && typeof ev.restoreAliases === 'object'
          ? (ev.restoreAliases as Record<string, unknown>)
          : {};
      for (const [a, v] of Object.entries(restore)) {
        if (typeof v === 'number' && has(v)) {
          setAlias(a, v);
        }
      }
      const stages =
        ev.restoreStages && typeof ev.restoreStages === 'object' ? (ev.restoreStages as Record<string, unknown>) : {};
      for (const [n, s] of Object.entries(stages)) {
        if (typeof s === 'string' && has(Number(n))) {
          setStage(Number(n), s, false);
        }
      }
      break;
    }
    case 'tag.set':
    case 'tag.delete': {
      const key = typeof ev.key === 'string' ? ev.key : undefined;
      if (!key) {
        break;
      }
      const version = e.version ?? 0;
      if (e.action === 'tag.set') {
        db.run(
          `INSERT INTO model_tags (model_name, version, key, value) VALUES (?, ?, ?, ?)
                ON CONFLICT(model_name, version, key) DO UPDATE SET value = excluded.value`,
          [e.model, version, key, e.to ?? ''],
        );
      } else {
        db.run('DELETE FROM model_tags WHERE model_name = ? AND version = ? AND key = ?', [e.model, version, key]);
      }
      break;
    }
    case 'version.describe':
      if (has(e.version)) {
        db.run('UPDATE model_versions SET description = ? WHERE model_name = ? AND version = ?', [
          e.to ?? null,
          e.model,
          e.version!,
        ]);
      }
      break;
    case 'model.describe':
      db.run('UPDATE models SET description = ? WHERE name = ?', [e.to ?? null, e.model]);
      break;
    default:
      // the other actions (model.create, version.create, canary.set, model.configure, …) are applied elsewhere
      break;
  }
}

/**
 * Records the event in the audit_log table and re-derives the model's registry rows. Idempotent: an event whose
 * id is already in the table is skipped, so replaying the whole file (rebuild) or a write (after another
 * process wrote the store) converges on the same state — in log order, whatever order the writes arrive in.
 */
export function applyAuditEvent(db: Db, e: AuditEvent): boolean {
  if (!insertRow(db, e, e.seq ?? null)) {
    return false;
  }
  projectModel(db, e.model, e);
  return true;
}

/**
 * applyAuditEvent for many events (rebuild, catching up with the file): every model they name is projected once
 * (also when all its events were already recorded, so a rebuild repairs registry rows). Returns how many events
 * were new to the store.
 */
export function applyAuditEvents(db: Db, events: readonly AuditEvent[]): number {
  // For an MLflow-owned model only a newly recorded event touches its rows (its files are the truth).
  const models = new Map<string, AuditEvent | undefined>();
  let added = 0;
  for (const e of events) {
    if (insertRow(db, e, e.seq ?? null)) {
      added++;
      models.set(e.model, e);
    } else if (!models.has(e.model)) {
      models.set(e.model, undefined);
    }
  }
  for (const [model, e] of models) {
    projectModel(db, model, e);
  }
  return added;
}

/** Ids of the events the store already has (to find what another process appended but did not write yet). */
export function knownEventIds(db: Db): Set<string> {
  return new Set(db.all<{ event_id: string }>('SELECT event_id FROM audit_log').map(r => r.event_id));
}
