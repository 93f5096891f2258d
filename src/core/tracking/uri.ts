/**
 * Tracking URIs as MLflow takes them (MLFLOW_TRACKING_URI, `mlflow server --backend-store-uri`):
 *   postgresql://user[:password]@host[:port]/db[?sslmode=…]   also postgresql+psycopg2://, postgres://
 *   http://host:port, https://host/path                       an MLflow tracking server (REST API 2.0)
 *   sqlite:///mlflow.db, sqlite:////abs/path/mlflow.db         an MLflow SQLite file (SQLAlchemy's form: three
 *                                                              slashes + a relative path, four for an absolute one)
 * Passwords belong in PGPASSWORD / ~/.pgpass (PostgreSQL), MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_PASSWORD (REST)
 * or VS Code's SecretStorage; displayUri never shows one.
 */
import { TrackingError } from './types';

export type ParsedTrackingUri =
  | { kind: 'postgresql'; connectionString: string; hasPassword: boolean; display: string; database: string }
  | { kind: 'rest'; baseUrl: string; hasPassword: boolean; display: string }
  /** path: as written after sqlite:/// (relative to the workspace / working directory, or absolute after ////) */
  | { kind: 'sqlite'; path: string; hasPassword: false; display: string };

export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

export function parseTrackingUri(uri: string): ParsedTrackingUri {
  const text = uri.trim();
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!m) {
    throw new TrackingError(
      'INVALID',
      `not a tracking URI: ${JSON.stringify(redactUri(text))} (expected postgresql://user@host:port/db or http(s)://host)`,
    );
  }
  const scheme = m[1].toLowerCase();
  const dialect = scheme.split('+')[0];
  if (dialect === 'sqlite') {
    // SQLAlchemy's form: no host, the path after the third slash (a fourth makes it absolute); no query options
    const rest = text.slice(m[0].length);
    if (!rest.startsWith('/') || rest.length < 2 || /[?#]/.test(rest)) {
      throw new TrackingError(
        'INVALID',
        `${JSON.stringify(text)}: use sqlite:///<path relative to the workspace>/mlflow.db or sqlite:////<absolute path>`,
      );
    }
    const p = rest.slice(1);
    return { kind: 'sqlite', path: p, hasPassword: false, display: `sqlite:///${p}` };
  }
  let url: URL;
  try {
    url = new URL(text.replace(/^[^:]+:/, dialect === 'postgres' ? 'postgresql:' : `${dialect}:`));
  } catch {
    throw new TrackingError('INVALID', `cannot parse tracking URI ${JSON.stringify(redactUri(text))}`);
  }
  const hasPassword = url.password !== '';
  if (dialect === 'postgresql' || dialect === 'postgres') {
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!database) {
      throw new TrackingError(
        'INVALID',
        `${redactUri(text)}: the URI names no database (postgresql://user@host:port/<db>)`,
      );
    }
    return {
      kind: 'postgresql',
      connectionString: url.toString(),
      hasPassword,
      display: redactUri(url.toString()),
      database,
    };
  }
  if (dialect === 'http' || dialect === 'https') {
    const base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    return { kind: 'rest', baseUrl: base, hasPassword, display: redactUri(text) };
  }
  throw new TrackingError(
    'INVALID',
    `unsupported tracking URI scheme ${JSON.stringify(scheme)} (supported: postgresql://, http://, https://, sqlite:///)`,
  );
}
