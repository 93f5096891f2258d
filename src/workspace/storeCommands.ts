import * as vscode from 'vscode';
import { CommandHandlers } from '../platform/commands';
import { Logger } from '../core/log';
import { copyLoggerIntoWorkspace } from '../python/loggerSetup';
import { runPythonFile } from '../python/runPython';
import { StoreManager } from './storeManager';

export interface StoreCommandDeps {
  readonly stores: StoreManager;
  readonly channel: vscode.LogOutputChannel;
  readonly log: Logger;
  readonly extensionUri: vscode.Uri;
  readonly pickFolder: () => Promise<vscode.WorkspaceFolder | undefined>;
}

type StoreCommandId =
  | 'mlsight.showStoreInfo'
  | 'mlsight.rebuildStore'
  | 'mlsight.showLog'
  | 'mlsight.copyPythonLogger'
  | 'mlsight.runPythonFile';

/** The store's commands (info, rebuild), the log, and the Python logger (copy it, run a file with the right interpreter). */
export function storeCommands(d: StoreCommandDeps): Pick<CommandHandlers, StoreCommandId> {
  const { stores, channel, pickFolder } = d;
  return {
    'mlsight.showStoreInfo': async () => {
      const folder = await pickFolder();
      if (!folder) {
        void vscode.window.showInformationMessage('ML Sight: open a folder to create a store.');
        return undefined;
      }
      const info = (await stores.get(folder)).info();
      channel.info(`Store info: ${JSON.stringify(info)}`);
      const rows =
        Object.entries(info.counts)
          .filter(([, n]) => n > 0)
          .map(([t, n]) => `${t}: ${n}`)
          .join(', ') || 'empty';
      const where = vscode.workspace.asRelativePath(info.path);
      void vscode.window
        .showInformationMessage(
          `ML Sight store: ${where} — schema v${info.schemaVersion}, ${info.sizeBytes} bytes (${rows}).`,
          'Show Log',
        )
        .then(c => {
          if (c) {
            channel.show(true);
          }
        });
      return info;
    },
    'mlsight.rebuildStore': async () => {
      const folder = await pickFolder();
      if (!folder) {
        return undefined;
      }
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'ML Sight: rebuilding the store…' },
        () => stores.rebuild(folder),
      );
      void vscode.window.showInformationMessage(
        `ML Sight: store rebuilt from ${r.runs} run logs and ${r.registryEvents} registry events.`,
      );
      return r;
    },
    'mlsight.showLog': () => channel.show(),
    'mlsight.copyPythonLogger': async () => {
      const folder = await pickFolder();
      if (!folder) {
        void vscode.window.showInformationMessage('ML Sight: open a folder first.');
        return undefined;
      }
      return (await copyLoggerIntoWorkspace(d.extensionUri, folder))?.toString();
    },
    'mlsight.runPythonFile': async (file?: unknown) => runPythonFile(d.extensionUri, d.log, file),
  };
}
