import * as vscode from 'vscode';
import { teamRunRef, teamRunUuid } from '../core/tracking/teamView';
import { AnnotationBody, annotate } from '../core/annotations';
import { listExperiments, listRuns } from '../core/queries';
import { sortableMetricKeys } from '../core/runs/sortKeys';
import { RunSort } from '../core/runs/view';
import { CommandHandlers } from '../platform/commands';
import { StoreManager } from '../workspace/storeManager';
import { RunsNode, RunsTreeProvider } from './runsTree';

type RunNode = Extract<RunsNode, { kind: 'run' }>;

/** A Runs view run node (what VS Code passes to a run's context-menu and inline commands). */
export function isRunNode(x: unknown): x is RunNode {
  return !!x && typeof x === 'object' && (x as RunsNode).kind === 'run';
}

export interface RunsCommandDeps {
  readonly stores: StoreManager;
  readonly tree: RunsTreeProvider;
  readonly view: vscode.TreeView<RunsNode>;
  readonly pickFolder: () => Promise<vscode.WorkspaceFolder | undefined>;
  readonly openRun: (
    folder: vscode.WorkspaceFolder | undefined,
    runId: string,
    opts?: { preview?: boolean },
  ) => Promise<unknown>;
  /** runIds may hold team runs (`team:<run_uuid>`); folder undefined: team runs only */
  readonly compare: (folder: vscode.WorkspaceFolder | undefined, runIds: string[]) => Promise<void>;
  /** the team runs the Runs view has loaded (its Team root), offered next to the folder's runs */
  readonly teamRuns?: () => TeamRunPick[];
}

/** A team run as Compare offers it; id is `team:<run_uuid>` (core/tracking/teamView.ts). */
export interface TeamRunPick {
  id: string;
  name: string;
  experiment: string;
  status: string;
}

/** The argument mlsight.compareRuns takes for one run (a local run of a folder, or a team run). */
export function compareArg(folder: vscode.WorkspaceFolder | undefined, runId: string): unknown {
  const u = teamRunUuid(runId);
  return u ? { kind: 'team', team: { t: 'run', run: { runUuid: u } } } : { kind: 'run', folder, run: { id: runId } };
}

/** The team run of a Runs view node (`{ kind: 'team', team: { t: 'run', run } }`), as its compare id. */
function teamRunId(x: unknown): string | undefined {
  const o = x as { kind?: string; team?: { t?: string; run?: { runUuid?: unknown } } } | undefined;
  const u = o?.kind === 'team' && o.team?.t === 'run' ? o.team.run?.runUuid : undefined;
  return typeof u === 'string' ? teamRunRef(u) : undefined;
}

type RunsCommandId =
  | 'mlsight.refreshRuns'
  | 'mlsight.sortRuns'
  | 'mlsight.filterRuns'
  | 'mlsight.clearRunsFilter'
  | 'mlsight.starRun'
  | 'mlsight.unstarRun'
  | 'mlsight.renameRun'
  | 'mlsight.tagRun'
  | 'mlsight.noteRun'
  | 'mlsight.trashRun'
  | 'mlsight.restoreRun'
  | 'mlsight.openRun'
  | 'mlsight.openRunById'
  | 'mlsight.compareRuns'
  | 'mlsight.setBaseline'
  | 'mlsight.copyRunId';

