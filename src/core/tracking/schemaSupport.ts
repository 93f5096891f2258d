/**
 * Which MLflow schema revisions (alembic_version.version_num) ML Sight writes to. Writing needs the exact tables,
 * columns and constraints a revision has, so only revisions tested against a real MLflow's database are written;
 * any other revision is opened read-only with a message saying why and what to do.
 *
 * Tested: f5a4f2784254, the head revision of MLflow 2.17 (recorded from MLflow 2.17.3.dev0 on PostgreSQL 15.18:
 * test/fixtures/mlflow-2.17/). Reading needs only the columns every MLflow 2.x schema has.
 */
import { MLFLOW_217_REVISION } from './mlflowSchema';
import { SchemaStatus } from './types';

export const WRITABLE_REVISIONS: ReadonlyMap<string, string> = new Map([[MLFLOW_217_REVISION, 'MLflow 2.17']]);

export function schemaStatus(revision: string | null): SchemaStatus {
  const known = revision ? (WRITABLE_REVISIONS.get(revision) ?? null) : null;
  if (known) {
    return { revision, mlflowVersions: known, writable: true, readOnlyReason: null };
  }
  const supported = [...WRITABLE_REVISIONS].map(([r, v]) => `${r} (${v})`).join(', ');
  const readOnlyReason =
    revision === null
      ? 'the database has no alembic_version row, so its MLflow schema version is unknown; opened read-only'
      : `the database's MLflow schema revision ${revision} is not one ML Sight has been tested with (${supported}); ` +
        'it is opened read-only. Use an MLflow 2.17 database (mlflow db upgrade), or update ML Sight.';
  return { revision, mlflowVersions: null, writable: false, readOnlyReason };
}
