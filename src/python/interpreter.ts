/**
 * Finding a Python that can run a script: which third-party packages the script imports, which interpreter has
 * them (the Python extension's selected one first, then python3 on PATH, /usr/bin/python3, …), and what to
 * install when none does. No `vscode` import (unit-tested in plain Node). Interpreters are run with execFile
 * and fixed arguments, never through a shell.
 */
import { execFile } from 'child_process';

/** import name → the package to install (pip, and Debian's python3-* package where there is one) */
export const KNOWN_PACKAGES: Record<string, { pip: string; debian?: string }> = {
  sklearn: { pip: 'scikit-learn', debian: 'python3-sklearn' },
  numpy: { pip: 'numpy', debian: 'python3-numpy' },
  pandas: { pip: 'pandas', debian: 'python3-pandas' },
  scipy: { pip: 'scipy', debian: 'python3-scipy' },
  matplotlib: { pip: 'matplotlib', debian: 'python3-matplotlib' },
  torch: { pip: 'torch', debian: 'python3-torch' },
  xgboost: { pip: 'xgboost', debian: 'python3-xgboost' },
  lightgbm: { pip: 'lightgbm' },
  tensorflow: { pip: 'tensorflow' },
  imblearn: { pip: 'imbalanced-learn', debian: 'python3-imblearn' },
  mlflow: { pip: 'mlflow' },
  pyarrow: { pip: 'pyarrow', debian: 'python3-pyarrow' },
};

/** The known third-party modules a script imports (top-level `import x` / `from x import …`), in order. */
export function requiredModules(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import\b|import[ \t]+([^\n#;]+))/gm)) {
    const names = m[1] ? [m[1]] : m[2].split(',').map(x => x.trim().split(/[.\s]/)[0]);
    for (const n of names) {
      if (n in KNOWN_PACKAGES && !out.includes(n)) {
        out.push(n);
      }
    }
  }
  return out;
}

export interface Probe {
  /** what was run (a path or a command name found on PATH) */
  command: string;
  /** where it came from: "Python extension", "PATH", … */
  origin: string;
  /** sys.executable and the version, when it ran */
  executable?: string;
  version?: string;
  /** modules it cannot import */
  missing: string[];
  /** why it could not be run at all */
  error?: string;
}

const PROBE =
  'import importlib.util, json, sys\n' +
  'mods = sys.argv[1:]\n' +
  'print(json.dumps({"executable": sys.executable, "version": sys.version.split()[0], ' +
  '"missing": [m for m in mods if importlib.util.find_spec(m) is None]}))\n';

/** Runs `command -c <probe> <modules…>` and reports what it has. */
export function probeInterpreter(
  command: string,
  origin: string,
  modules: readonly string[],
  timeoutMs = 15_000,
): Promise<Probe> {
  return new Promise(resolve => {
    execFile(command, ['-c', PROBE, ...modules], { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      if (err) {
        resolve({
          command,
          origin,
          missing: [...modules],
          error: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : err.message.split('\n')[0],
        });
        return;
      }
      try {
        const r = JSON.parse(String(stdout).trim().split('\n').pop() ?? '') as {
          executable: string;
          version: string;
          missing: string[];
        };
        resolve({ command, origin, executable: r.executable, version: r.version, missing: r.missing });
      } catch {
        resolve({ command, origin, missing: [...modules], error: 'did not answer the probe' });
      }
    });
  });
}

/** The interpreters to try, in order, without duplicates: the editor's choice first, then the usual places. */
export function candidates(
  selected: string | undefined,
  platform: NodeJS.Platform = process.platform,
): { command: string; origin: string }[] {
  const list: { command: string; origin: string }[] = [];
  if (selected) {
    list.push({ command: selected, origin: "the Python extension's interpreter" });
  }
  if (platform === 'win32') {
    list.push({ command: 'python', origin: 'PATH' }, { command: 'py', origin: 'PATH' });
  } else {
    list.push(
      { command: 'python3', origin: 'PATH' },
      { command: '/usr/bin/python3', origin: 'the system' },
      { command: '/usr/local/bin/python3', origin: 'the system' },
      { command: '/opt/homebrew/bin/python3', origin: 'Homebrew' },
      { command: 'python', origin: 'PATH' },
    );
  }
  const seen = new Set<string>();
  return list.filter(c => (seen.has(c.command) ? false : (seen.add(c.command), true)));
}

export interface InterpreterChoice {
  chosen?: Probe;
  probes: Probe[];
}

/** Probes the candidates in order and picks the first that has every module (two that resolve to one file count once). */
export async function findInterpreter(
  modules: readonly string[],
  list: { command: string; origin: string }[],
): Promise<InterpreterChoice> {
  const probes: Probe[] = [];
  const seen = new Set<string>();
  for (const c of list) {
    const p = await probeInterpreter(c.command, c.origin, modules);
    if (p.executable && seen.has(p.executable)) {
      continue;
    }
    if (p.executable) {
      seen.add(p.executable);
    }
    probes.push(p);
    if (!p.error && p.missing.length === 0) {
      return { chosen: p, probes };
    }
  }
  return { probes };
}

/** What to tell a user when no interpreter has the modules: what each lacks and the commands that install them. */
export function missingPackagesMessage(
  modules: readonly string[],
  probes: readonly Probe[],
): { message: string; pip: string; apt?: string } {
  const ran = probes.filter(p => !p.error);
  const best = ran.slice().sort((a, b) => a.missing.length - b.missing.length)[0];
  const missing = best ? best.missing : [...modules];
  const pipNames = missing.map(m => KNOWN_PACKAGES[m]?.pip ?? m);
  const deb = missing.map(m => KNOWN_PACKAGES[m]?.debian);
  const target = best?.executable ?? 'python3';
  const pip = `${target} -m pip install ${pipNames.join(' ')}`;
  const apt = deb.every(Boolean) ? `sudo apt-get install ${deb.join(' ')}` : undefined;
  const tried = probes
    .map(
      p =>
        `${p.command} (${p.origin}): ${p.error ?? (p.missing.length ? `${p.version}, no ${p.missing.join(', ')}` : 'ok')}`,
    )
    .join('; ');
  return {
    message: `No Python here can import ${missing.join(', ')}. Install ${pipNames.join(', ')} with "${pip}"${apt ? ` or "${apt}"` : ''}, or select an interpreter that has them (Python: Select Interpreter). Tried: ${tried}.`,
    pip,
    apt,
  };
}
