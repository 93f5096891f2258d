/**
 * Values that reach `git` come from workspace files (a run log's `git` event, the MLflow tag
 * `mlflow.source.git.commit`, `audit.jsonl`), which anyone can commit. They are validated here, where they enter
 * the store, and again right before git runs; a value that fails is stored as invalid (NULL in the git columns,
 * the raw text kept only as a tag or in its source file) and never becomes an argument. Every git invocation ends
 * its options with `--end-of-options` (and its revisions with `--` before paths): see `gitArgs`.
 */

/** A commit id: 4 to 64 hexadecimal digits (abbreviated SHA-1 up to full SHA-256). */
export const COMMIT_PATTERN = /^[0-9a-f]{4,64}$/i;
/** Longest branch name accepted (git's own limit is the file system's; 255 bytes covers every real branch). */
export const MAX_BRANCH_LENGTH = 255;

export function isCommitId(v: unknown): v is string {
  return typeof v === 'string' && COMMIT_PATTERN.test(v);
}

/**
 * A branch name as `git check-ref-format --branch` accepts it: no component starting with "." or ending in
 * ".lock", no "..", no control characters, space, "~ ^ : ? * [ \", no "//", no leading or trailing "/", not ending
 * in ".", no "@{", not "@", and (as a branch) not starting with "-" and not "HEAD".
 */
export function isBranchName(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_BRANCH_LENGTH) {
    return false;
  }
  if (v === '@' || v === 'HEAD' || v.startsWith('-') || v.startsWith('/') || v.endsWith('/') || v.endsWith('.')) {
    return false;
  }
  if (v.includes('..') || v.includes('//') || v.includes('@{')) {
    return false;
  }

  if (/[\x00-\x20\x7f~^:?*[\\]/.test(v)) {
    return false;
  }
  return v.split('/').every(c => c.length > 0 && !c.startsWith('.') && !c.endsWith('.lock'));
}

/** The commit if it is valid, else null (stored as invalid). */
export function validCommit(v: unknown): string | null {
  return isCommitId(v) ? v : null;
}
/** The branch if it is valid, else null (stored as invalid). */
export function validBranch(v: unknown): string | null {
  return isBranchName(v) ? v : null;
}

/** Why a commit/branch pair from workspace data is refused, or undefined when both are fine (or absent). */
export function gitRefProblem(commit: unknown, branch: unknown): string | undefined {
  const bad: string[] = [];
  if (commit !== undefined && commit !== null && !isCommitId(commit)) {
    bad.push(`git commit ${JSON.stringify(String(commit).slice(0, 80))} is not a commit id (4–64 hex digits)`);
  }
  if (branch !== undefined && branch !== null && !isBranchName(branch)) {
    bad.push(`git branch ${JSON.stringify(String(branch).slice(0, 80))} is not a valid branch name`);
  }
  return bad.length ? `${bad.join('; ')}; stored as invalid` : undefined;
}

export class UnsafeGitArgument extends Error {}

/**
 * The argument list for `git <command…> [options] --end-of-options [operands] <commits> [-- <paths>]`. Every commit
 * must be a commit id; anything else throws before git could see it. `options` are the caller's constants, never
 * data; `operands` are values the caller built itself (e.g. a worktree folder it chose).
 */
export function gitArgs(
  command: readonly string[],
  options: readonly string[],
  commits: readonly string[],
  more: { operands?: readonly string[]; paths?: readonly string[] } = {},
): string[] {
  for (const c of commits) {
    if (!isCommitId(c)) {
      throw new UnsafeGitArgument(
        `${JSON.stringify(String(c).slice(0, 80))} is not a commit id (4–64 hex digits); git was not run`,
      );
    }
  }
  return [
    ...command,
    ...options,
    '--end-of-options',
    ...(more.operands ?? []),
    ...commits,
    ...(more.paths ? ['--', ...more.paths] : []),
  ];
}
