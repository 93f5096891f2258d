/**
 * Which folders of an mlruns tree are experiments and runs (not the registry, `.trash`, or MLflow 3's per-
 * experiment `tags`/`datasets`/`traces`/`models` folders).
 */
import * as fs from 'fs';
import * as path from 'path';
import { joinRel, readDirOrEmpty } from '../common';
import { mlflowExperimentId } from './ids';
import { ExperimentListing } from './work';

/** Folders directly under an mlruns root that are not experiments. */
const NOT_EXPERIMENTS = new Set(['.trash', 'models']);
/** Folders directly under an experiment that are not runs (MLflow 2.10+/3). */
const NOT_RUNS = new Set(['tags', 'datasets', 'traces', 'models']);

/** True if `dir` looks like an MLflow FileStore root: some child folder (an experiment) has a meta.yaml. */
export async function isMlflowFileStore(dir: string): Promise<boolean> {
  for (const d of await readDirOrEmpty(dir)) {
    if (!d.isDirectory() || NOT_EXPERIMENTS.has(d.name)) {
      continue;
    }
    if (fs.existsSync(path.join(dir, d.name, 'meta.yaml'))) {
      return true;
    }
  }
  return false;
}

/**
 * Lists an mlruns tree: the experiments and runs to read (only under folders `touches` accepts, sorted), and every
 * experiment id and run folder present (to tell what disappeared, in touched folders or not).
 */
export async function listTree(
  rootAbs: string,
  rootRel: string,
  touches: (rel: string) => boolean,
): Promise<{ listing: ExperimentListing[]; seenExperiments: Set<string>; seenRunDirs: Set<string> }> {
  const seenExperiments = new Set<string>();
  const seenRunDirs = new Set<string>();
  const expDirs = (await readDirOrEmpty(rootAbs)).filter(
    d => d.isDirectory() && !NOT_EXPERIMENTS.has(d.name) && !d.name.startsWith('.'),
  );
  expDirs.sort((a, b) => a.name.localeCompare(b.name));
  const listing: ExperimentListing[] = [];
  for (const d of expDirs) {
    const expAbs = path.join(rootAbs, d.name);
    const expRel = joinRel(rootRel, d.name);
    seenExperiments.add(mlflowExperimentId(rootRel, d.name));
    const runDirs = (await readDirOrEmpty(expAbs)).filter(
      e => e.isDirectory() && !NOT_RUNS.has(e.name) && !e.name.startsWith('.'),
    );
    for (const r of runDirs) {
      seenRunDirs.add(joinRel(expRel, r.name));
    }
    if (!touches(expRel)) {
      continue;
    }
    listing.push({
      name: d.name,
      expAbs,
      expRel,
      runNames: runDirs
        .filter(r => touches(joinRel(expRel, r.name)))
        .map(r => r.name)
        .sort((a, b) => a.localeCompare(b)),
    });
  }
  return { listing, seenExperiments, seenRunDirs };
}
