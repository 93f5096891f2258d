/**
 * Two (or more) processes changing the same team alias at once (test/unit/fixtures/teamPromoter.ts): each reads
 * where the alias points and says so, then all are released together and each reports its result. Exactly one may
 * win; the others must get a CONFLICT.
 */
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
