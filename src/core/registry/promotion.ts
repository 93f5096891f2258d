/**
 * Promotion in the model registry: the gate preview, promoting a version to an alias or stage (or overriding a
 * failed gate with a reason), and undoing the last promotion. Part of the Registry class (see registry.ts), built on
 * the audit-log commit machinery of registryCore.ts.
 */
import type { AbAnalysis } from './abAnalysis';
import { AuditEvent, modelStateFromLog } from './auditLog';
import { GateResult, OfflineComparison, PromotionTarget, compareVersions, evaluateGate, targetLabel } from './gate';
import { aliasNameProblem } from './mlflowWriteback';
import { ACTIVE_STAGES, ModelSettings, lastActivePromotion } from './state';
import { effectiveRunStatus } from '../runs/liveness';
import type { AbExclusion } from './abAttribution';
import { predictionsLoader } from './offlineEvidence';
import { ModelDetail, VersionDetail } from './views';
import { RegistryCore, RegistryError } from './registryCore';

/** A promotion the gate refused (and no override was asked for). */
export class GateFailedError extends RegistryError {
  constructor(
    readonly gate: GateResult,
    readonly comparison: OfflineComparison,
  ) {
    super(`The promotion gate failed: ${gate.failures.join(' ')}`);
    this.name = 'GateFailedError';
  }
}

export interface PromoteInput {
  model: string;
  version: number;
  /** default: alias champion */
  target?: PromotionTarget;
  /** why (always required; with override, why the failed gate is overridden) */
  reason: string;
  /** the A/B analysis, and what it was computed from (recorded as evidence); `analysis` null when nothing was left */
  ab?: { analysis: AbAnalysis | null; source: Record<string, unknown>; excluded?: AbExclusion | null } | null;
  /** promote although the gate failed (the reason is recorded as an override) */
  override?: boolean;
}

export interface PromotionPreview {
  model: ModelDetail;
  challenger: VersionDetail;
  champion: VersionDetail | null;
  target: PromotionTarget;
  currentVersion: number | null;
  comparison: OfflineComparison;
  gate: GateResult;
}

export interface PromoteResult {
  event: AuditEvent;
  gate: GateResult;
  comparison: OfflineComparison;
  overridden: boolean;
}

function compactAb(ab: NonNullable<PromoteInput['ab']>): Record<string, unknown> {
  const a = ab.analysis;
  if (!a) {
    return { source: ab.source, excluded: ab.excluded ?? null, verdict: null };
  }
  return {
    source: ab.source,
    excluded: ab.excluded ?? null,
    verdict: a.verdict,
    reasons: a.reasons,
    options: a.options,
    srm: a.srm,
    metrics: a.metrics.map(m => ({
      name: m.name,
      role: m.role,
      direction: m.direction,
      test: m.test,
      arms: m.arms,
      statistic: m.statistic,
      df: m.df,
      pValue: m.pValue,
      difference: m.difference,
      ci: m.ci,
      lift: m.lift,
      sequential: m.sequential,
      outcome: m.outcome,
      power: m.power,
      mde: m.mde,
      requiredTotal: m.requiredTotal,
    })),
  };
}

export abstract class RegistryPromotion extends RegistryCore {
  private holder(detail: ModelDetail, target: PromotionTarget): number | null {
    if ('alias' in target) {
      return detail.aliases[target.alias] ?? null;
    }
    const inStage = detail.versions.filter(v => v.stage === target.stage).map(v => v.version);
    return inStage.length ? Math.max(...inStage) : null;
  }

