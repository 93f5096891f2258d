/** Opens the backend a tracking URI names (postgresql:// → PgBackend, sqlite:/// → SqliteBackend, http(s):// → RestBackend). */
import { PgBackend } from './postgres';
import { RestBackend, RestAuth } from './rest';
import { SqliteBackend } from './sqlite';
import { TrackingBackend } from './types';
import { parseTrackingUri } from './uri';

export interface OpenOptions {
  /** PostgreSQL password or REST basic-auth password (e.g. from VS Code's SecretStorage) */
  password?: string;
  /** REST: bearer token (default MLFLOW_TRACKING_TOKEN) */
  token?: string;
  /** REST: basic-auth user (default MLFLOW_TRACKING_USERNAME) */
  username?: string;
  env?: NodeJS.ProcessEnv;
  /** sqlite:///<relative path>: the folder it resolves in and must stay inside (default: the working directory) */
  baseDir?: string;
}

export function openTrackingBackend(uri: string, o: OpenOptions = {}): TrackingBackend {
  const p = parseTrackingUri(uri);
  if (p.kind === 'postgresql') {
    return new PgBackend(uri, { password: o.password });
  }
  if (p.kind === 'sqlite') {
    return new SqliteBackend(p.path, { baseDir: o.baseDir ?? process.cwd() });
  }
  const env = o.env ?? process.env;
  const token = o.token ?? env.MLFLOW_TRACKING_TOKEN;
  const username = o.username ?? env.MLFLOW_TRACKING_USERNAME;
  const password = o.password ?? env.MLFLOW_TRACKING_PASSWORD;
  const auth: RestAuth | undefined = token ? { token } : username && password ? { username, password } : undefined;
  return new RestBackend(uri, { auth });
}
