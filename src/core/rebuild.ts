import { applyAnnotation, readAnnotations } from './annotations';
import { Logger } from './log';
import { applyAuditEvents, describeChain, readAuditLog } from './registry/auditLog';
import { ingestMlsightRuns } from './ingest/mlsightRunLog';
import { IngestOptions, ingestWorkspace } from './ingest/scan';
import { WorkspaceStore } from './store/store';

/**
 * Fills a store from the workspace's own files: ML Sight's run logs, MLflow and TensorBoard runs, the
 * registry's append-only audit log and the user's annotations. Used when the store is created, when a corrupt
 * store was moved aside, and by "Rebuild Store".
 */
export async function rebuildFromWorkspace(
  store: WorkspaceStore,
  log: Logger,
  ingestOptions: IngestOptions = {},
): Promise<{ runs: number; registryEvents: number }> {
  store.write(db => {
    // ingest offsets are forgotten so every run log is read again from the start
    db.run('DELETE FROM ingest_state');
    db.run('DELETE FROM runs');
    db.run('DELETE FROM experiments');
    db.run('DELETE FROM run_annotations');
    db.run('DELETE FROM user_tags');
    db.run(`DELETE FROM models WHERE source = 'mlflow'`);
  });
  const ingest = await ingestMlsightRuns(store, log);
  const other = await ingestWorkspace(store, log, ingestOptions);
  const audit = await readAuditLog(store.folder);
  for (const err of audit.errors) {
    log.warn(`.mlsight/audit.jsonl:${err.line}: ${err.message}; line skipped.`);
  }
  // the hash chain: a break is named (first bad line); the events after it still load, unverified
  if (audit.chain?.state === 'broken') {
    log.warn(describeChain(audit.chain)!);
  }
  if (audit.events.length) {
    store.write(db => {
      applyAuditEvents(db, audit.events);
    });
  }
  const notes = await readAnnotations(store.folder);
  for (const err of notes.errors) {
    log.warn(`.mlsight/annotations.jsonl:${err.line}: ${err.message}; line skipped.`);
  }
  if (notes.annotations.length) {
    store.write(db => {
      for (const a of notes.annotations) {
        applyAnnotation(db, a);
      }
    });
  }
  return { runs: ingest.changedRuns.length + other.changedRuns.length, registryEvents: audit.events.length };
}
