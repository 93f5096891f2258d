import * as vscode from 'vscode';
import { CommandArgs, CommandId } from './ids';
import { errorMessage } from '../core/errors';

export { COMMAND_IDS } from './ids';
export type { CommandArgs, CommandId } from './ids';

export type CommandHandlers = { [K in CommandId]: (...args: CommandArgs[K]) => unknown };

export function registerCommands(handlers: CommandHandlers, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandId[]).map(id =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await (handlers[id] as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        const msg = errorMessage(e);
        log.error(`${id} failed: ${msg}`);
        void vscode.window.showErrorMessage(`ML Sight: ${msg}`);
        return undefined;
      }
    }),
  );
}
