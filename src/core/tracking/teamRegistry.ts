/**
 * Promotions on a team model (an MLflow registered model in the team backend). Two steps, so that what the gate
 * saw is what the commit checks:
 *  1. planPromotion reads the model, the version the alias holds now (the champion) and both versions' runs, and
 *     runs the registry's own gate (core/registry/gate.ts compareVersions + evaluateGate, as for a local model):
 *     a different version, not archived, its run FINISHED, and beating the champion on the primary metric (model
 *     tags mlsight.primary_metric / mlsight.direction / mlsight.min_improvement, or --metric); a first promotion
 *     (no champion) passes the metric check.
 *  2. commitPromotion moves the MLflow alias only if it still points where the plan saw it (the backend checks
 *     under a row lock on registered_models), and writes the gate evidence and the audit event as model-version
 *     tags of the promoted version: `mlsight.gate.<alias>` and `mlsight.audit.<time>-<id>` (JSON, ≤ 5000 chars,
 *     MLflow's limit for tag values), so MLflow's UI shows why and by whom a version was promoted.
 * Alias moves outside the gate (Set Alias…, remove, Undo Last Promotion: moveTeamAlias, undoTeamPromotion) go
 * through the same checked write (TrackingBackend.moveAlias) and leave the same kind of audit tag.
 */
import { randomUUID } from 'crypto';
import * as os from 'os';
import { GateResult, OfflineComparison, compareVersions, evaluateGate } from '../registry/gate';
import type { ModelDetail } from '../registry/views';
import { loadTeamModelDetail } from './teamView';
import { AliasMoveResult, PromoteResult, TrackingBackend, TrackingError } from './types';

export interface TeamGateEvidence {
  metric: string | null;
  direction: 'maximize' | 'minimize';
  champion: { version: number; runId: string | null; value: number | null } | null;
  challenger: { version: number; runId: string | null; value: number | null };
  passes: boolean;
  reason: string;
  /** the gate's checks (core/registry/gate.ts evaluateGate), as the Promote review lists them */
  checks: { id: string; code: string; ok: boolean; detail: string }[];
}

export interface TeamPromotionPlan {
  model: string;
  version: number;
  alias: string;
  expectedVersion: number | null;
  evidence: TeamGateEvidence;
  /** what the gate saw: the model as the registry reads it, the offline comparison and the gate's verdict */
  detail: ModelDetail;
  comparison: OfflineComparison;
  gate: GateResult;
}

export type TeamAuditAction = 'promote' | 'alias.set' | 'alias.delete' | 'promotion.undo';
const AUDIT_ACTIONS: readonly string[] = ['promote', 'alias.set', 'alias.delete', 'promotion.undo'];

export interface TeamAuditEvent {
  id: string;
  at: number;
  actor: string;
  action: TeamAuditAction;
  model: string;
  /** the version the event's tag is on: the alias's new version, or for a removal the one it pointed to */
  version: number;
  alias: string;
  from: number | null;
  /** null: the alias was removed */
  to: number | null;
  reason: string;
  override: boolean;
  /** the gate's evidence (promotions only) */
  evidence: TeamGateEvidence | null;
  backend: string;
  /** promotion.undo: the id of the promotion it undid */
  undoes?: string;
}

/** MLflow's rule for alias names (letters, digits, _ and -; not "latest" or v<number>); undefined when valid. */
export function teamAliasProblem(alias: string): string | undefined {
  return !/^[A-Za-z0-9_-]{1,255}$/.test(alias) || /^v\d+$/i.test(alias) || alias.toLowerCase() === 'latest'
    ? `alias ${JSON.stringify(alias)}: MLflow aliases are letters, digits, _ and -, and not "latest" or v<number>`
    : undefined;
}

let lastAt = 0;
/** The time of an audit event: strictly increasing within this process, so history orders quick moves correctly. */
function eventTime(): number {
  lastAt = Math.max(Date.now(), lastAt + 1);
  return lastAt;
}

const cap = (s: string) => (s.length <= 5000 ? s : s.slice(0, 4999) + '…');

/** The audit event as the model-version tag ML Sight writes (`mlsight.audit.<time>-<id>`). */
function auditTag(event: TeamAuditEvent): [string, string] {
  return [`mlsight.audit.${event.at}-${event.id.slice(0, 8)}`, cap(JSON.stringify(event))];
}

