import * as vscode from 'vscode';
import { ContextKey } from './ids';

export { ContextKeys } from './ids';
export type { ContextKey } from './ids';

export class ContextKeyService {
  private readonly values = new Map<ContextKey, unknown>();

  set(key: ContextKey, value: unknown): Thenable<unknown> {
    if (this.values.get(key) === value) {
      return Promise.resolve();
    }
    this.values.set(key, value);
    return vscode.commands.executeCommand('setContext', key, value);
  }

  get(key: ContextKey): unknown {
    return this.values.get(key);
  }
}
