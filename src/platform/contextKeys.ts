import * as vscode from 'vscode';

/**
 * Every context key ML Sight sets. `when` clauses in package.json may only use these (checked by the manifest
 * lint test), and this is the only place that calls `setContext`.
 */
export const ContextKeys = {
  storeReady: 'mlsight.storeReady',
  hasRuns: 'mlsight.hasRuns',
  hasModels: 'mlsight.hasModels',
} as const;

export type ContextKey = typeof ContextKeys[keyof typeof ContextKeys];

export class ContextKeyService {
  private readonly values = new Map<ContextKey, unknown>();

  set(key: ContextKey, value: unknown): Thenable<unknown> {
    if (this.values.get(key) === value) { return Promise.resolve(); }
    this.values.set(key, value);
    return vscode.commands.executeCommand('setContext', key, value);
  }

  get(key: ContextKey): unknown { return this.values.get(key); }
}
