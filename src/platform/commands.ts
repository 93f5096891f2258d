import * as vscode from 'vscode';

/**
 * Command ids and their argument types. The extension must give a handler for every id (the compiler checks the
 * map passed to registerCommands, and the manifest lint test checks package.json against this list).
 */
export interface CommandArgs {
  'mlsight.refreshRuns': [];
  'mlsight.showStoreInfo': [];
  'mlsight.rebuildStore': [];
  'mlsight.showLog': [];
  'mlsight.openRun': [runOrItem?: unknown];
  'mlsight.copyRunId': [runOrItem?: unknown];
}

export type CommandId = keyof CommandArgs;
export type CommandHandlers = { [K in CommandId]: (...args: CommandArgs[K]) => unknown };

export const COMMAND_IDS: readonly CommandId[] = [
  'mlsight.refreshRuns', 'mlsight.showStoreInfo', 'mlsight.rebuildStore', 'mlsight.showLog', 'mlsight.openRun', 'mlsight.copyRunId',
];

export function registerCommands(handlers: CommandHandlers, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandId[]).map(id => vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await (handlers[id] as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      log.error(`${id} failed: ${msg}`);
      void vscode.window.showErrorMessage(`ML Sight: ${msg}`);
      return undefined;
    }
  }));
}
