/**
 * The files of a run (or registered model) folder: listed recursively with nested keys, stat'ed lazily.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileMtime, readDirSyncOrEmpty, readRangeSync, relPath } from '../common';

/** A file of a run folder; size and mtime are -1 until it is stat'ed (listKeyFiles) or opened (openWithStat). */
export interface FileEntry {
  key: string;
  abs: string;
  rel: string;
  size: number;
  mtime: number;
}

/**
 * Files under `dir`, recursively; `key` joins nested folders with '/' (metric/param/tag keys containing '/').
 * Synchronous, like the rest of a run's reading (small folders; the pass yields between runs, see readRun).
 * Without `stat`, sizes and mtimes are left at -1: a run read for the first time takes them from the open file
 * (openWithStat), which saves a lookup by path per file.
 */
export function listKeyFiles(
  dir: string,
  folder: string,
  stat = true,
  prefix = '',
  relDir = relPath(folder, dir),
): FileEntry[] {
  const out: FileEntry[] = [];
  // relPath gives an absolute path for a folder outside the workspace; inside it, names are appended
  const outside = relDir.startsWith('/') || /^[A-Za-z]:/.test(relDir);
  for (const d of readDirSyncOrEmpty(dir)) {
    const abs = dir + path.sep + d.name;
    const key = prefix ? `${prefix}/${d.name}` : d.name;
    const rel = outside ? relPath(folder, abs) : `${relDir}/${d.name}`;
    if (d.isDirectory()) {
      out.push(...listKeyFiles(abs, folder, stat, key, rel));
      continue;
    }
    if (!d.isFile()) {
      continue;
    }
    const f: FileEntry = { key, abs, rel, size: -1, mtime: -1 };
    if (stat && !statEntry(f)) {
      continue;
    }
    out.push(f);
  }
  return out;
}

/** Fills in the entry's size and mtime; false if the file is gone. */
export function statEntry(f: FileEntry): boolean {
  try {
    const st = fs.statSync(f.abs);
    f.size = st.size;
    f.mtime = fileMtime(st);
    return true;
  } catch {
    return false;
  }
}

/** Opens a file and fills in the entry's size and mtime from the open file; undefined if it is gone. */
export function openWithStat(f: FileEntry): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(f.abs, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    f.size = st.size;
    f.mtime = fileMtime(st);
    return fd;
  } catch {
    fs.closeSync(fd);
    return undefined;
  }
}

/** A small file's text; an entry not stat'ed yet gets its size and mtime from the open file. */
export function readEntryText(f: FileEntry): string | undefined {
  if (f.size >= 0) {
    try {
      return fs.readFileSync(f.abs, 'utf8');
    } catch {
      return undefined;
    }
  }
  const fd = openWithStat(f);
  if (fd === undefined) {
    return undefined;
  }
  try {
    return readRangeSync(fd, 0, f.size).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
