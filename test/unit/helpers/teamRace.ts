/**
 * Two (or more) processes changing the same team alias at once (test/unit/fixtures/teamPromoter.ts): each reads
 * where the alias points and says so, then all are released together and each reports its result. Exactly one may
 * win; the others must get a CONFLICT.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as readline from 'readline';
import { fixtureScript } from '../helpers';

export interface RaceResult {
  ok: boolean;
  code?: string;
  message?: string;
  from?: number | null;
  to?: number | null;
}

/** One child per argv (teamPromoter's arguments); returns the versions each planned from and their results. */
export async function raceProcesses(argvs: string[][]): Promise<{ planned: string[]; results: RaceResult[] }> {
  const procs = argvs.map(argv => {
    const child = spawn(process.execPath, [fixtureScript('teamPromoter'), ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let errText = '';
    child.stderr.on('data', d => {
      errText += d;
    });
    const lines: string[] = [];
    const waiters: (() => void)[] = [];
    readline.createInterface({ input: child.stdout }).on('line', l => {
      lines.push(l);
      waiters.splice(0).forEach(w => w());
    });
    const exited = new Promise<number | null>(r => child.once('close', code => r(code)));
    const nth = (n: number) =>
      new Promise<string>((resolve, reject) => {
        const check = () => (lines.length > n ? resolve(lines[n]) : waiters.push(check));
        void exited.then(code =>
          lines.length > n ? resolve(lines[n]) : reject(new Error(`teamPromoter exited ${code}: ${errText}`)),
        );
        check();
      });
    return { child, nth, exited };
  });
  try {
    const planned = await Promise.all(procs.map(p => p.nth(0)));
    for (const p of procs) {
      p.child.stdin.end('go\n');
    }
    const results = (await Promise.all(procs.map(p => p.nth(1)))).map(l => JSON.parse(l) as RaceResult);
    await Promise.all(procs.map(p => p.exited));
    return { planned, results };
  } finally {
    for (const p of procs) {
      if (p.child.exitCode === null) {
        p.child.kill();
      }
    }
  }
}

/**
 * Checks a race: every process read the alias at `planned` ("planned 1"), exactly one wrote, and every other one got
 * a CONFLICT whose message matches `conflict`. Returns the winner's result.
 */
export function theOneWinner(
  race: { planned: string[]; results: RaceResult[] },
  planned: string,
  conflict: RegExp,
): RaceResult {
  assert.deepStrictEqual(
    race.planned,
    race.planned.map(() => planned),
  );
  const winners = race.results.filter(r => r.ok);
  assert.strictEqual(winners.length, 1, JSON.stringify(race.results));
  for (const l of race.results.filter(r => !r.ok)) {
    assert.strictEqual(l.code, 'CONFLICT', JSON.stringify(race.results));
    assert.match(l.message!, conflict);
  }
  return winners[0];
}