  /** The comparison and gate for promoting `version` to `target` now (nothing is written). */
  preview(
    model: string,
    version: number,
    target: PromotionTarget = { alias: 'champion' },
    ab: AbAnalysis | null = null,
    settingsOverride?: ModelSettings,
    abExcluded?: AbExclusion | null,
  ): PromotionPreview {
    const detail = this.model(model);
    if (!detail) {
      throw new RegistryError(`There is no registered model named ${JSON.stringify(model)}.`);
    }
    const challenger = detail.versions.find(v => v.version === version);
    if (!challenger) {
      throw new RegistryError(`${JSON.stringify(model)} has no version ${version}.`);
    }
    const currentVersion = this.holder(detail, target);
    const champion = currentVersion !== null ? (detail.versions.find(v => v.version === currentVersion) ?? null) : null;
    for (const v of [challenger, champion]) {
      if (v?.runId && v.runStatus === 'RUNNING') {
        // a run whose process is gone shows as KILLED (liveness.ts)
        const l = this.store.read(db => effectiveRunStatus(db, this.folder, v.runId!, 'RUNNING'));
        v.runStatus = l.status;
        v.runStatusNote = l.note;
      }
    }
    const settings = settingsOverride ?? detail.settings;
    const comparison = this.store.read(db =>
      compareVersions(challenger, champion, settings, predictionsLoader(db, this.folder)),
    );
    const gate = evaluateGate({ comparison, target, currentVersion, ab, settings, abExcluded });
    return { model: detail, challenger, champion, target, currentVersion, comparison, gate };
  }

  /**
   * Moves `champion` (or another alias, or a stage) to a version, if the gate passes — or, with `override`, although
   * it failed, recording the reason as an override. The comparison, the A/B analysis and the gate go into the
   * event. Aliases `challenger` pointing at the promoted version are cleared (they are restored by an undo).
   */
  async promote(input: PromoteInput): Promise<PromoteResult> {
    const target: PromotionTarget = input.target ?? { alias: 'champion' };
    if ('alias' in target) {
      const p = aliasNameProblem(target.alias);
      if (p) {
        throw new RegistryError(p);
      }
    } else if (!ACTIVE_STAGES.includes(target.stage)) {
      throw new RegistryError(`a promotion targets Staging or Production, not ${String(target.stage)}`);
    }
    const reason = input.reason?.trim();
    if (!reason) {
      throw new RegistryError('A promotion needs a reason (it is recorded in the audit log).');
    }
    const r = await this.commit(input.model, ctx => {
      this.requireVersion(ctx, input.model, input.version);
      const pv = this.preview(
        input.model,
        input.version,
        target,
        input.ab?.analysis ?? null,
        ctx.settings,
        input.ab?.excluded,
      );
      // the holder according to the log/files (the store may lag behind another window)
      const aliases = this.aliasesOf(ctx);
      const current =
        'alias' in target
          ? (aliases.get(target.alias) ?? null)
          : (() => {
              const s = [...this.versionsOf(ctx)].filter(v => this.stageOf(ctx, v) === target.stage);
              return s.length ? Math.max(...s) : null;
            })();
      if (current === input.version) {
        throw new RegistryError(
          `v${input.version} already is ${targetLabel(target)} of ${JSON.stringify(input.model)}.`,
        );
      }
      const gate =
        pv.currentVersion === current
          ? pv.gate
          : evaluateGate({
              comparison: pv.comparison,
              target,
              currentVersion: current,
              ab: input.ab?.analysis ?? null,
              settings: ctx.settings,
              abExcluded: input.ab?.excluded,
            });
      if (!gate.pass && !input.override) {
        throw new GateFailedError(gate, pv.comparison);
      }
      const cleared =
        'alias' in target && target.alias === 'champion' && aliases.get('challenger') === input.version
          ? ['challenger']
          : [];
      const c = pv.comparison;
      const evidence: Record<string, unknown> = {
        target,
        comparison: {
          metric: c.metric,
          direction: c.direction,
          minImprovement: c.minImprovement,
          relative: c.relative,
          champion: c.champion
            ? { version: c.champion.version, value: c.championValue, runId: c.champion.runId }
            : null,
          challenger: { version: c.challenger.version, value: c.challengerValue, runId: c.challenger.runId },
          delta: c.delta,
          relativeDelta: c.relativeDelta,
          passes: c.passes,
          code: c.code,
          reason: c.reason,
          evidence: c.evidence ?? null,
        },
        ab: input.ab ? compactAb(input.ab) : null,
        gate: { pass: gate.pass, checks: gate.checks },
        ...(input.override && !gate.pass
          ? {
              override: {
                reason,
                failedChecks: gate.failures,
                failedCodes: gate.checks.filter(x => !x.ok).map(x => x.code),
              },
            }
          : {}),
        ...(cleared.length ? { clearedAliases: cleared } : {}),
      };
      if (!('alias' in target)) {
        evidence.previousStage = this.stageOf(ctx, input.version);
        evidence.archiveExisting = target.archiveExisting;
        if (target.archiveExisting) {
          evidence.archived = Object.fromEntries(
            [...this.versionsOf(ctx)]
              .filter(v => v !== input.version && this.stageOf(ctx, v) === target.stage)
              .map(v => [v, target.stage]),
          );
        }
      }
      const event = {
        action: 'promote' as const,
        version: input.version,
        ...('alias' in target ? { alias: target.alias, to: String(input.version) } : { to: target.stage }),
        from: current !== null ? String(current) : null,
        reason,
        evidence,
      };
      return { events: [event], result: { gate, comparison: pv.comparison } };
    });
    return {
      event: r.events[0],
      gate: r.result.gate,
      comparison: r.result.comparison,
      overridden: !r.result.gate.pass,
    };
  }

