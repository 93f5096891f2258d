/**
 * Version-attributed A/B evidence: which outcomes of `.mlsight/ab/<model>.jsonl` belong to the two versions being
 * compared.
 *
 * Each canary.set event opens a canary window (and closes the previous one): the challenger version, the champion
 * version when it started (recorded since ML Sight 0.x; for older events, the version @champion pointed at then),
 * and its start and end. `mlsight.log_outcome` records the version that served each request (`version`); the gate
 * counts an outcome only when
 *  - its arm's version is the version being compared (champion arm: the current champion; challenger arm: the
 *    version being promoted), and
 *  - it was logged inside a canary window of exactly those two versions.
 * Older lines without `version` are attributed by the window their time stamp falls in (and the analysis says
 * so). Everything else is excluded, and the count of excluded outcomes (by reason) is shown with the verdict.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AbAnalysis, AbMetricInput, ArmName, analyzeAb } from './abAnalysis';
import { OutcomeTable, metricData, parseOutcomes } from './abData';
import type { AuditEvent } from './auditLog';
import { guessDirection } from './gate';
import { ModelSettings, canaryOf } from './state';

export interface CanaryWindow {
  champion: number | null;
  challenger: number;
  share: number;
  from: number;
  to: number | null;
}

export interface AbExclusion {
  /** outcomes left out */
  count: number;
  otherVersion: number;
  outsideWindow: number;
  unattributed: number;
  /** outcomes without a version that were attributed by their canary window (counted) */
  attributedByWindow: number;
  detail: string;
  /** read from the model's own outcome log by default (not given explicitly): no attributed outcome = no A/B data */
  fromDefaultLog?: boolean;
}

/** The canary windows of a model, from its audit events in log order. */
export function canaryWindows(events: readonly AuditEvent[]): CanaryWindow[] {
  const out: CanaryWindow[] = [];
  let champion: number | null = null;
  let open: CanaryWindow | null = null;
  for (const e of events) {
    if ((e.action === 'promote' || e.action === 'alias.set') && e.alias === 'champion' && e.version !== undefined) {
      champion = e.version;
    }
    if (e.action === 'promotion.undo' && e.alias === 'champion') {
      champion = e.to != null && e.to !== '' ? Number(e.to) : null;
    }
    if (e.action === 'alias.delete' && e.alias === 'champion') {
      champion = null;
    }
    if (e.action !== 'canary.set') {
      continue;
    }
    if (open) {
      open.to = e.at;
      open = null;
    }
    const c = canaryOf(e.evidence?.canary);
    if (!c) {
      continue;
    }
    const recorded = (e.evidence?.canary as Record<string, unknown>).champion;
    open = {
      champion: Number.isInteger(recorded) ? (recorded as number) : champion,
      challenger: c.challenger,
      share: c.share,
      from: e.at,
      to: null,
    };
    out.push(open);
  }
  return out;
}

export const MODEL_OUTCOMES_DIR = 'ab';

/** `.mlsight/ab/<model>.jsonl`, named as mlsight.log_outcome names it. */
export function abOutcomesFile(folder: string, model: string): string {
  return path.join(folder, '.mlsight', MODEL_OUTCOMES_DIR, `${model.replace(/[^\w.-]+/g, '_')}.jsonl`);
}

function tsOf(row: Record<string, unknown>): number | null {
  const t = row.ts ?? row.timestamp;
  return typeof t === 'number' && Number.isFinite(t) ? t : null;
}

/**
 * A row filter for parseOutcomes: keeps the outcomes of `champion` (champion arm) and `challenger` (challenger arm)
 * logged inside one of their canary windows, and counts what it leaves out.
 */
