/**
 * Promote Model… on a team model (the Models view's Team root, or the palette when a tracking URI is configured):
 * the same review page and the same gate as a local model (core/tracking/teamRegistry.ts planPromotion runs
 * core/registry/gate.ts on the versions' runs), then the promotion written through the team registry code (a
 * transaction with a row lock on PostgreSQL, a locked and checked write-back on SQLite). When someone else moved
 * the alias since the review, the promotion is refused with a clear conflict and nothing is written.
 */
import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { TeamAuditEvent, commitPromotion, planPromotion, teamPromotionHistory } from '../core/tracking/teamRegistry';
import { loadTeamModelDetail, teamRunRef } from '../core/tracking/teamView';
import { TrackingBackend, TrackingError } from '../core/tracking/types';
import type { ModelDetail } from '../core/registry/views';
import type { PromotionPreview } from '../core/registry/promotion';
import { fmtMetric } from './modelsTree';
import { PromotePanel } from './promotePanel';
import { promoteReview } from './registryViews';
import { HistoryView, PromoteReview } from './contract';
import { Cancelled, TITLE, ask } from './registryCommandsBase';

export interface TeamPromoteDeps {
  panel: PromotePanel;
  log: Logger;
  team(): Promise<TrackingBackend | undefined>;
  /** opens a run page (team runs: `team:<run_uuid>`) */
  openRun(runId: string): void;
}

export interface TeamPromoteOptions {
  model?: string;
  version?: number;
  /** the MLflow alias to move (default: champion) */
  alias?: string;
  /** the metric that decides when the model has no mlsight.primary_metric tag */
  metric?: string;
  reason?: string;
  override?: boolean;
  review?: boolean;
  confirm?: boolean;
}

export interface TeamPromoteOutcome {
  promoted: boolean;
  cancelled?: boolean;
  /** CONFLICT when someone else moved the alias meanwhile (nothing was written) */
  code?: string;
  message?: string;
  from?: number | null;
  to?: number;
  review?: PromoteReview;
}

/** An audit event of a team model as the review page and the model page list it. */
export function teamHistoryView(e: TeamAuditEvent): HistoryView {
  return {
    at: e.at,
    actor: e.actor,
    action: e.action,
    version: e.version,
    alias: e.alias,
    // as the workspace registry's history shows them (version numbers; ∅ for unset)
    from: e.from === null ? null : String(e.from),
    to: e.to === null ? null : String(e.to),
    reason: e.reason || null,
    override: e.override,
  };
}

/** The team backend, writable, or a clear error (no tracking URI; a schema revision ML Sight does not write). */
export async function writableTeam(team: () => Promise<TrackingBackend | undefined>): Promise<TrackingBackend> {
  const b = await team();
  if (!b) {
    throw new Error('ML Sight: no team tracking backend: set mlsight.tracking.uri (or MLFLOW_TRACKING_URI).');
  }
  const s = await b.schema();
  if (!s.writable) {
    throw new TrackingError('READ_ONLY', `${b.displayUri}: ${s.readOnlyReason}`);
  }
  return b;
}

/** A team model with its versions' runs: the one named, else the one the user picks. */
export async function pickTeamModel(b: TrackingBackend, name: string | undefined, title: string): Promise<ModelDetail> {
  const chosen =
    name ??
    (await ask(
      (await b.listModels()).map(m => ({ label: m.name, value: m.name, description: `team · ${b.displayUri}` })),
      { title, placeHolder: 'Which team model?' },
    ));
  const m = await loadTeamModelDetail(b, chosen);
  if (!m || !m.versions.length) {
    throw new TrackingError(
      'NOT_FOUND',
      `${b.displayUri} has no registered model ${JSON.stringify(chosen)} with versions`,
    );
  }
  return m;
}