export async function planPromotion(
  b: TrackingBackend,
  model: string,
  version: number,
  alias: string,
  metric?: string,
): Promise<TeamPromotionPlan> {
  const problem = teamAliasProblem(alias);
  if (problem) {
    throw new TrackingError('INVALID', problem);
  }
  const m = await loadTeamModelDetail(b, model);
  if (!m) {
    throw new TrackingError('NOT_FOUND', `registered model ${JSON.stringify(model)} does not exist in ${b.displayUri}`);
  }
  const challenger = m.versions.find(v => v.version === version);
  if (!challenger) {
    throw new TrackingError('NOT_FOUND', `${model} has no version ${version} in ${b.displayUri}`);
  }
  const expectedVersion = m.aliases[alias] ?? null;
  const champion = expectedVersion !== null ? (m.versions.find(v => v.version === expectedVersion) ?? null) : null;
  // the registry's gate, as for a local model: the same checks on the versions' runs (status, primary metric)
  const settings = { ...m.settings, primaryMetric: metric ?? m.settings.primaryMetric };
  const comparison = compareVersions(challenger, champion, settings);
  const gate = evaluateGate({ comparison, target: { alias }, currentVersion: expectedVersion, ab: null, settings });
  return {
    model,
    version,
    alias,
    expectedVersion,
    evidence: {
      metric: comparison.metric,
      direction: comparison.direction,
      passes: gate.pass,
      reason: gate.pass ? comparison.reason : gate.failures.join(' '),
      champion: champion ? { version: champion.version, runId: champion.runId, value: comparison.championValue } : null,
      challenger: { version, runId: challenger.runId, value: comparison.challengerValue },
      checks: gate.checks.map(c => ({ id: c.id, code: c.code, ok: c.ok, detail: c.detail })),
    },
    detail: m,
    comparison,
    gate,
  };
}

