import * as vscode from 'vscode';
import { listModels } from '../core/queries';
import { CommandHandlers } from '../platform/commands';
import { StoreManager } from '../workspace/storeManager';
import { ModelPages } from './modelPage';
import { RegistryCommands } from './registryCommands';

/** Options passed to a registry command by code (tests, other commands); anything else counts as none. */
function asOptions(x: unknown): Record<string, never> {
  return (x && typeof x === 'object' && !Array.isArray(x) ? x : {}) as Record<string, never>;
}

export interface ModelCommandDeps {
  readonly stores: StoreManager;
  readonly registry: RegistryCommands;
  readonly pages: ModelPages;
  readonly pickFolder: () => Promise<vscode.WorkspaceFolder | undefined>;
}

type ModelCommandId =
  | 'mlsight.registerModel'
  | 'mlsight.setModelAlias'
  | 'mlsight.setModelStage'
  | 'mlsight.promoteModel'
  | 'mlsight.undoPromotion'
  | 'mlsight.configureCanary'
  | 'mlsight.openModelPage';

/** The model registry's commands (register, alias, stage, promote, undo, canary) and opening a model page. */
export function modelCommands(d: ModelCommandDeps): Pick<CommandHandlers, ModelCommandId> {
  const r = d.registry;
  return {
    'mlsight.registerModel': (item?: unknown, options?: unknown) => r.register(item, asOptions(options)),
    'mlsight.setModelAlias': (item?: unknown, options?: unknown) => r.setAlias(item, asOptions(options)),
    'mlsight.setModelStage': (item?: unknown, options?: unknown) => r.setStage(item, asOptions(options)),
    'mlsight.promoteModel': (item?: unknown, options?: unknown) => r.promote(item, asOptions(options)),
    'mlsight.undoPromotion': (item?: unknown, options?: unknown) => r.undo(item, asOptions(options)),
    'mlsight.configureCanary': (item?: unknown, options?: unknown) => r.configureCanary(item, asOptions(options)),
    'mlsight.openModelPage': async (item?: unknown, options?: unknown) => {
      const o = asOptions(options) as { folder?: string; model?: string; team?: boolean };
      const node = item as { kind?: string; folder?: vscode.WorkspaceFolder; model?: { name?: string } } | undefined;
      // a team model (the Models view's Team root, or { team: true, model }): the same page, fed from the backend
      const teamName = o.team
        ? o.model
        : node?.kind === 'teamModel' || node?.kind === 'teamVersion'
          ? node.model?.name
          : undefined;
      if (teamName) {
        d.pages.open(undefined, teamName);
        return;
      }
      const fromNode = node?.kind === 'model' || node?.kind === 'version';
      let folder = o.folder
        ? d.stores.folders().find(f => f.uri.toString() === o.folder)
        : fromNode
          ? node.folder
          : undefined;
      let model = o.model ?? (fromNode ? node.model?.name : undefined);
      folder ??= await d.pickFolder();
      if (!folder) {
        return;
      }
      if (!model) {
        const names = (await d.stores.get(folder)).read(db => listModels(db)).map(m => m.name);
        // the team's models too (mlsight.tracking.uri): they open in the same page
        const team = await d.pages.teamModelNames();
        const items = [
          ...names.map(label => ({ label, team: false })),
          ...team.map(label => ({ label, description: 'team', team: true })),
        ];
        if (!items.length) {
          void vscode.window.showInformationMessage(
            'ML Sight: there is no registered model here yet. Register one from a run that logged a model ' +
              '(ML Sight: Register Model…).',
          );
          return;
        }
        const picked =
          items.length === 1
            ? items[0]
            : await vscode.window.showQuickPick(items, {
                title: 'ML Sight: Open Model Page',
                placeHolder: 'Which model?',
              });
        if (picked?.team) {
          d.pages.open(undefined, picked.label);
          return;
        }
        model = picked?.label;
      }
      if (model) {
        d.pages.open(folder, model);
      }
    },
  };
}
