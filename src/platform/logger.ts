import * as vscode from 'vscode';
import { Logger } from '../core/log';

/**
 * Adapts the ML Sight LogOutputChannel to the core's Logger. With `mlsight.logging.showOutputOnError` on, an
 * error (a file that cannot be read, a failed write) also reveals the channel, without taking the focus.
 */
export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: m => channel.trace(m),
    debug: m => channel.debug(m),
    info: m => channel.info(m),
    warn: m => channel.warn(m),
    error: m => {
      channel.error(m);
      if (vscode.workspace.getConfiguration('mlsight.logging').get<boolean>('showOutputOnError', false)) {
        channel.show(true);
      }
    },
  };
}
