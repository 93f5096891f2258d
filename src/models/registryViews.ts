/**
 * View mappers of the registry's webviews: core read models (versions, comparisons, A/B analyses, gate settings)
 * into the shapes of the Promote review page and the model page (./contract).
 */
import type { AbAnalysis } from '../core/registry/abAnalysis';
import type { AbExclusion } from '../core/registry/abAttribution';
import { GATE_ERROR_RATES, guessDirection, targetLabel } from '../core/registry/gate';
import type { PromotionPreview } from '../core/registry/promotion';
import type { ModelSettings } from '../core/registry/state';
import type { VersionDetail } from '../core/registry/views';
import { AbView, PromoteReview, VersionCard } from './contract';

/** An A/B analysis built for Promote Model, with what it was computed from. */
export interface AbBuilt {
  analysis: AbAnalysis | null;
  source: Record<string, unknown>;
  label: string;
  excluded?: AbExclusion;
}

/** A version as the promotion review and the model page show it. */
export function versionCard(v: VersionDetail): VersionCard {
  return {
    version: v.version,
    stage: v.stage,
    aliases: v.aliases,
    description: v.description,
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    runId: v.runId,
    runName: v.runName,
    runExists: v.runExists,
    runStatus: v.runStatus,
    runStatusNote: v.runStatusNote ?? null,
    experiment: v.experiment,
    gitCommit: v.gitCommit,
    gitBranch: v.gitBranch,
    gitDirty: v.gitDirty,
    sourceUri: v.sourceUri,
    datasets: v.datasets.map(d => ({ name: d.name, role: d.role, digest: d.digest, rows: d.rows })),
    metricsFrom: v.metricsFrom,
  };
}

export function abView(a: AbAnalysis, source: string): AbView {
  return {
    verdict: a.verdict,
    headline: a.headline,
    reasons: a.reasons,
    source,
    alpha: a.options.alpha,
    targetLift: a.options.targetLift,
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
      moreNeeded: m.moreNeeded,
    })),
  };
}

/** Gate settings in a few words (for the history table). */
export function describeSettings(s: ModelSettings): string {
  const parts: string[] = [];
  if (s.primaryMetric) {
    parts.push(
      `${s.primaryMetric} (${(s.direction ?? guessDirection(s.primaryMetric)) === 'maximize' ? 'higher' : 'lower'} is better${s.minImprovement ? `, by ≥ ${s.minImprovement}${s.relativeImprovement ? ' relative' : ''}` : ''})`,
    );
  }
  if (s.challengerShare !== undefined) {
    parts.push(`challenger share ${s.challengerShare}`);
  }
  if (s.guardrails?.length) {
    parts.push(`guardrails ${s.guardrails.map(g => g.metric).join(', ')}`);
  }
  if (s.requireAb) {
    parts.push('A/B required');
  }
  if (s.protectedAliases) {
    parts.push(`protected ${s.protectedAliases.map(a => `@${a}`).join(' ')}`);
  }
  if (s.sequential && s.sequential !== 'none') {
    parts.push(`sequential ${s.sequential}`);
  }
  return parts.join('; ') || 'defaults';
}

export function promoteReview(
  preview: PromotionPreview,
  history: PromoteReview['history'],
  ab: AbBuilt | null,
): PromoteReview {
  const c = preview.comparison;
  return {
    model: preview.model.name,
    backend: preview.model.backend,
    targetLabel: targetLabel(preview.target),
    challenger: versionCard(preview.challenger),
    champion: preview.champion ? versionCard(preview.champion) : null,
    comparison: {
      metric: c.metric,
      direction: c.direction,
      minImprovement: c.minImprovement,
      relative: c.relative,
      championValue: c.championValue,
      challengerValue: c.challengerValue,
      delta: c.delta,
      relativeDelta: c.relativeDelta,
      passes: c.passes,
      reason: c.reason,
      rows: c.rows,
    },
    gate: preview.gate,
    ab: ab?.analysis ? abView(ab.analysis, ab.label) : null,
    abExcluded: ab?.excluded?.count ? ab.excluded.detail : null,
    errorRates: GATE_ERROR_RATES,
    history,
  };
}