export function actorName(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Commits a plan; a failed gate needs override + reason. Throws TrackingError CONFLICT when the alias moved. */
export async function commitPromotion(
  b: TrackingBackend,
  plan: TeamPromotionPlan,
  o: { reason: string; override?: boolean; actor?: string },
): Promise<{ result: PromoteResult; event: TeamAuditEvent }> {
  if (!o.reason.trim()) {
    throw new TrackingError('INVALID', 'a promotion needs a reason');
  }
  if (!plan.evidence.passes && !o.override) {
    throw new TrackingError(
      'INVALID',
      `the promotion gate did not pass (${plan.evidence.reason}); override it with a reason to promote anyway`,
    );
  }
  if (plan.expectedVersion === plan.version) {
    throw new TrackingError('INVALID', plan.evidence.reason);
  }
  const event: TeamAuditEvent = {
    id: randomUUID(),
    at: eventTime(),
    actor: o.actor ?? actorName(),
    action: 'promote',
    model: plan.model,
    version: plan.version,
    alias: plan.alias,
    from: plan.expectedVersion,
    to: plan.version,
    reason: o.reason,
    override: !!o.override && !plan.evidence.passes,
    evidence: plan.evidence,
    backend: b.displayUri,
  };
  const result = await b.promote({
    model: plan.model,
    version: plan.version,
    alias: plan.alias,
    expectedVersion: plan.expectedVersion,
    versionTags: [[`mlsight.gate.${plan.alias}`, cap(JSON.stringify(plan.evidence))], auditTag(event)],
  });
  return { result, event };
}

export interface TeamAliasMove {
  model: string;
  alias: string;
  /** the version the alias is to point to; null removes it */
  version: number | null;
  /** where the alias pointed when the user decided (null: unset); the move is refused with CONFLICT otherwise */
  expectedVersion: number | null;
  reason?: string;
  actor?: string;
}

/**
 * Set Alias… / remove alias on a team model, outside the promotion gate: the alias row and an audit tag
 * (action alias.set / alias.delete) in one checked write. Throws TrackingError CONFLICT when the alias moved since
 * the caller read it, INVALID for a bad alias name or a move to where it already points.
 */
export async function moveTeamAlias(
  b: TrackingBackend,
  o: TeamAliasMove,
): Promise<{ result: AliasMoveResult; event: TeamAuditEvent }> {
  const problem = teamAliasProblem(o.alias);
  if (problem) {
    throw new TrackingError('INVALID', problem);
  }
  if (o.version === o.expectedVersion) {
    throw new TrackingError(
      'INVALID',
      o.version === null ? `${o.model} has no alias @${o.alias}` : `@${o.alias} already points to v${o.version}`,
    );
  }
  return writeAliasEvent(b, o, o.version === null ? 'alias.delete' : 'alias.set', null);
}

async function writeAliasEvent(
  b: TrackingBackend,
  o: TeamAliasMove,
  action: TeamAuditAction,
  undoes: string | null,
): Promise<{ result: AliasMoveResult; event: TeamAuditEvent }> {
  const event: TeamAuditEvent = {
    id: randomUUID(),
    at: eventTime(),
    actor: o.actor ?? actorName(),
    action,
    model: o.model,
    version: (o.version ?? o.expectedVersion)!,
    alias: o.alias,
    from: o.expectedVersion,
    to: o.version,
    reason: o.reason ?? '',
    override: false,
    evidence: null,
    backend: b.displayUri,
    ...(undoes ? { undoes } : {}),
  };
  const result = await b.moveAlias({
    model: o.model,
    alias: o.alias,
    version: o.version,
    expectedVersion: o.expectedVersion,
    versionTags: [auditTag(event)],
  });
  return { result, event };
}

/**
 * The promotion Undo Last Promotion takes back: the latest promotion of the model not undone yet (each undo names
 * the promotion it undid, so undoing again walks further back, as the workspace registry's undo does).
 */
export function lastTeamPromotion(m: ModelDetail): TeamAuditEvent | undefined {
  const events = teamAuditHistory(m, Infinity);
  const undone = new Set(events.flatMap(e => (e.action === 'promotion.undo' && e.undoes ? [e.undoes] : [])));
  return events.filter(e => e.action === 'promote' && !undone.has(e.id)).pop();
}

/**
 * Undo Last Promotion on a team model: the alias goes back where the promotion found it (removed when it was
 * unset), only if it still points to the promoted version (else CONFLICT: someone moved it since; nothing written).
 */
export async function undoTeamPromotion(
  b: TrackingBackend,
  model: string,
  o: { reason: string; actor?: string },
): Promise<{ result: AliasMoveResult; event: TeamAuditEvent; undone: TeamAuditEvent }> {
  if (!o.reason.trim()) {
    throw new TrackingError('INVALID', 'undoing a promotion needs a reason');
  }
  const m = await loadTeamModelDetail(b, model);
  if (!m) {
    throw new TrackingError('NOT_FOUND', `registered model ${JSON.stringify(model)} does not exist in ${b.displayUri}`);
  }
  const last = lastTeamPromotion(m);
  if (!last || last.to === null) {
    throw new TrackingError('NOT_FOUND', `${model} has no promotion by ML Sight to undo in ${b.displayUri}`);
  }
  const move = { model, alias: last.alias, version: last.from, expectedVersion: last.to, ...o };
  return { ...(await writeAliasEvent(b, move, 'promotion.undo', last.id)), undone: last };
}

/**
 * Every alias change ML Sight recorded on a team model (the audit events written as model-version tags
 * `mlsight.audit.<time>-<id>`), oldest first, the last `limit` (unreadable or foreign tags are skipped).
 */
export function teamAuditHistory(m: ModelDetail, limit = 2000): TeamAuditEvent[] {
  const out: TeamAuditEvent[] = [];
  for (const v of m.versions) {
    for (const [k, value] of Object.entries(v.tags)) {
      if (!k.startsWith('mlsight.audit.')) {
        continue;
      }
      try {
        const e = JSON.parse(value) as TeamAuditEvent;
        if (e && typeof e.at === 'number' && typeof e.actor === 'string' && AUDIT_ACTIONS.includes(e.action)) {
          out.push(e);
        }
      } catch {
        /* a truncated or foreign tag */
      }
    }
  }
  return out.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id)).slice(-limit);
}

/** The promotions among them (the Promote review lists these). */
export function teamPromotionHistory(m: ModelDetail, limit = 12): TeamAuditEvent[] {
  return teamAuditHistory(m, Infinity)
    .filter(e => e.action === 'promote')
    .slice(-limit);
}
