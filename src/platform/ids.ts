// Identifiers shared by the manifest, the code and the manifest lint test. No `vscode` import here, so the
// unit tests can load this file in plain Node.

/** Command ids and their argument types; src/extension.ts must give a handler for each (CommandHandlers). */
export interface CommandArgs {
  'mlsight.refreshRuns': [];
  'mlsight.showStoreInfo': [];
  'mlsight.rebuildStore': [];
  'mlsight.showLog': [];
  'mlsight.openRun': [runOrItem?: unknown];
  'mlsight.openRunById': [folderUri?: unknown, runId?: unknown];
  'mlsight.copyRunId': [runOrItem?: unknown];
  'mlsight.compareRuns': [item?: unknown, selected?: unknown[]];
  'mlsight.setBaseline': [runOrItem?: unknown];
  'mlsight.copyPythonLogger': [];
  'mlsight.runPythonFile': [file?: unknown];
  'mlsight.sortRuns': [];
  'mlsight.filterRuns': [];
  'mlsight.clearRunsFilter': [];
  'mlsight.starRun': [runOrItem?: unknown];
  'mlsight.unstarRun': [runOrItem?: unknown];
  'mlsight.renameRun': [runOrItem?: unknown];
  'mlsight.tagRun': [runOrItem?: unknown];
  'mlsight.noteRun': [runOrItem?: unknown];
  'mlsight.trashRun': [runOrItem?: unknown, selected?: unknown[]];
  'mlsight.restoreRun': [runOrItem?: unknown];
  'mlsight.registerModel': [runOrItem?: unknown, options?: unknown];
  'mlsight.setModelAlias': [item?: unknown, options?: unknown];
  'mlsight.setModelStage': [item?: unknown, options?: unknown];
  'mlsight.promoteModel': [item?: unknown, options?: unknown];
  'mlsight.undoPromotion': [item?: unknown, options?: unknown];
  'mlsight.configureCanary': [item?: unknown, options?: unknown];
  'mlsight.openModelPage': [item?: unknown, options?: unknown];
  'mlsight.openDriftReport': [config?: unknown];
  'mlsight.setDriftReference': [uri?: unknown];
  'mlsight.setDriftCurrent': [uri?: unknown];
  'mlsight.saveDriftWatch': [config?: unknown];
  'mlsight.removeDriftWatch': [name?: unknown];
  'mlsight.shareRun': [runOrItem?: unknown, selected?: unknown[]];
  'mlsight.setTrackingPassword': [];
  'mlsight.openTeamRun': [item?: unknown];
  'mlsight.loadMoreTeamRuns': [item?: unknown];
}

export type CommandId = keyof CommandArgs;

export const COMMAND_IDS: readonly CommandId[] = [
  'mlsight.refreshRuns',
  'mlsight.showStoreInfo',
  'mlsight.rebuildStore',
  'mlsight.showLog',
  'mlsight.openRun',
  'mlsight.openRunById',
  'mlsight.copyRunId',
  'mlsight.compareRuns',
  'mlsight.setBaseline',
  'mlsight.copyPythonLogger',
  'mlsight.runPythonFile',
  'mlsight.sortRuns',
  'mlsight.filterRuns',
  'mlsight.clearRunsFilter',
  'mlsight.starRun',
  'mlsight.unstarRun',
  'mlsight.renameRun',
  'mlsight.tagRun',
  'mlsight.noteRun',
  'mlsight.trashRun',
  'mlsight.restoreRun',
  'mlsight.registerModel',
  'mlsight.setModelAlias',
  'mlsight.setModelStage',
  'mlsight.promoteModel',
  'mlsight.undoPromotion',
  'mlsight.configureCanary',
  'mlsight.openModelPage',
  'mlsight.openDriftReport',
  'mlsight.setDriftReference',
  'mlsight.setDriftCurrent',
  'mlsight.saveDriftWatch',
  'mlsight.removeDriftWatch',
  'mlsight.shareRun',
  'mlsight.setTrackingPassword',
  'mlsight.openTeamRun',
  'mlsight.loadMoreTeamRuns',
];

/**
 * Every context key ML Sight sets. `when` clauses in package.json may only use these (checked by the manifest
 * lint test), and ContextKeyService is the only place that calls `setContext`.
 */
export const ContextKeys = {
  storeReady: 'mlsight.storeReady',
  hasRuns: 'mlsight.hasRuns',
  hasModels: 'mlsight.hasModels',
  runsFiltered: 'mlsight.runsFiltered',
} as const;

export type ContextKey = (typeof ContextKeys)[keyof typeof ContextKeys];
