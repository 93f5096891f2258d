/**
 * MLflow ids in the store, and MLflow's meta.yaml files.
 *
 * Ids (so they never collide with ML Sight's own runs, and stay stable when the tree is re-read):
 * - experiment `mlflow:<source>:<experiment id>`, where <source> is the workspace-relative path of the mlruns
 *   folder (or of mlflow.db for the SQLite store) and the experiment id is MLflow's, verbatim as a string
 *   (18-digit ids exceed Number.MAX_SAFE_INTEGER);
 * - run `mlflow:<run uuid>` (MLflow's 32-hex run id).
 */
import * as jsyaml from 'js-yaml';

export function mlflowExperimentId(sourceRel: string, experimentId: string): string {
  return `mlflow:${sourceRel}:${experimentId}`;
}
export function mlflowRunId(runUuid: string): string {
  return `mlflow:${runUuid}`;
}

/** Splits a store experiment id made by mlflowExperimentId. */
export function parseMlflowExperimentId(id: string): { source: string; experimentId: string } | undefined {
  if (!id.startsWith('mlflow:')) {
    return undefined;
  }
  const i = id.lastIndexOf(':');
  if (i <= 6) {
    return undefined;
  }
  return { source: id.slice(7, i), experimentId: id.slice(i + 1) };
}

/** MLflow's run id from a store run id made by mlflowRunId. */
export function parseMlflowRunId(id: string): string | undefined {
  return id.startsWith('mlflow:') ? id.slice(7) : undefined;
}

/**
 * YAML integers as bigint, so that 18-digit experiment ids survive (see toInt/toIdString). Decimal, 0x and 0o
 * forms, as in the YAML 1.2 core schema.
 */
const BIG_INT = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && /^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/.test(data),
  construct: (data: string) => {
    if (data.startsWith('0o')) {
      return BigInt(`0o${data.slice(2)}`);
    }
    const neg = data.startsWith('-');
    const v = BigInt(data.replace(/^[-+]/, ''));
    return neg ? -v : v;
  },
  predicate: (v: unknown) => typeof v === 'bigint',
  represent: (v: object) => String(v),
});
const META_SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [BIG_INT] });

/**
 * Parses a meta.yaml (MLflow writes them with PyYAML: flat mappings of scalars). js-yaml, because a cold ingest
 * parses one per run and it is several times faster than the `yaml` package here; integers are bigint.
 * Duplicate keys: the last wins (as PyYAML does).
 */
export function parseMetaYaml(text: string): Record<string, unknown> {
  const v = jsyaml.load(text, { schema: META_SCHEMA, json: true });
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new Error('not a YAML mapping');
  }
  return v as Record<string, unknown>;
}
