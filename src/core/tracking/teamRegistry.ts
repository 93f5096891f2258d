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
 */
import { randomUUID } from 'crypto';
import * as os from 'os';
import { GateResult, OfflineComparison, compareVersions, evaluateGate } from '../registry/gate';
import type { ModelDetail } from '../registry/views';
import { loadTeamModelDetail } from './teamView';
import { PromoteResult, TrackingBackend, TrackingError } from './types';

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

export interface TeamAuditEvent {
  id: string;
  at: number;
  actor: string;
  action: 'promote';
  model: string;
  version: number;
  alias: string;
  from: number | null;
  to: number;
  reason: string;
  override: boolean;
  evidence: TeamGateEvidence;
  backend: string;
}

export async function planPromotion(
  b: TrackingBackend,
  model: string,
  version: number,
  alias: string,
  metric?: string,
): Promise<TeamPromotionPlan> {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(alias) || /^v\d+$/i.test(alias) || alias.toLowerCase() === 'latest') {
    throw new TrackingError(
      'INVALID',
      `alias ${JSON.stringify(alias)}: MLflow aliases are letters, digits, _ and -, and not "latest" or v<number>`,
    );
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
    at: Date.now(),
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
  const cap = (s: string) => (s.length <= 5000 ? s : s.slice(0, 4999) + '…');
  const result = await b.promote({
    model: plan.model,
    version: plan.version,
    alias: plan.alias,
    expectedVersion: plan.expectedVersion,
    versionTags: [
      [`mlsight.gate.${plan.alias}`, cap(JSON.stringify(plan.evidence))],
      [`mlsight.audit.${event.at}-${event.id.slice(0, 8)}`, cap(JSON.stringify(event))],
    ],
  });
  return { result, event };
}

/**
 * The promotions recorded on a team model: the audit events ML Sight wrote as model-version tags
 * (`mlsight.audit.<time>-<id>`), oldest first (unreadable tags are skipped). The review page shows them.
 */
export function teamPromotionHistory(m: ModelDetail, limit = 12): TeamAuditEvent[] {
  const out: TeamAuditEvent[] = [];
  for (const v of m.versions) {
    for (const [k, value] of Object.entries(v.tags)) {
      if (!k.startsWith('mlsight.audit.')) {
        continue;
      }
      try {
        const e = JSON.parse(value) as TeamAuditEvent;
        if (e && typeof e.at === 'number' && typeof e.actor === 'string' && e.action === 'promote') {
          out.push(e);
        }
      } catch {
        /* a truncated or foreign tag */
      }
    }
  }
  return out.sort((a, b) => a.at - b.at).slice(-limit);
}
