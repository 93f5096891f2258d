import * as fs from 'fs';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { appendLineDurably } from '../store/atomicFile';
import { Db } from '../store/db';
import { parseJsonl } from '../jsonl';
import { STORE_DIR } from '../store/store';

export const AUDIT_FILE = 'audit.jsonl';

/** Registry actions. The audit log is the source of truth; the store's registry tables are its projection. */
export type RegistryAction =
  | 'model.create'
  | 'model.describe'
  | 'version.create'
  | 'alias.set'
  | 'alias.delete'
  | 'stage.set';

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
}

export function newAuditEvent(fields: Omit<AuditEvent, 'id' | 'at'> & Partial<Pick<AuditEvent, 'id' | 'at'>>): AuditEvent {
  return { id: fields.id ?? randomUUID(), at: fields.at ?? Date.now(), ...fields } as AuditEvent;
}

export function auditLogPath(folder: string): string { return path.join(folder, STORE_DIR, AUDIT_FILE); }

const ACTIONS = new Set<string>(['model.create', 'model.describe', 'version.create', 'alias.set', 'alias.delete', 'stage.set']);

function isAuditEvent(v: unknown): v is AuditEvent {
  const e = v as AuditEvent;
  return !!e && typeof e === 'object' && typeof e.id === 'string' && typeof e.at === 'number'
    && typeof e.actor === 'string' && ACTIONS.has(e.action) && typeof e.model === 'string';
}

/** Appends an event durably (fsync) to `.mlsight/audit.jsonl`. */
export async function appendAuditEvent(folder: string, event: AuditEvent): Promise<void> {
  await fs.promises.mkdir(path.join(folder, STORE_DIR), { recursive: true });
  await appendLineDurably(auditLogPath(folder), JSON.stringify(event));
}

export interface AuditRead { events: AuditEvent[]; errors: { line: number; message: string }[] }

/** Reads every complete, valid event; bad lines are reported, a torn last line is ignored. */
export async function readAuditLog(folder: string): Promise<AuditRead> {
  let buf: Buffer;
  try { buf = await fs.promises.readFile(auditLogPath(folder)); } catch { return { events: [], errors: [] }; }
  const chunk = parseJsonl<unknown>(buf);
  const events: AuditEvent[] = [];
  const errors = [...chunk.errors];
  for (const r of chunk.records) {
    if (isAuditEvent(r.value)) { events.push(r.value); } else { errors.push({ line: r.line, message: 'not a registry event' }); }
  }
  return { events, errors };
}

/**
 * Records the event in the audit_log table and applies it to the registry tables. Idempotent: an event whose
 * id is already in the table is skipped, so replaying the whole file (rebuild) or a write (after another
 * process wrote the store) converges on the same state.
 */
export function applyAuditEvent(db: Db, e: AuditEvent): boolean {
  const subject = e.model + (e.version !== undefined ? ` v${e.version}` : '') + (e.alias ? ` @${e.alias}` : '');
  const inserted = db.run(
    `INSERT OR IGNORE INTO audit_log (event_id, at, actor, action, subject, from_value, to_value, reason, evidence_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.id, e.at, e.actor, e.action, subject, e.from ?? null, e.to ?? null, e.reason ?? null, e.evidence ? JSON.stringify(e.evidence) : null],
  );
  if (inserted === 0) { return false; }
  const ensureModel = () => db.run(
    `INSERT INTO models (name, created_at, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET updated_at = excluded.updated_at`, [e.model, e.at, e.at]);
  switch (e.action) {
    case 'model.create':
      ensureModel();
      if (e.to != null) { db.run('UPDATE models SET description = ? WHERE name = ?', [e.to, e.model]); }
      break;
    case 'model.describe':
      ensureModel();
      db.run('UPDATE models SET description = ? WHERE name = ?', [e.to ?? null, e.model]);
      break;
    case 'version.create': {
      ensureModel();
      const ev = e.evidence ?? {};
      const str = (k: string) => (typeof ev[k] === 'string' ? ev[k] as string : null);
      db.run(
        `INSERT OR IGNORE INTO model_versions (model_name, version, run_id, source_uri, git_commit, description, metrics_json, datasets_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [e.model, e.version ?? 0, str('run_id'), str('source_uri'), str('git_commit'), e.reason ?? null,
          ev.metrics ? JSON.stringify(ev.metrics) : null, ev.datasets ? JSON.stringify(ev.datasets) : null, e.at]);
      break;
    }
    case 'alias.set':
      ensureModel();
      db.run(
        `INSERT INTO model_aliases (model_name, alias, version) VALUES (?, ?, ?)
         ON CONFLICT(model_name, alias) DO UPDATE SET version = excluded.version`,
        [e.model, e.alias ?? '', e.version ?? 0]);
      break;
    case 'alias.delete':
      db.run('DELETE FROM model_aliases WHERE model_name = ? AND alias = ?', [e.model, e.alias ?? '']);
      break;
    case 'stage.set':
      db.run('UPDATE model_versions SET stage = ? WHERE model_name = ? AND version = ?', [e.to ?? 'None', e.model, e.version ?? 0]);
      if (e.evidence?.archiveExisting === true && e.to && e.to !== 'None' && e.to !== 'Archived') {
        db.run(`UPDATE model_versions SET stage = 'Archived' WHERE model_name = ? AND stage = ? AND version <> ?`, [e.model, e.to, e.version ?? 0]);
      }
      break;
  }
  return true;
}
