import { CommandHandlers } from '../platform/commands';
import { DriftUi } from './driftCommands';

type DriftCommandId =
  | 'mlsight.openDriftReport'
  | 'mlsight.setDriftReference'
  | 'mlsight.setDriftCurrent'
  | 'mlsight.saveDriftWatch'
  | 'mlsight.removeDriftWatch';

/** The drift commands, answered by the drift feature. */
export function driftCommands(drift: DriftUi): Pick<CommandHandlers, DriftCommandId> {
  return {
    'mlsight.openDriftReport': (config?: unknown) => drift.open(config),
    'mlsight.setDriftReference': (uri?: unknown) => drift.setReference(uri),
    'mlsight.setDriftCurrent': (uri?: unknown) => drift.setCurrent(uri),
    'mlsight.saveDriftWatch': (config?: unknown) => drift.saveWatch(config),
    'mlsight.removeDriftWatch': (name?: unknown) => drift.removeWatch(name),
  };
}