/** The Runs view's commands: refresh, sort, filter, annotations (star, rename, tag, note, trash), open, compare. */
export function runsCommands(d: RunsCommandDeps): Pick<CommandHandlers, RunsCommandId> {
  const { stores, tree } = d;
  /** Writes an annotation for a run (star, rename, …) to the append-only log and the store. */
  const annotateRun = async (node: RunNode, body: AnnotationBody) => {
    await annotate(await stores.get(node.folder), body);
  };
  const withRun =
    (fn: (n: RunNode) => Promise<unknown>) =>
    async (arg?: unknown): Promise<unknown> =>
      isRunNode(arg) ? fn(arg) : undefined;

  return {
    'mlsight.refreshRuns': async () => {
      for (const f of stores.folders()) {
        await stores.sync(await stores.get(f), true);
      }
      tree.refresh();
    },
    'mlsight.sortRuns': async () => {
      const metricKeys = new Set<string>();
      for (const f of stores.folders()) {
        (await stores.get(f)).read(db => sortableMetricKeys(db)).forEach(k => metricKeys.add(k));
      }
      type SortPick = vscode.QuickPickItem & { sort: RunSort };
      const cur = tree.sort;
      const items: SortPick[] = [
        { label: 'Start time, newest first', sort: { by: 'start', descending: true } },
        { label: 'Start time, oldest first', sort: { by: 'start', descending: false } },
        { label: 'Name', sort: { by: 'name', descending: false } },
        { label: 'Status', sort: { by: 'status', descending: false } },
        ...[...metricKeys].flatMap((k): SortPick[] => [
          {
            label: `${k}, highest first`,
            description: 'metric',
            sort: { by: 'metric', metric: k, descending: true },
          },
          {
            label: `${k}, lowest first`,
            description: 'metric',
            sort: { by: 'metric', metric: k, descending: false },
          },
        ]),
      ];
      for (const i of items) {
        if (i.sort.by === cur.by && i.sort.metric === cur.metric && i.sort.descending === cur.descending) {
          i.picked = true;
          i.detail = 'current';
        }
      }
      const pick = await vscode.window.showQuickPick(items, {
        title: 'Sort Runs (starred runs stay on top)',
        matchOnDescription: true,
      });
      if (pick) {
        await tree.setSort(pick.sort);
      }
      return pick?.sort;
    },
    'mlsight.filterRuns': async () => {
      const text = await vscode.window.showInputBox({
        title: 'Filter Runs',
        value: tree.filterText,
        prompt:
          'Words match name, id, params and tags; also status:failed, tag:key or tag:key=value. Empty clears the filter.',
        placeHolder: 'e.g. resnet status:finished tag:team=vision',
      });
      if (text !== undefined) {
        await tree.setFilter(text);
      }
      return text;
    },
    'mlsight.clearRunsFilter': () => tree.setFilter(''),
    'mlsight.starRun': withRun(n => annotateRun(n, { action: 'run.star', runId: n.run.id, starred: true })),
    'mlsight.unstarRun': withRun(n => annotateRun(n, { action: 'run.star', runId: n.run.id, starred: false })),
    'mlsight.renameRun': withRun(async n => {
      const name = await vscode.window.showInputBox({
        title: 'Rename Run',
        value: n.run.name ?? '',
        prompt: "Shown in ML Sight only; the run's own files are not changed. Empty restores the original name.",
      });
      if (name !== undefined) {
        await annotateRun(n, { action: 'run.rename', runId: n.run.id, name: name.trim() || null });
      }
    }),
    'mlsight.tagRun': withRun(async n => {
      const text = await vscode.window.showInputBox({
        title: 'Tag Run',
        prompt: 'key=value (a key alone sets "true"; key= removes the tag)',
        placeHolder: 'e.g. candidate=yes',
        validateInput: v => (/^\s*[^=\s][^=]*(=.*)?$/.test(v) ? undefined : 'Write key=value'),
      });
      if (!text) {
        return;
      }
      const i = text.indexOf('=');
      const key = (i < 0 ? text : text.slice(0, i)).trim();
      const value = i < 0 ? 'true' : text.slice(i + 1).trim();
      await annotateRun(n, { action: 'run.tag', runId: n.run.id, key, value: i >= 0 && value === '' ? null : value });
    }),
    'mlsight.noteRun': withRun(async n => {
      const note = await vscode.window.showInputBox({
        title: 'Note on Run',
        value: n.run.note ?? '',
        prompt: 'A description of this run (empty removes the note).',
      });
      if (note !== undefined) {
        await annotateRun(n, { action: 'run.note', runId: n.run.id, note: note.trim() || null });
      }
    }),
    'mlsight.trashRun': async (item?: unknown, selected?: unknown[]) => {
      const nodes = (Array.isArray(selected) && selected.length ? selected : [item])
        .filter(isRunNode)
        .filter(n => !n.trashed);
      if (!nodes.length) {
        return;
      }
      for (const n of nodes) {
        await annotateRun(n, { action: 'run.trash', runId: n.run.id, trashed: true });
      }
      const label = nodes.length === 1 ? `"${nodes[0].run.name ?? nodes[0].run.id}"` : `${nodes.length} runs`;
      void vscode.window
        .showInformationMessage(`ML Sight: moved ${label} to the trash. Its files are untouched.`, 'Undo')
        .then(async c => {
          if (c) {
            for (const n of nodes) {
              await annotateRun(n, { action: 'run.trash', runId: n.run.id, trashed: false });
            }
          }
        });
    },
    'mlsight.restoreRun': withRun(n => annotateRun(n, { action: 'run.trash', runId: n.run.id, trashed: false })),
    'mlsight.openRun': withRun(async n => {
      await d.openRun(n.folder, n.run.id, { preview: true });
      return n.run.id;
    }),
    'mlsight.openRunById': async (folderUri?: unknown, runId?: unknown) => {
      const folder = stores.folders().find(f => f.uri.toString() === folderUri);
      if (typeof runId === 'string' && teamRunUuid(runId)) {
        await d.openRun(undefined, runId); // a team run (team:<run_uuid>) has no folder
        return runId;
      }
      if (!folder || typeof runId !== 'string') {
        return;
      }
      await d.openRun(folder, runId);
      return runId;
    },
    'mlsight.compareRuns': async (item?: unknown, selected?: unknown[]) => {
      // From the Runs view: the clicked item and the multi-selection; from the title bar: the selection. Team runs
      // (the Team root) are compared like the folder's, and with them.
      const chosen = Array.isArray(selected) && selected.length ? selected : item ? [item] : [...d.view.selection];
      let nodes = chosen.filter(isRunNode);
      const teamIds = [...new Set(chosen.map(teamRunId).filter((x): x is string => !!x))];
      if (nodes.length + teamIds.length < 2) {
        const team = d.teamRuns?.() ?? [];
        const folder = nodes[0]?.folder ?? (stores.folders().length || !team.length ? await d.pickFolder() : undefined);
        if (!folder && !team.length) {
          void vscode.window.showInformationMessage('ML Sight: open a folder with runs to compare them.');
          return;
        }
        const runs = folder
          ? (await stores.get(folder)).read(db =>
              listExperiments(db).flatMap(e => listRuns(db, e.id).map(r => ({ r, e }))),
            )
          : [];
        const picked = await vscode.window.showQuickPick(
          [
            ...runs.map(({ r, e }) => ({
              label: r.name ?? r.id.slice(0, 8),
              description: `${e.name} · ${r.status.toLowerCase()}`,
              detail: r.id,
              picked: nodes.some(n => n.run.id === r.id),
              id: r.id,
            })),
            ...team.map(t => ({
              label: t.name,
              description: `team · ${t.experiment} · ${t.status.toLowerCase()}`,
              detail: t.id,
              picked: teamIds.includes(t.id),
              id: t.id,
            })),
          ],
          {
            canPickMany: true,
            title: 'Compare Runs',
            placeHolder: 'Select two or more runs',
            matchOnDescription: true,
            matchOnDetail: true,
          },
        );
        if (!picked || picked.length === 0) {
          return;
        }
        await d.compare(
          folder,
          picked.map(p => p.id),
        );
        return picked.map(p => p.id);
      }
      const folder = nodes[0]?.folder;
      nodes = nodes.filter(n => n.folder.uri.toString() === folder?.uri.toString());
      const ids = [...nodes.map(n => n.run.id), ...teamIds];
      await d.compare(folder, ids);
      return ids;
    },
    'mlsight.setBaseline': withRun(async n => {
      await annotateRun(n, { action: 'experiment.baseline', experimentId: n.run.experimentId, runId: n.run.id });
      vscode.window.setStatusBarMessage(
        `ML Sight: ${n.run.name ?? n.run.id} is now the baseline of its experiment`,
        3000,
      );
    }),
    'mlsight.copyRunId': withRun(async n => {
      await vscode.env.clipboard.writeText(n.run.id);
      vscode.window.setStatusBarMessage(`ML Sight: copied run id ${n.run.id}`, 3000);
    }),
  };
}
