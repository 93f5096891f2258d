/**
 * dist/worker.js: the script of ML Sight's worker threads (never run as a program). The first argument says which
 * kind of thread it serves, the job comes in workerData:
 *   ingest-reader          reads the runs of a big MLflow FileStore for the thread that writes the store
 *                          (core/ingest/mlflowFileStore/threads.ts)
 *   drift --worker         runs a drift report off the extension host's thread (cliDrift.ts)
 *   drift --pool-worker    analyses columns of a large drift report in parallel (core/drift/parallel.ts)
 *   lint --worker          lints batches of files for `mlsight lint` (core/leakage/lintPool.ts)
 * The CLI (dist/cli.js) stays the command line only; it passes this bundle to the code that starts threads.
 */
import { isMainThread, parentPort, workerData } from 'worker_threads';
import { READER_THREAD_ARG, serveMlflowReader } from './core/ingest/mlflowFileStore';
import { driftCli } from './cliDrift';
import { errorMessage } from './core/errors';
import { serveLintWorker } from './core/leakage/lintPool';

/** Serves the thread this bundle was started for; false if it was not started as a worker thread it knows. */
export async function serveWorker(argv: readonly string[]): Promise<boolean> {
  if (isMainThread || !parentPort) {
    return false;
  }
  if (argv[0] === READER_THREAD_ARG) {
    await serveMlflowReader(parentPort, workerData);
    return true;
  }
  if (argv[0] === 'lint' && argv[1] === '--worker') {
    serveLintWorker(parentPort);
    return true;
  }
  if (argv[0] === 'drift' && (argv[1] === '--worker' || argv[1] === '--pool-worker')) {
    await driftCli(
      argv.slice(1),
      () => undefined,
      () => undefined,
    );
    return true;
  }
  return false;
}

if (require.main === module) {
  serveWorker(process.argv.slice(2)).then(
    served => {
      if (!served) {
        process.stderr.write(
          `mlsight worker: not a known worker thread (${JSON.stringify(process.argv.slice(2))}); this script is started by ML Sight\n`,
        );
        process.exitCode = 2;
      }
    },
    (e: unknown) => {
      process.stderr.write(`mlsight worker: ${errorMessage(e)}\n`);
      process.exitCode = 1;
    },
  );
}
