// What the extension's activate() returns: the services the extension-host tests and the activation benchmark
// drive. Types only (the composition root in extension.ts builds them).
import type { CompareController } from './compare/comparePanel';
import type { DriftUi } from './drift/driftCommands';
import type { LeakageDiagnostics } from './leakage/leakageDiagnostics';
import type { ModelPages } from './models/modelPage';
import type { ModelsTreeProvider } from './models/modelsTree';
import type { PromotePanel } from './models/promotePanel';
import type { RegistryService } from './models/registryService';
import type { RunPages } from './runs/runPage';
import type { RunsTreeProvider } from './runs/runsTree';
import type { StoreManager } from './workspace/storeManager';

/** What the extension exports (used by the extension-host tests and the activation benchmark). */
export interface MlSightApi {
  readonly activationMs: number;
  /** whether sql.js's WebAssembly was loaded when activate() returned (it must not be) */
  readonly storeLoadedAtActivation: boolean;
  isStoreLoaded(): boolean;
  readonly stores: StoreManager;
  readonly runsTree: RunsTreeProvider;
  readonly compare: CompareController;
  readonly runPages: RunPages;
  readonly leakage: LeakageDiagnostics;
  readonly registry: RegistryUi;
  readonly drift: DriftUi;
}

/** The model registry's editor side (the extension-host tests drive the promotion page through `panel`). */
export interface RegistryUi {
  readonly service: RegistryService;
  readonly panel: PromotePanel;
  readonly tree: ModelsTreeProvider;
  readonly pages: ModelPages;
}
