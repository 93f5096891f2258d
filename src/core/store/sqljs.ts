import * as fs from 'fs';
import * as path from 'path';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;
let loaded = false;

/**
 * Where sql-wasm.wasm lives: next to the bundle in the packaged extension and CLI (dist/), otherwise in the
 * sql.js package (unit tests run against node_modules).
 */
export function sqlWasmPath(): string {
  const besideBundle = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(besideBundle)) {
    return besideBundle;
  }
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

/** Loads sql.js and its WebAssembly once, on first use (never at extension activation). */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!loading) {
    loading = (async () => {
      // Required here, not at module top, so that activating the extension does not evaluate sql.js.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const initSqlJs = require('sql.js') as (config: { wasmBinary: ArrayBuffer }) => Promise<SqlJsStatic>;
      const bytes = await fs.promises.readFile(sqlWasmPath());
      const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const SQL = await initSqlJs({ wasmBinary });
      loaded = true;
      return SQL;
    })();
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

/** True once the WebAssembly module has been instantiated (used by the activation test and benchmark). */
export function isSqlJsLoaded(): boolean {
  return loaded;
}
