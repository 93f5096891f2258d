import type { BindParams, Database, SqlValue, Statement } from 'sql.js';

export type Row = Record<string, SqlValue>;

/**
 * A thin wrapper over a sql.js Database that only offers parameterised prepared statements. Statements used by
 * run() are prepared once and cached; sql.js frees every statement when the database is exported or closed, so
 * the owner calls releaseStatements() before either.
 */
export class Db {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly raw: Database) {}

  run(sql: string, params?: BindParams): number {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.raw.prepare(sql);
      this.cache.set(sql, st);
    }
    st.run(params ?? []);
    return this.raw.getRowsModified();
  }

  /** Frees cached statements (call before export() or close()). */
  releaseStatements(): void {
    for (const st of this.cache.values()) {
      try {
        st.free();
      } catch {
        /* already freed */
      }
    }
    this.cache.clear();
  }

  /** Runs one statement many times (bulk inserts). */
  runMany(sql: string, rows: readonly BindParams[]): void {
    const st = this.raw.prepare(sql);
    try {
      for (const r of rows) {
        st.run(r);
      }
    } finally {
      st.free();
    }
  }

  all<T = Row>(sql: string, params?: BindParams): T[] {
    const st = this.raw.prepare(sql);
    const out: T[] = [];
    try {
      if (params) {
        st.bind(params);
      }
      // column names once per statement (getAsObject asks SQLite for them on every row)
      let names: string[] | undefined;
      while (st.step()) {
        names ??= st.getColumnNames();
        const values = st.get();
        const row: Record<string, SqlValue> = {};
        for (let i = 0; i < names.length; i++) {
          row[names[i]] = values[i];
        }
        out.push(row as unknown as T);
      }
    } finally {
      st.free();
    }
    return out;
  }

  get<T = Row>(sql: string, params?: BindParams): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  scalar<T extends SqlValue = SqlValue>(sql: string, params?: BindParams): T | undefined {
    const st = this.raw.prepare(sql);
    try {
      if (params) {
        st.bind(params);
      }
      return st.step() ? (st.get()[0] as T) : undefined;
    } finally {
      st.free();
    }
  }

  transaction<T>(fn: () => T): T {
    this.raw.run('BEGIN');
    try {
      const result = fn();
      this.raw.run('COMMIT');
      return result;
    } catch (e) {
      try {
        this.raw.run('ROLLBACK');
      } catch {
        /* already rolled back */
      }
      throw e;
    }
  }

  /**
   * Runs `fn` inside a savepoint of the current transaction: if it throws, only its own changes are undone and the
   * error is returned, so one bad file or line cannot take the rest of a batch down with it.
   */
  isolated(fn: () => void): Error | undefined {
    this.raw.run('SAVEPOINT mlsight_isolated');
    try {
      fn();
      this.raw.run('RELEASE mlsight_isolated');
      return undefined;
    } catch (e) {
      try {
        this.raw.run('ROLLBACK TO mlsight_isolated');
        this.raw.run('RELEASE mlsight_isolated');
      } catch {
        /* nothing to undo */
      }
      return e instanceof Error ? e : new Error(String(e));
    }
  }
}

/** NaN cannot be stored in SQLite (it becomes NULL): metric values use NULL for NaN, REAL for the rest. */
export function metricToSql(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
export function metricFromSql(value: SqlValue): number {
  return value === null ? NaN : Number(value);
}
