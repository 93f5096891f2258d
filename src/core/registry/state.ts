/**
 * The registry state of one model as a pure fold over its audit events, in log order. The store's registry
 * tables (models, model_versions, model_aliases, model_tags, model_settings) are this fold written out
 * (auditLog.ts projectModel), so however the writes of two processes interleave, a model's rows are what its
 * events say, in the order `.mlsight/audit.jsonl` holds them.
 */
import type { AuditEvent } from './auditLog';
import { validCommit } from '../git';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

/** MLflow's "active" stages: only these may archive the versions already in them. */
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

export type Direction = 'maximize' | 'minimize';

/** What "better" means for a model, and what the promotion gate requires. Set by a model.configure event. */
export interface ModelSettings {
  /** The metric compared between champion and challenger (a run metric key, e.g. `val/accuracy`). */
  primaryMetric?: string;
  direction?: Direction;
  /** How much the challenger must beat the champion by on the primary metric (≥ 0; default 0). */
  minImprovement?: number;
  /** true: minImprovement is relative to the champion's value (0.01 = 1 %); false: absolute. */
  relativeImprovement?: boolean;
  /** A/B: metrics that must not get significantly worse, each with its own direction. */
  guardrails?: { metric: string; direction: Direction }[];
  /** Aliases that need a reason to be set or removed (default: champion). */
  protectedAliases?: string[];
  /** When true, a promotion without A/B data fails the gate. */
  requireAb?: boolean;
  /** Significance level of the A/B tests (default 0.05). */
  alpha?: number;
  /** Power the A/B sample size is planned for (default 0.8). */
  power?: number;
  /** Smallest relative lift worth detecting, for power and sample size (default 0.05 = 5 %). */
  targetLift?: number;
  /** The challenger's planned traffic share (canary), for the sample-ratio check (default 0.5). */
  challengerShare?: number;
  /** Sequential (peeking-safe) testing: 'gavi' (GrowthBook) or 'msprt'; default none. */
  sequential?: 'none' | 'gavi' | 'msprt';
}

export const DEFAULT_PROTECTED_ALIASES = ['champion'];

export interface VersionState {
  version: number;
  runId: string | null;
  sourceUri: string | null;
  gitCommit: string | null;
  description: string | null;
  stage: Stage | string;
  status: string;
  metrics: Record<string, number | null> | null;
  datasets: unknown[] | null;
  lineage: Record<string, unknown> | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  tags: Map<string, string>;
}

export interface PromotionRecord {
  eventId: string;
  at: number;
  actor: string;
  /** alias moved (or undefined for a stage promotion) */
  alias?: string;
  stage?: string;
  fromVersion: number | null;
  toVersion: number;
  override: boolean;
  undone: boolean;
}

/** A canary: the challenger version and the share of traffic routed to it (`mlsight.route` in Python). */
export interface CanaryConfig {
  challenger: number;
  share: number;
  /** the champion version when the canary started (in the canary.set event's evidence; see abAttribution.ts) */
  champion?: number | null;
}

export function canaryOf(v: unknown): CanaryConfig | null {
  const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  if (!o || !Number.isInteger(o.challenger) || typeof o.share !== 'number' || !(o.share > 0 && o.share < 1)) {
    return null;
  }
  return { challenger: o.challenger as number, share: o.share };
}

export interface ModelState {
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
  versions: Map<number, VersionState>;
  aliases: Map<string, number>;
  tags: Map<string, string>;
  settings: ModelSettings;
  promotions: PromotionRecord[];
  /** the canary set by the last canary.set event (null: none) */
  canary: CanaryConfig | null;
}