  /** The last promotion of a model that can be undone (not undone yet, and its target not moved since). */
  lastPromotion(model: string):
    | {
        eventId: string;
        at: number;
        actor: string;
        alias?: string;
        stage?: string;
        fromVersion: number | null;
        toVersion: number;
      }
    | undefined {
    const events = this.store
      .read(db =>
        db.all<{ event_json: string }>(
          `SELECT event_json FROM audit_log WHERE model = ? AND event_json IS NOT NULL ORDER BY log_seq, seq`,
          [model],
        ),
      )
      .map(r => JSON.parse(r.event_json) as AuditEvent);
    const state = modelStateFromLog({ events, errors: [], tornTail: false }, model);
    return state ? lastActivePromotion(state) : undefined;
  }

  /** Reverts the last promotion: the alias (or stage) goes back to where it was, cleared aliases come back. */
  async undoLastPromotion(model: string, reason: string): Promise<AuditEvent> {
    const why = reason?.trim();
    if (!why) {
      throw new RegistryError('Undoing a promotion needs a reason (it is recorded in the audit log).');
    }
    const r = await this.commit(model, ctx => {
      this.requireModel(ctx, model);
      const p = ctx.state ? lastActivePromotion(ctx.state) : undefined;
      if (!p) {
        throw new RegistryError(`${JSON.stringify(model)} has no promotion to undo.`);
      }
      const promoted = ctx.log.events.find(e => e.id === p.eventId)!;
      const ev = promoted.evidence ?? {};
      const evidence: Record<string, unknown> = { undoes: p.eventId };
      if (p.alias) {
        const now = this.aliasesOf(ctx).get(p.alias);
        if (now !== p.toVersion) {
          throw new RegistryError(
            `@${p.alias} was moved after that promotion (it points at ${now === undefined ? 'nothing' : `v${now}`}, not v${p.toVersion}); move it with Set Alias instead.`,
          );
        }
        const cleared = Array.isArray(ev.clearedAliases) ? (ev.clearedAliases as string[]) : [];
        const restore = Object.fromEntries(cleared.filter(a => !this.aliasesOf(ctx).has(a)).map(a => [a, p.toVersion]));
        if (Object.keys(restore).length) {
          evidence.restoreAliases = restore;
        }
        return {
          events: [
            {
              action: 'promotion.undo' as const,
              version: p.toVersion,
              alias: p.alias,
              from: String(p.toVersion),
              to: p.fromVersion !== null ? String(p.fromVersion) : null,
              reason: why,
              evidence,
            },
          ],
          result: undefined,
        };
      }
      const stageNow = this.stageOf(ctx, p.toVersion);
      if (stageNow !== p.stage) {
        throw new RegistryError(
          `v${p.toVersion} left ${p.stage} after that promotion (it is ${stageNow} now); set its stage instead.`,
        );
      }
      evidence.restoreStage = typeof ev.previousStage === 'string' ? ev.previousStage : 'None';
      if (ev.archived && typeof ev.archived === 'object') {
        evidence.restoreStages = Object.fromEntries(
          Object.entries(ev.archived as Record<string, string>).filter(
            ([v]) => this.stageOf(ctx, Number(v)) === 'Archived',
          ),
        );
      }
      return {
        events: [
          {
            action: 'promotion.undo' as const,
            version: p.toVersion,
            from: p.stage ?? null,
            to: String(evidence.restoreStage),
            reason: why,
            evidence,
          },
        ],
        result: undefined,
      };
    });
    return r.events[0];
  }
}
