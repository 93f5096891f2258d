import * as fs from 'fs';
import * as path from 'path';

/**
 * Paths named by workspace data (a run log's artifacts and datasets, MLflow's artifact lists) are untrusted: a run
 * log can name `../../../../etc/passwd`, an absolute path, or a symlink that leads out of the workspace. Before
 * such a path is opened, read or hashed it is resolved (relative to its base, `..` collapsed, symlinks followed via
 * realpath) and must stay inside one of the allowed roots (the workspace folder, or a run's own folder in it).
 */

export type Confined = { ok: true; file: string } | { ok: false; message: string };

/** realpath of the longest existing prefix of `p`, with the rest appended (a file that does not exist yet). */
function realpathOfExisting(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...rest.reverse());
    } catch {
      /* not there: go up */
    }
    const parent = path.dirname(cur);
    if (parent === cur) {
      return p;
    }
    rest.push(path.basename(cur));
    cur = parent;
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Resolves `p` (relative to `base`, which defaults to the first root) and checks that it, and what its symlinks
 * point to, stays inside one of `roots`. Returns the resolved real path, or a message that says why it is refused.
 */
export function confinePath(p: string, roots: readonly string[], base = roots[0]): Confined {
  const shown = JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
  if (p.includes('\0')) {
    return { ok: false, message: `${shown} contains a NUL character` };
  }
  const resolved = path.resolve(base, p);
  const real = realpathOfExisting(resolved);
  const realRoots = roots.map(r => realpathOfExisting(path.resolve(r)));
  if (!realRoots.some(r => inside(r, real))) {
    return {
      ok: false,
      message: `${shown} is outside the workspace folder${real !== resolved ? ` (it leads to ${real})` : ''}; ML Sight only opens files inside it`,
    };
  }
  return { ok: true, file: real };
}
