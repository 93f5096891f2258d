import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** Prefix of the temporary files atomicWrite leaves behind only if the process dies between write and rename. */
export const TEMP_MARK = '.tmp-';

/**
 * Writes a file so that readers only ever see the old or the new content: write a temporary file in the same
 * folder, fsync it, rename it over the target, fsync the folder.
 */
export async function atomicWrite(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'w', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const d = await fs.promises.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* some filesystems do not allow fsync on a directory; the rename is still atomic */
  }
}

/** Removes temporary files of `file` left by writers that died mid-write. Call only while holding the lock. */
export async function removeStaleTemps(file: string): Promise<number> {
  const dir = path.dirname(file);
  const prefix = path.basename(file) + TEMP_MARK;
  let removed = 0;
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) {
      await fs.promises.rm(path.join(dir, name), { force: true }).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

/** Appends one line and fsyncs, so an append-only log loses at most the line being written in a crash. */
export async function appendLineDurably(file: string, line: string): Promise<void> {
  const handle = await fs.promises.open(file, 'a', 0o644);
  try {
    await handle.write(line.endsWith('\n') ? line : line + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