export function emptyModel(name: string, at = 0): ModelState {
  return {
    name,
    description: null,
    createdAt: at,
    updatedAt: at,
    versions: new Map(),
    aliases: new Map(),
    tags: new Map(),
    settings: {},
    promotions: [],
    canary: null,
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function numberMap(v: unknown): Record<string, number | null> | null {
  const o = obj(v);
  if (!o) {
    return null;
  }
  const out: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(o)) {
    out[k] =
      typeof x === 'number'
        ? x
        : x === 'NaN'
          ? NaN
          : x === 'Infinity'
            ? Infinity
            : x === '-Infinity'
              ? -Infinity
              : null;
  }
  return out;
}

function archiveOthers(m: ModelState, stage: string, keep: number, at: number): void {
  for (const v of m.versions.values()) {
    if (v.version !== keep && v.stage === stage) {
      v.stage = 'Archived';
      v.updatedAt = at;
    }
  }
}

/** Applies one event to a model's state (events must come in log order). Unknown versions are ignored. */
export function applyToState(m: ModelState, e: AuditEvent): void {
  m.updatedAt = Math.max(m.updatedAt, e.at);
  if (!m.createdAt || e.at < m.createdAt) {
    m.createdAt = e.at;
  }
  const v = e.version !== undefined ? m.versions.get(e.version) : undefined;
  const ev = e.evidence ?? {};
  switch (e.action) {
    case 'model.create':
      if (e.to != null) {
        m.description = e.to;
      }
      break;
    case 'model.describe':
      m.description = e.to ?? null;
      break;
    case 'model.configure': {
      const s = obj(ev.settings);
      if (s) {
        m.settings = { ...(s as ModelSettings) };
      }
      break;
    }
    case 'version.create': {
      if (e.version === undefined || m.versions.has(e.version)) {
        break;
      } // first registration of a number wins
      const tags = new Map<string, string>();
      const t = obj(ev.tags);
      if (t) {
        for (const [k, x] of Object.entries(t)) {
          if (typeof x === 'string') {
            tags.set(k, x);
          }
        }
      }
      m.versions.set(e.version, {
        version: e.version,
        runId: str(ev.run_id),
        sourceUri: str(ev.source_uri),
        gitCommit: validCommit(str(ev.git_commit)), // anything but 4–64 hex digits is stored as invalid (null)
        description: e.reason ?? null,
        stage: 'None',
        status: 'READY',
        metrics: numberMap(ev.metrics),
        datasets: Array.isArray(ev.datasets) ? ev.datasets : null,
        lineage: Object.keys(ev).length ? { ...ev } : null,
        createdAt: e.at,
        createdBy: e.actor,
        updatedAt: e.at,
        tags,
      });
      break;
    }
    case 'version.describe':
      if (v) {
        v.description = e.to ?? null;
        v.updatedAt = e.at;
      }
      break;
    case 'alias.set':
      if (e.alias && v) {
        m.aliases.set(e.alias, v.version);
      }
      break;
    case 'alias.delete':
      if (e.alias) {
        m.aliases.delete(e.alias);
      }
      break;
    case 'stage.set':
      if (v) {
        v.stage = e.to ?? 'None';
        v.updatedAt = e.at;
        if (ev.archiveExisting === true && (ACTIVE_STAGES as readonly string[]).includes(v.stage)) {
          archiveOthers(m, v.stage, v.version, e.at);
        }
      }
      break;
    case 'tag.set':
    case 'tag.delete': {
      const key = str(ev.key);
      if (!key) {
        break;
      }
      const target = e.version ? v?.tags : m.tags;
      if (!target) {
        break;
      }
      if (e.action === 'tag.set') {
        target.set(key, e.to ?? '');
      } else {
        target.delete(key);
      }
      if (v) {
        v.updatedAt = e.at;
      }
      break;
    }
    case 'promote': {
      const from = e.from != null && e.from !== '' ? Number(e.from) : null;
      // recorded even when the versions are not in this fold (an MLflow model's versions live in its files)
      m.promotions.push({
        eventId: e.id,
        at: e.at,
        actor: e.actor,
        alias: e.alias,
        stage: e.alias ? undefined : (e.to ?? undefined),
        fromVersion: Number.isFinite(from) ? from : null,
        toVersion: e.version ?? 0,
        override: !!obj(ev.override),
        undone: false,
      });
      if (!v) {
        break;
      }
      if (e.alias) {
        m.aliases.set(e.alias, v.version);
      } else if (e.to) {
        v.stage = e.to;
        v.updatedAt = e.at;
        if (ev.archiveExisting === true && (ACTIVE_STAGES as readonly string[]).includes(e.to)) {
          archiveOthers(m, e.to, v.version, e.at);
        }
      }
      for (const a of Array.isArray(ev.clearedAliases) ? ev.clearedAliases : []) {
        if (typeof a === 'string' && m.aliases.get(a) === v.version) {
          m.aliases.delete(a);
        }
      }
      break;
    }
    case 'canary.set':
      m.canary = canaryOf(ev.canary);
      break;
    case 'promotion.undo': {
      const undoneId = str(ev.undoes);
      const p = m.promotions.find(x => x.eventId === undoneId);
      if (p) {
        p.undone = true;
      }
      const to = e.to != null && e.to !== '' ? Number(e.to) : null;
      if (e.alias) {
        if (to !== null && m.versions.has(to)) {
          m.aliases.set(e.alias, to);
        } else {
          m.aliases.delete(e.alias);
        }
      } else if (p?.stage && v) {
        // a stage promotion is undone by putting the promoted version back where it was
        v.stage = str(ev.restoreStage) ?? 'None';
        v.updatedAt = e.at;
      }
      const restore = obj(ev.restoreAliases);
      if (restore) {
        for (const [a, x] of Object.entries(restore)) {
          if (typeof x === 'number' && m.versions.has(x)) {
            m.aliases.set(a, x);
          }
        }
      }
      const restoreStages = obj(ev.restoreStages);
      if (restoreStages) {
        for (const [n, s] of Object.entries(restoreStages)) {
          const w = m.versions.get(Number(n));
          if (w && typeof s === 'string') {
            w.stage = s;
            w.updatedAt = e.at;
          }
        }
      }
      break;
    }
  }
}

export function foldModel(name: string, events: readonly AuditEvent[]): ModelState {
  const m = emptyModel(name, events[0]?.at ?? 0);
  for (const e of events) {
    applyToState(m, e);
  }
  return m;
}

/** The last promotion of a model that has not been undone, if any. */
export function lastActivePromotion(m: ModelState): PromotionRecord | undefined {
  for (let i = m.promotions.length - 1; i >= 0; i--) {
    if (!m.promotions[i].undone) {
      return m.promotions[i];
    }
  }
  return undefined;
}

export function protectedAliases(settings: ModelSettings): string[] {
  return settings.protectedAliases ?? DEFAULT_PROTECTED_ALIASES;
}
