/**
 * Promotions on a team model (an MLflow registered model in the team backend). Two steps, so that what the gate
 * saw is what the commit checks:
 *  1. planPromotion reads the model, the version the alias holds now (the champion) and both versions' runs, and
 *     runs ML Sight's gate on the primary metric: the challenger must beat the champion in the metric's direction
 *     (loss-like names are minimised: gate.ts guessDirection); a first promotion (no champion) passes.
 *  2. commitPromotion moves the MLflow alias only if it still points where the plan saw it (the backend checks
 *     under a row lock on registered_models), and writes the gate evidence and the audit event as model-version
 *     tags of the promoted version: `mlsight.gate.<alias>` and `mlsight.audit.<time>-<id>` (JSON, ≤ 5000 chars,
 *     MLflow's limit for tag values), so MLflow's UI shows why and by whom a version was promoted.
 */
import { randomUUID } from 'crypto';
import * as os from 'os';
import { guessDirection } from '../registry/gate';
import { PromoteResult, TeamModel, TrackingBackend, TrackingError } from './types';

export interface TeamGateEvidence {
  metric: string | null;
  direction: 'maximize' | 'minimize';
  champion: { version: number; runId: string | null; value: number | null } | null;
  challenger: { version: number; runId: string | null; value: number | null };
  passes: boolean;
  reason: string;
}

export interface TeamPromotionPlan {
  model: string;
  version: number;
  alias: string;
  expectedVersion: number | null;
  evidence: TeamGateEvidence;
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
  const m: TeamModel | undefined = await b.getModel(model);
  if (!m) {
    throw new TrackingError('NOT_FOUND', `registered model ${JSON.stringify(model)} does not exist in ${b.displayUri}`);
  }
  const challenger = m.versions.find(v => v.version === version);
  if (!challenger) {
    throw new TrackingError('NOT_FOUND', `${model} has no version ${version} in ${b.displayUri}`);
  }
  const expectedVersion = m.aliases[alias] ?? null;
  const champion = expectedVersion !== null ? (m.versions.find(v => v.version === expectedVersion) ?? null) : null;
  const key = metric ?? m.tags['mlsight.primary_metric'] ?? null;
  const direction = key
    ? m.tags['mlsight.direction'] === 'minimize' || m.tags['mlsight.direction'] === 'maximize'
      ? m.tags['mlsight.direction']
      : guessDirection(key)
    : 'maximize';
  const valueOf = async (runId: string | null) => {
    if (!key || !runId) {
      return null;
    }
    const r = await b.getRun(runId);
    const v = r?.metrics[key]?.value;
    return v === undefined || Number.isNaN(v) ? null : v;
  };
  const chVal = await valueOf(challenger.runId);
  const cpVal = champion ? await valueOf(champion.runId) : null;
  let passes: boolean;
  let reason: string;
  if (expectedVersion === version) {
    passes = false;
    reason = `${alias} already points to version ${version}`;
  } else if (!key) {
    passes = false;
    reason = 'no primary metric: give --metric or set the model tag mlsight.primary_metric';
  } else if (chVal === null) {
    passes = false;
    reason = `version ${version}'s run has no ${key}`;
  } else if (!champion || cpVal === null) {
    passes = true;
    reason = champion ? `the champion's run has no ${key}; first comparable promotion` : 'first promotion';
  } else {
    passes = direction === 'maximize' ? chVal > cpVal : chVal < cpVal;
    reason = `${key}: ${chVal} vs ${cpVal} (${direction})${passes ? '' : ': the challenger does not beat the champion'}`;
  }
  return {
    model,
    version,
    alias,
    expectedVersion,
    evidence: {
      metric: key,
      direction,
      passes,
      reason,
      champion: champion ? { version: champion.version, runId: champion.runId, value: cpVal } : null,
      challenger: { version, runId: challenger.runId, value: chVal },
    },
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
