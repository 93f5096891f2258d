/**
 * Plain SQL on a team backend's tables, as MLflow (or anyone else) would read and write them: a sqlite:/// file
 * (through sql.js, written back atomically and without ML Sight's lock, as another process would) or a database of
 * the private PostgreSQL cluster (test/unit/helpers/pgCluster.ts).
 */
import * as fs from 'fs';
import type { Database } from 'sql.js';
import { atomicWrite } from '../../../src/core/store/atomicFile';
import { loadSqlJs } from '../../../src/core/store/sqljs';
import type { PgCluster } from './pgCluster';

export async function openSqliteFile(file: string): Promise<Database> {
  const SQL = await loadSqlJs();
  return new SQL.Database(fs.readFileSync(file));
}

/** The rows of one query on an MLflow SQLite file. */
export async function sqliteRows(
  file: string,
  text: string,
  params: (string | number | null)[] = [],
): Promise<Record<string, unknown>[]> {
  const db = await openSqliteFile(file);
  try {
    const st = db.prepare(text);
    st.bind(params);
    const out: Record<string, unknown>[] = [];
    while (st.step()) {
      out.push(st.getAsObject());
    }
    st.free();
    return out;
  } finally {
    db.close();
  }
}

/** Writes into the file as another process would (not through ML Sight's lock). */
export async function sqliteExec(file: string, statement: string): Promise<void> {
  const db = await openSqliteFile(file);
  try {
    db.exec(statement);
    await atomicWrite(file, db.export());
  } finally {
    db.close();
  }
}

/** The rows of one query on a database of the private cluster. */
export async function pgRows<T = Record<string, unknown>>(
  pg: PgCluster,
  db: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = await pg.client(db);
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
