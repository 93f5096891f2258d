/**
 * Team-mode commands: Share Run… (writes ML Sight runs into the team backend as MLflow would, idempotently),
 * Set Team Tracking Password… (VS Code's SecretStorage, never settings), Open Team Run (in the run page every run
 * opens in) and Load More Team Runs.
 */
import * as vscode from 'vscode';
import type { RunPages } from '../runs/runPage';
import { Logger } from '../core/log';
import { CommandHandlers } from '../platform/commands';
import { buildSyncRun, listSyncableRuns } from '../core/tracking/workspaceSync';
import { parseTrackingUri } from '../core/tracking/uri';
import { teamRunRef } from '../core/tracking/teamView';
import { StoreManager } from '../workspace/storeManager';
import { SECRET_PREFIX, TeamNode, TeamRuns, configuredUri } from './teamRuns';

type TeamCommandId =
  'mlsight.shareRun' | 'mlsight.setTrackingPassword' | 'mlsight.openTeamRun' | 'mlsight.loadMoreTeamRuns';

function teamNode(x: unknown): TeamNode | undefined {
  const o = x as { kind?: string; team?: TeamNode } | undefined;
  return o && o.kind === 'team' && o.team ? o.team : undefined;
}

interface LocalRunArg {
  kind: 'run';
  folder: vscode.WorkspaceFolder;
  run: { id: string };
}
function localRun(x: unknown): LocalRunArg | undefined {
  const o = x as LocalRunArg | undefined;
  return o && o.kind === 'run' && o.folder && typeof o.run?.id === 'string' ? o : undefined;
}

export function teamCommandHandlers(
  team: TeamRuns,
  stores: StoreManager,
  log: Logger,
  runsView: { readonly selection: readonly unknown[] },
  runPages: Pick<RunPages, 'open'>,
): Pick<CommandHandlers, TeamCommandId> {
  return {
    'mlsight.shareRun': async (item?: unknown, selected?: unknown[]) => {
      const c = configuredUri();
      if (!c) {
        const open = await vscode.window.showErrorMessage(
          'ML Sight: no team tracking backend: set mlsight.tracking.uri ' +
            '(postgresql://user@host:port/db or an MLflow server URL) or MLFLOW_TRACKING_URI.',
          'Open Settings',
        );
        if (open) {
          await vscode.commands.executeCommand('workbench.action.openSettings', 'mlsight.tracking.uri');
        }
        return;
      }
      let picks = (Array.isArray(selected) && selected.length ? selected : item ? [item] : [...runsView.selection])
        .map(localRun)
        .filter(Boolean) as LocalRunArg[];
      if (!picks.length) {
        const folders = stores.folders();
        const choices: (vscode.QuickPickItem & { arg: LocalRunArg })[] = [];
        for (const folder of folders) {
          const store = await stores.get(folder);
          for (const r of store.read(db => listSyncableRuns(db)).reverse()) {
            choices.push({
              label: r.id.slice(0, 8),
              description: r.experiment,
              detail: folders.length > 1 ? folder.name : undefined,
              arg: { kind: 'run', folder, run: { id: r.id } },
            });
          }
        }
        const chosen = await vscode.window.showQuickPick(choices, {
          canPickMany: true,
          placeHolder: `Runs to share with ${redacted(c.uri)}`,
        });
        if (!chosen?.length) {
          return;
        }
        picks = chosen.map(x => x.arg);
      }
      const backend = await team.open();
      if (!backend) {
        return;
      }
      const schema = await backend.schema();
      if (!schema.writable) {
        throw new Error(`${backend.displayUri}: ${schema.readOnlyReason}`);
      }
      const done = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Sharing with ${backend.displayUri}`,
          cancellable: true,
        },
        async (progress, token) => {
          const out: string[] = [];
          for (const p of picks) {
            if (token.isCancellationRequested) {
              break;
            }
            const store = await stores.get(p.folder);
            const ref = store.read(db => listSyncableRuns(db, [p.run.id]))[0];
            if (!ref) {
              throw new Error(
                `run ${p.run.id} is not an ML Sight run (runs read from MLflow or TensorBoard files are not shared)`,
              );
            }
            progress.report({ message: ref.id.slice(0, 8), increment: 100 / picks.length });
            const built = await buildSyncRun(store, ref);
            if (built.incomplete.length) {
              log.warn(
                `Team: run ${ref.id}: its run log is gone; shared the store's copy of ${built.incomplete.join(', ')}`,
              );
            }
            const r = await backend.syncRun(built.run);
            log.info(
              `Team: ${r.created ? 'shared' : 'updated'} run ${ref.id} in ${backend.displayUri} (${r.metricsWritten} new metric points)`,
            );
            out.push(ref.id);
          }
          return out;
        },
      );
      await team.reset();
      void vscode.window.showInformationMessage(
        `ML Sight: shared ${done.length} run${done.length === 1 ? '' : 's'} with ${backend.displayUri}`,
      );
    },
    'mlsight.setTrackingPassword': async () => {
      const c = configuredUri();
      if (!c) {
        void vscode.window.showErrorMessage('ML Sight: set mlsight.tracking.uri first (without the password).');
        return;
      }
      const display = parseTrackingUri(c.uri).display;
      const pw = await vscode.window.showInputBox({
        password: true,
        prompt: `Password for ${display} (kept in VS Code's SecretStorage; empty removes it)`,
        ignoreFocusOut: true,
      });
      if (pw === undefined) {
        return;
      }
      await team.setSecret(SECRET_PREFIX + display, pw || undefined);
      vscode.window.setStatusBarMessage(`ML Sight: ${pw ? 'saved' : 'removed'} the password for ${display}`, 3000);
    },
    'mlsight.openTeamRun': async (arg?: unknown) => {
      const n = teamNode(arg);
      if (n?.t !== 'run') {
        return;
      }
      // the run page every run opens in, fed from the team backend
      await runPages.open(undefined, teamRunRef(n.run.runUuid), { preview: true });
    },
    'mlsight.loadMoreTeamRuns': async (arg?: unknown) => {
      const n = teamNode(arg);
      if (n?.t === 'more') {
        await team.loadMore(n.experiment);
      }
    },
  };
}

function redacted(uri: string): string {
  try {
    return parseTrackingUri(uri).display;
  } catch {
    return uri;
  }
}
