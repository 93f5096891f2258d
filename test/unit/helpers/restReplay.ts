/**
 * A local MLflow tracking server stand-in that replays the request/response pairs recorded from MLflow 2.17's
 * server (test/fixtures/mlflow-2.17/rest/*.json). A request matches a recording when method and endpoint are
 * equal and every field of the recorded request (JSON body or query) is equal in the actual one (page_token must
 * be equal or absent in both; a larger max_results matches a recording that had no next page). Tests add variations: extra routes, injected failures (429/5xx), required auth.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';

/** test/fixtures/mlflow-2.17 from a unit-test bundle (dist/test/unit/*.js); other bundles pass their own path. */
const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'mlflow-2.17');

export interface Exchange {
  method: string;
  path: string;
  request: Record<string, unknown> | null;
  response: Record<string, unknown>;
}
export interface Seen {
  method: string;
  endpoint: string;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

export function recorded(fixtures = FIXTURES): Map<string, Exchange> {
  const dir = path.join(fixtures, 'rest');
  return new Map(
    fs
      .readdirSync(dir)
      .filter(f => f.endsWith('.json'))
      .map(f => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Exchange]),
  );
}

export interface Replay {
  url: string;
  seen: Seen[];
  /** failures to answer before the next matching requests: [endpoint, status, body, headers] */
  failures: { endpoint: string; status: number; body?: unknown; headers?: Record<string, string> }[];
  /** extra routes (checked before the recordings) */
  routes: {
    method: string;
    endpoint: string;
    match?: (body: Record<string, unknown>) => boolean;
    status?: number;
    response: unknown | ((body: Record<string, unknown>) => unknown);
  }[];
  token: string | undefined;
  close(): Promise<void>;
}

function split(p: string): { endpoint: string; query: Record<string, string> } {
  const u = new URL(p, 'http://x');
  return { endpoint: u.pathname, query: Object.fromEntries(u.searchParams) };
}

export async function startReplay(fixtures = FIXTURES): Promise<Replay> {
  // "<name>-after" recordings are the same request after a write: tests serve them as routes when they need them
  const exchanges = [...recorded(fixtures)].filter(([name]) => !name.endsWith('-after')).map(([, x]) => x);
  const state: Omit<Replay, 'url' | 'close'> = { seen: [], failures: [], routes: [], token: undefined };
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', d => {
      data += d;
    });
    req.on('end', () => {
      const { endpoint, query } = split(req.url ?? '/');
      const body: Record<string, unknown> = req.method === 'GET' ? query : data ? JSON.parse(data) : {};
      state.seen.push({ method: req.method ?? '', endpoint, body, headers: req.headers });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (state.token && req.headers.authorization !== `Bearer ${state.token}`) {
        send(401, {
          error_code: 'UNAUTHENTICATED',
          message: 'You are not authenticated. Please see the documentation for details.',
        });
        return;
      }
      const fi = state.failures.findIndex(f => f.endpoint === endpoint);
      if (fi >= 0) {
        const f = state.failures.splice(fi, 1)[0];
        send(f.status, f.body ?? { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try later' }, f.headers);
        return;
      }
      for (const r of state.routes) {
        if (r.method === req.method && r.endpoint === endpoint && (!r.match || r.match(body))) {
          send(r.status ?? 200, typeof r.response === 'function' ? r.response(body) : r.response);
          return;
        }
      }
      for (const x of exchanges) {
        const rec = split(x.path);
        if (x.method !== req.method || rec.endpoint !== endpoint) {
          continue;
        }
        const want = x.method === 'GET' ? rec.query : (x.request ?? {});
        // a recorded answer without a next page is also the answer for any larger max_results
        const complete = !x.response.next_page_token;
        const ok =
          Object.entries(want).every(
            ([k, v]) =>
              isDeepStrictEqual(body[k], v) ||
              String(body[k]) === String(v) ||
              (k === 'max_results' && complete && Number(body[k]) >= Number(v)),
          ) && (body.page_token ?? null) === (want.page_token ?? null);
        if (!ok) {
          continue;
        }
        const isError = typeof x.response.error_code === 'string';
        send(isError ? (x.response.error_code === 'RESOURCE_DOES_NOT_EXIST' ? 404 : 400) : 200, x.response);
        return;
      }
      send(404, {
        error_code: 'ENDPOINT_NOT_FOUND',
        message: `no recording for ${req.method} ${endpoint} ${JSON.stringify(body)}`,
      });
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