export function attributionFilter(
  want: { champion: number | null; challenger: number },
  windows: readonly CanaryWindow[],
) {
  const ex = { otherVersion: 0, outsideWindow: 0, unattributed: 0, attributedByWindow: 0 };
  const mine = windows.filter(
    w =>
      w.challenger === want.challenger &&
      (w.champion === null || want.champion === null || w.champion === want.champion),
  );
  const inWindow = (ts: number) => mine.some(w => ts >= w.from && (w.to === null || ts < w.to));
  const accept = (row: Record<string, unknown>, arm: ArmName): boolean => {
    const expected = arm === 'champion' ? want.champion : want.challenger;
    const ts = tsOf(row);
    if (Number.isInteger(row.version)) {
      if (row.version !== expected) {
        ex.otherVersion++;
        return false;
      }
      if (ts !== null && mine.length && !inWindow(ts)) {
        ex.outsideWindow++;
        return false;
      }
      return true;
    }
    if (ts === null) {
      ex.unattributed++;
      return false;
    }
    if (!inWindow(ts)) {
      ex.outsideWindow++;
      return false;
    }
    ex.attributedByWindow++;
    return true;
  };
  const summary = (): AbExclusion => {
    const count = ex.otherVersion + ex.outsideWindow + ex.unattributed;
    const parts: string[] = [];
    if (ex.otherVersion) {
      parts.push(`${ex.otherVersion} of other versions`);
    }
    if (ex.outsideWindow) {
      parts.push(
        `${ex.outsideWindow} outside the canary window of v${want.challenger}${want.champion !== null ? ` vs v${want.champion}` : ''}`,
      );
    }
    if (ex.unattributed) {
      parts.push(`${ex.unattributed} with neither a version nor a time`);
    }
    const detail =
      (count ? `Excluded ${count} outcome${count === 1 ? '' : 's'}: ${parts.join(', ')}.` : '') +
      (ex.attributedByWindow
        ? `${count ? ' ' : ''}${ex.attributedByWindow} older outcome${ex.attributedByWindow === 1 ? '' : 's'} without a version were attributed by their canary window.`
        : '');
    return { count, ...ex, detail };
  };
  return { accept, summary };
}

export interface AttributedAb {
  analysis: AbAnalysis | null;
  table: OutcomeTable;
  excluded: AbExclusion;
  /** why there is no analysis */
  message?: string;
  source: Record<string, unknown>;
}

/**
 * The A/B analysis of a model's outcome log restricted to the two versions being compared. The primary metric is
 * `metric`, else the gate's when it was logged, else the first; guardrails are the configured ones that were logged.
 */
export function analyseAttributedOutcomes(input: {
  folder: string;
  model: string;
  file?: string;
  events: readonly AuditEvent[];
  settings: ModelSettings;
  champion: number | null;
  challenger: number;
  share: number;
  metric?: string;
  guardrails?: string[];
  /** all metrics other than the primary become guardrails (the model page) */
  allAsGuardrails?: boolean;
}): AttributedAb | null {
  const file = input.file ?? abOutcomesFile(input.folder, input.model);
  if (!fs.existsSync(file)) {
    return null;
  }
  const rel = path.relative(input.folder, file).split(path.sep).join('/');
  const f = attributionFilter({ champion: input.champion, challenger: input.challenger }, canaryWindows(input.events));
  const table = parseOutcomes(fs.readFileSync(file, 'utf8'), {
    model: input.model,
    format: /\.csv$/i.test(file) ? 'csv' : undefined,
    accept: f.accept,
  });
  const excluded = f.summary();
  const source = {
    kind: 'file',
    file: rel,
    rows: table.rows,
    skipped: table.skipped.length,
    excluded: excluded.count,
    champion: input.champion,
    challenger: input.challenger,
  };
  const s = input.settings;
  const have = (m: string) =>
    ((table.units?.champion.get(m)?.length ?? 0) > 0 && (table.units?.challenger.get(m)?.length ?? 0) > 0) ||
    !!table.aggregates?.get(m);
  const primary =
    input.metric ?? (s.primaryMetric && table.metrics.includes(s.primaryMetric) ? s.primaryMetric : table.metrics[0]);
  if (!primary || !have(primary)) {
    return {
      analysis: null,
      table,
      excluded,
      source,
      message: `${rel} has no outcomes of ${primary ?? 'any metric'} for both v${input.champion ?? '?'} and v${input.challenger}.`,
    };
  }
  const guardNames =
    input.guardrails ??
    (input.allAsGuardrails ? table.metrics.filter(x => x !== primary) : (s.guardrails ?? []).map(g => g.metric));
  const dirOf = (m: string) =>
    (m === s.primaryMetric && s.direction) || s.guardrails?.find(g => g.metric === m)?.direction || guessDirection(m);
  const inputs: AbMetricInput[] = [
    { name: primary, role: 'primary', direction: dirOf(primary), data: metricData(table, primary) },
    ...guardNames
      .filter(g => g !== primary && have(g))
      .map(g => ({ name: g, role: 'guardrail' as const, direction: dirOf(g), data: metricData(table, g) })),
  ];
  const analysis = analyzeAb(inputs, {
    alpha: s.alpha,
    power: s.power,
    targetLift: s.targetLift,
    challengerShare: input.share,
    sequential: s.sequential,
  });
  if (excluded.detail) {
    analysis.reasons.push(excluded.detail);
  }
  return { analysis, table, excluded, source };
}