export async function promoteTeamModel(deps: TeamPromoteDeps, o: TeamPromoteOptions): Promise<TeamPromoteOutcome> {
  const b = await writableTeam(() => deps.team());
  const m = await pickTeamModel(b, o.model, TITLE);
  const alias = o.alias ?? 'champion';
  const version = o.version ?? (await pickVersion(m, alias));
  let metric = o.metric ?? m.settings.primaryMetric;
  if (!metric) {
    metric = await pickMetric(m, version, alias);
  }
  const plan = await planPromotion(b, m.name, version, alias, metric);
  const challenger = plan.detail.versions.find(v => v.version === version)!;
  const champion =
    plan.expectedVersion !== null ? (plan.detail.versions.find(v => v.version === plan.expectedVersion) ?? null) : null;
  const preview: PromotionPreview = {
    model: plan.detail,
    challenger,
    champion,
    target: { alias },
    currentVersion: plan.expectedVersion,
    comparison: plan.comparison,
    gate: plan.gate,
  };
  const history = teamPromotionHistory(plan.detail).map(teamHistoryView);
  const review = promoteReview(preview, history, null);
  let decision: { reason: string; override: boolean } | undefined;
  if (o.review === false) {
    if (!o.reason) {
      throw new TrackingError('INVALID', 'a promotion needs a reason');
    }
    decision = { reason: o.reason, override: o.override === true };
  } else {
    decision = await deps.panel.review(review, runId => deps.openRun(teamRunRef(runId)));
  }
  if (!decision) {
    return { promoted: false, cancelled: true, review };
  }
  const where = `@${alias}`;
  if (o.confirm !== false) {
    const from = plan.expectedVersion !== null ? ` (now v${plan.expectedVersion})` : '';
    const ok = await vscode.window.showWarningMessage(
      decision.override
        ? `Override the failed gate and make team model ${m.name} v${version} ${where}${from} in ${b.displayUri}?`
        : `Make team model ${m.name} v${version} ${where}${from} in ${b.displayUri}?`,
      { modal: true, detail: decision.reason },
      decision.override ? 'Promote Anyway' : 'Promote',
    );
    if (!ok) {
      deps.panel.post({ type: 'error', message: 'Not promoted (cancelled).' });
      return { promoted: false, cancelled: true, review };
    }
  }
  deps.panel.post({ type: 'busy', message: `Promoting ${m.name} v${version} to ${where} in ${b.displayUri}…` });
  try {
    const { result } = await commitPromotion(b, plan, decision);
    const done = `${m.name} v${version} is now ${where} in ${b.displayUri}${decision.override && !plan.evidence.passes ? ' (gate overridden)' : ''}.`;
    deps.panel.post({ type: 'done', message: done });
    deps.log.info(`Team: ${done}`);
    void vscode.window.showInformationMessage(`ML Sight: ${done}`);
    return { promoted: true, from: result.from, to: result.to, review };
  } catch (e) {
    const te = e instanceof TrackingError ? e : undefined;
    const message = `Not promoted: ${e instanceof Error ? e.message : String(e)}`;
    deps.panel.post({ type: 'error', message });
    if (te?.code === 'CONFLICT') {
      void vscode.window.showErrorMessage(`ML Sight: ${message}`);
      return { promoted: false, code: te.code, message, review };
    }
    throw e;
  }
}

async function pickVersion(m: ModelDetail, alias: string): Promise<number> {
  const current = m.aliases[alias];
  const metric = m.settings.primaryMetric;
  return ask(
    m.versions.map(v => ({
      label: `v${v.version}`,
      value: v.version,
      description: [
        ...v.aliases.map(a => `@${a}`),
        v.runName ?? v.runId ?? '',
        metric && v.metrics[metric] !== undefined ? `${metric} ${fmtMetric(v.metrics[metric])}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
      detail: v.version === current ? `already @${alias}` : undefined,
    })),
    { title: TITLE, placeHolder: `Which version of ${m.name} becomes @${alias}?` },
  );
}

async function pickMetric(m: ModelDetail, version: number, alias: string): Promise<string> {
  const v = m.versions.find(x => x.version === version);
  const champion = m.aliases[alias] !== undefined ? m.versions.find(x => x.version === m.aliases[alias]) : undefined;
  const keys = [...new Set([...Object.keys(v?.metrics ?? {}), ...Object.keys(champion?.metrics ?? {})])].sort();
  if (!keys.length) {
    throw new Cancelled();
  }
  return ask(
    keys.map(k => ({
      label: k,
      value: k,
      description: champion
        ? `champion ${fmtMetric(champion.metrics[k])} → challenger ${fmtMetric(v?.metrics[k])}`
        : `v${version}: ${fmtMetric(v?.metrics[k])}`,
    })),
    {
      title: `${TITLE}: which metric decides?`,
      placeHolder: 'The team model has no mlsight.primary_metric tag: choose the metric the gate compares',
    },
  );
}
