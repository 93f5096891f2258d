/**
 * What the registry's QuickPick flows share (registryCommands.ts, promoteCommand.ts): the prompts, cancellation,
 * and choosing the workspace folder and the model.
 */
import * as vscode from 'vscode';
import { Logger } from '../core/log';
import { Registry } from '../core/registry/registry';
import { ModelDetail, listRegistryModels } from '../core/registry/views';
import { StoreManager } from '../workspace/storeManager';
import type { TrackingBackend } from '../core/tracking/types';
import { PromotePanel } from './promotePanel';
import { RegistryService } from './registryService';

export interface RegistryCommandDeps {
  stores: StoreManager;
  registries: RegistryService;
  panel: PromotePanel;
  log: Logger;
  pickFolder(): Promise<vscode.WorkspaceFolder | undefined>;
  /** folder undefined: a team run (`team:<run_uuid>`) */
  openRun(folder: vscode.WorkspaceFolder | undefined, runId: string): void;
  /** the team tracking backend (mlsight.tracking.uri), for team models */
  team?: () => Promise<TrackingBackend | undefined>;
  /** after a team promotion: the Models view re-reads the team's models */
  teamChanged?: () => void;
}

export type Item<T> = vscode.QuickPickItem & { value: T };

export class Cancelled extends Error {}

export const TITLE = 'ML Sight: Promote Model';

export function ask<T>(items: Item<T>[], options: vscode.QuickPickOptions): Promise<T> {
  return Promise.resolve(
    vscode.window.showQuickPick(items, {
      ignoreFocusOut: true,
      matchOnDescription: true,
      matchOnDetail: true,
      ...options,
    }),
  ).then(p => {
    if (!p) {
      throw new Cancelled();
    }
    return p.value;
  });
}

export function askText(options: vscode.InputBoxOptions): Promise<string> {
  return Promise.resolve(vscode.window.showInputBox({ ignoreFocusOut: true, ...options })).then(v => {
    if (v === undefined) {
      throw new Cancelled();
    }
    return v;
  });
}

/**
 * An expected empty state (nothing registered yet, no run logged a model): guidance with a next step as an
 * information message, never an error toast. Ends the command quietly (as a cancel does).
 */
export function guide(message: string, action?: { title: string; command: string }): never {
  void vscode.window.showInformationMessage(`ML Sight: ${message}`, ...(action ? [action.title] : [])).then(c => {
    if (c && action) {
      void vscode.commands.executeCommand(action.command);
    }
  });
  throw new Cancelled();
}

/**
 * Set Alias…'s question, for a workspace and a team model alike: which alias should point at `version` (champion,
 * challenger, the model's aliases, another name), or remove one that points there.
 */
export async function pickAlias(
  m: { aliases: Record<string, number> },
  version: number,
  o: { title: string; placeHolder: string; validate: (alias: string) => string | undefined },
): Promise<{ alias: string; remove: boolean }> {
  const names = [...new Set(['champion', 'challenger', ...Object.keys(m.aliases)])];
  const OTHER = '\u0000other';
  const picked = await ask<{ alias: string; remove: boolean }>(
    [
      ...names.map(a => ({
        label: `@${a}`,
        description:
          m.aliases[a] === version ? 'already here' : m.aliases[a] !== undefined ? `now v${m.aliases[a]}` : '',
        value: { alias: a, remove: false },
      })),
      { label: 'Other alias…', value: { alias: OTHER, remove: false } },
      ...Object.entries(m.aliases)
        .filter(([, v]) => v === version)
        .map(([a]) => ({ label: `$(trash) Remove @${a}`, value: { alias: a, remove: true } })),
    ],
    { title: o.title, placeHolder: o.placeHolder },
  );
  if (picked.alias !== OTHER) {
    return picked;
  }
  const alias = await askText({
    title: o.title,
    prompt: 'Alias name (letters, digits, _ and -)',
    validateInput: v => o.validate(v.trim()),
  });
  return { alias: alias.trim(), remove: false };
}

export class RegistryCommandsBase {
  constructor(protected readonly deps: RegistryCommandDeps) {}

  /**
   * Whether a command acts on a team model: from the Team root of the Models view (or a team model page), with
   * `team` options, or from the palette when the team has models (the palette then asks which registry).
   */
  protected async isTeamTarget(
    item: unknown,
    opts: { team?: unknown; folder?: string; model?: string },
    title: string,
  ): Promise<boolean> {
    const k = (item as { kind?: string } | undefined)?.kind;
    if (k === 'teamModel' || k === 'teamVersion' || opts.team) {
      return true;
    }
    if (item || opts.folder || opts.model || !this.deps.team) {
      return false;
    }
    const b = await this.deps.team().catch(() => undefined);
    const n = b
      ? await b.listModels().then(
          ms => ms.length,
          () => 0,
        )
      : 0;
    if (!n) {
      return false;
    }
    return ask(
      [
        { label: 'Workspace models', value: false, description: 'the registry of a workspace folder' },
        {
          label: 'Team models',
          value: true,
          description: `${n} registered model${n === 1 ? '' : 's'} in ${b!.displayUri}`,
        },
      ],
      { title, placeHolder: 'A model of which registry?' },
    );
  }

  protected async folderFor(item: unknown, folderUri?: string): Promise<vscode.WorkspaceFolder | undefined> {
    if (folderUri) {
      return this.deps.stores.folders().find(f => f.uri.toString() === folderUri);
    }
    const f = (item as { folder?: vscode.WorkspaceFolder } | undefined)?.folder;
    if (f && typeof f === 'object' && 'uri' in f) {
      return f;
    }
    return this.deps.pickFolder();
  }

  protected async pickModel(
    registry: Registry,
    folder: vscode.WorkspaceFolder,
    title: string,
    filter: (m: ModelDetail) => boolean = () => true,
  ): Promise<ModelDetail> {
    const store = await this.deps.stores.get(folder);
    const names = store.read(db => listRegistryModels(db)).map(r => r.name);
    const models = names.map(n => registry.model(n)!).filter(m => m && filter(m));
    if (!names.length) {
      guide('no model is registered here yet. Register the model a run logged, then promote it.', {
        title: 'Register Model…',
        command: 'mlsight.registerModel',
      });
    }
    if (!models.length) {
      guide(`none of the registered models (${names.join(', ')}) can be used for this yet.`);
    }
    if (models.length === 1) {
      return models[0];
    }
    return ask(
      models.map(m => ({
        label: m.name,
        value: m,
        description: [
          Object.entries(m.aliases)
            .map(([a, v]) => `@${a} v${v}`)
            .join(' '),
          `${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`,
        ]
          .filter(Boolean)
          .join(' · '),
        detail:
          m.backend === 'mlsight'
            ? undefined
            : m.backend === 'mlflow-filestore'
              ? 'MLflow model: changes are written back to mlruns/'
              : 'MLflow database: read-only',
      })),
      { title, placeHolder: 'Which model?' },
    );
  }
}
