/**
 * Set Alias… (set, move, remove) and Undo Last Promotion on a team model (the Models view's Team root, the model
 * page, or the palette): the same questions as for a workspace model, written as MLflow aliases through the team
 * registry code (core/tracking/teamRegistry.ts moveTeamAlias / undoTeamPromotion: the alias row and an audit tag on
 * the version in one transaction under the row lock on registered_models; SQLite: under the lock file on a fresh
 * copy; REST: checked, then written, which cannot be race-free). When someone else moved the alias since it was read
 * here, nothing is written and the user is told so.
 */
import * as vscode from 'vscode';
import {
  TeamAuditEvent,
  lastTeamPromotion,
  moveTeamAlias,
  teamAliasProblem,
  undoTeamPromotion,
} from '../core/tracking/teamRegistry';
import { TrackingBackend, TrackingError } from '../core/tracking/types';
import { fmtMetric } from './modelsTree';
import { ask, askText, guide, pickAlias } from './registryCommandsBase';
import { pickTeamModel, writableTeam } from './teamPromote';

export interface TeamAliasDeps {
  team(): Promise<TrackingBackend | undefined>;
  /** after a change: the Models view and the model pages re-read the team's models */
  changed(): void;
}

export interface TeamAliasOptions {
  model?: string;
  version?: number;
  alias?: string;
  /** remove the alias instead of pointing it at `version` */
  remove?: boolean;
  reason?: string;
}

export interface TeamAliasOutcome {
  changed: boolean;
  event?: TeamAuditEvent;
  /** CONFLICT when someone else moved the alias meanwhile (nothing was written) */
  code?: string;
  message?: string;
}

const SET_TITLE = 'ML Sight: Set Alias of a Team Model';
const UNDO_TITLE = 'ML Sight: Undo Last Promotion of a Team Model';

/** A conflict (someone else moved the alias) is an answer, not a crash: shown, returned, nothing written. */
function conflict(e: unknown, what: string): TeamAliasOutcome {
  if (e instanceof TrackingError && e.code === 'CONFLICT') {
    const message = `${what}: ${e.message}`;
    void vscode.window.showErrorMessage(`ML Sight: ${message}`);
    return { changed: false, code: e.code, message };
  }
  throw e;
}

export async function setTeamAlias(deps: TeamAliasDeps, o: TeamAliasOptions): Promise<TeamAliasOutcome> {
  const b = await writableTeam(() => deps.team());
  const m = await pickTeamModel(b, o.model, SET_TITLE);
  const version =
    o.version ??
    (await ask(
      m.versions.map(v => ({
        label: `v${v.version}`,
        value: v.version,
        description: [...v.aliases.map(a => `@${a}`), v.runName ?? ''].filter(Boolean).join(' · '),
        detail:
          Object.entries(v.metrics)
            .slice(0, 3)
            .map(([k, x]) => `${k} ${fmtMetric(x)}`)
            .join(' · ') || undefined,
      })),
      { title: `${SET_TITLE}: ${m.name}`, placeHolder: 'Which version?' },
    ));
  let alias = o.alias;
  let remove = o.remove === true;
  if (!alias) {
    ({ alias, remove } = await pickAlias(m, version, {
      title: `${SET_TITLE}: ${m.name} v${version}`,
      placeHolder: `Which alias should point at this version? (written to ${b.displayUri})`,
      validate: teamAliasProblem,
    }));
  }
  // where the alias points as the user saw it: the write is refused if it moved since
  const expectedVersion = m.aliases[alias] ?? null;
  let reason = o.reason;
  if (alias === 'champion' && reason === undefined) {
    if (!remove) {
      const c = await vscode.window.showWarningMessage(
        'Moving @champion with Set Alias skips the promotion gate (the comparison with the current champion). ' +
          'Promote Model checks it.',
        { modal: true },
        'Promote Model…',
        'Set Without the Gate',
      );
      if (!c) {
        return { changed: false };
      }
      if (c === 'Promote Model…') {
        await vscode.commands.executeCommand('mlsight.promoteModel', undefined, { team: { model: m.name, version } });
        return { changed: false };
      }
    }
    reason = await askText({
      title: `${SET_TITLE}: ${remove ? 'remove' : 'move'} @champion`,
      prompt: 'Why? (recorded as an audit tag on the version in the team backend)',
      validateInput: v => (v.trim() ? undefined : 'A reason is required'),
    });
  }
  try {
    const { event } = await moveTeamAlias(b, {
      model: m.name,
      alias,
      version: remove ? null : version,
      expectedVersion,
      reason,
    });
    deps.changed();
    vscode.window.setStatusBarMessage(
      `ML Sight: ${remove ? `removed @${alias} of ${m.name}` : `@${alias} → ${m.name} v${version}`} in ${b.displayUri}`,
      4000,
    );
    return { changed: true, event };
  } catch (e) {
    return conflict(e, `@${alias} of ${m.name} not changed`);
  }
}

export async function undoTeamPromotionCommand(
  deps: TeamAliasDeps,
  o: { model?: string; reason?: string },
): Promise<TeamAliasOutcome> {
  const b = await writableTeam(() => deps.team());
  const m = await pickTeamModel(b, o.model, UNDO_TITLE);
  const p = lastTeamPromotion(m);
  if (!p || p.to === null) {
    guide(`team model ${m.name} has no promotion by ML Sight to undo.`);
  }
  const what = `@${p.alias} back to ${p.from !== null ? `v${p.from}` : 'unset'} (from v${p.to})`;
  const reason =
    o.reason ??
    (await askText({
      title: `${UNDO_TITLE}: ${m.name}`,
      prompt: `Move ${what}, promoted by ${p.actor} on ${new Date(p.at).toLocaleString()}. Why? (recorded as an audit tag)`,
      validateInput: v => (v.trim() ? undefined : 'A reason is required'),
    }));
  try {
    const { event } = await undoTeamPromotion(b, m.name, { reason });
    deps.changed();
    void vscode.window.showInformationMessage(`ML Sight: team model ${m.name}: ${what}.`);
    return { changed: true, event };
  } catch (e) {
    return conflict(e, `${m.name}: promotion not undone`);
  }
}
