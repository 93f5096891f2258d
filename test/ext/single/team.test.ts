import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MlSightApi } from '../../../src/extension';
import { Replay, recorded, startReplay } from '../../unit/helpers/restReplay';
import { waitFor } from '../util';

type Node = {
  kind: string;
  team?: { t: string; text?: string; experiment?: { name: string }; run?: { name: string | null } };
};

// Team mode in the real extension host: mlsight.tracking.uri pointing at a local server that replays what MLflow
// 2.17's tracking server answered adds a "Team" root to the Runs view with the team's experiments and runs.
describe('Team mode in the extension host', function () {
  this.timeout(60_000);
  let api: MlSightApi;
  let srv: Replay;
  const cfg = () => vscode.workspace.getConfiguration('mlsight.tracking');
  const roots = async () => (await api.runsTree.getChildren()) as Node[];

  before(async () => {
    api = await vscode.extensions.getExtension<MlSightApi>('mlsight.ml-sight')!.activate();
    const fixtures = path.join(process.env.MLSIGHT_REPO_ROOT!, 'test', 'fixtures', 'mlflow-2.17');
    srv = await startReplay(fixtures);
    // the view asks for one experiment's page; answer with that experiment's recorded runs
    const page = [
      ...(recorded(fixtures).get('runs-search-page1')!.response.runs as { info: { experiment_id: string } }[]),
      ...(recorded(fixtures).get('runs-search-page2')!.response.runs as { info: { experiment_id: string } }[]),
    ];
    srv.routes.push({
      method: 'POST',
      endpoint: '/api/2.0/mlflow/runs/search',
      match: b => Array.isArray(b.experiment_ids) && b.experiment_ids.length === 1,
      response: (b: Record<string, unknown>) => ({
        runs: page.filter(r => r.info.experiment_id === (b.experiment_ids as string[])[0]),
      }),
    });
  });

  after(async () => {
    await cfg().update('uri', undefined, vscode.ConfigurationTarget.Global);
    await srv?.close();
  });

  it("shows the team's experiments and runs under their own root", async () => {
    assert.ok(!(await roots()).some(n => n.kind === 'team'), 'no Team root without a tracking URI');
    await cfg().update('uri', srv.url, vscode.ConfigurationTarget.Global);
    const team = await waitFor('the Team root', async () => (await roots()).find(n => n.kind === 'team'));
    const item = api.runsTree.getTreeItem(team as never);
    assert.strictEqual(item.label, 'Team');
    assert.strictEqual(item.description, srv.url);
    const exps = (await api.runsTree.getChildren(team as never)) as Node[];
    assert.deepStrictEqual(
      exps.map(e => e.team?.experiment?.name),
      ['Default', 'churn-xgb', 'iris'],
    );
    const runs = (await api.runsTree.getChildren(exps[1] as never)) as Node[];
    assert.deepStrictEqual(
      runs.map(r => r.team?.run?.name),
      ['xgb-depth8', 'xgb-depth4'],
    );
    const runItem = api.runsTree.getTreeItem(runs[0] as never);
    assert.strictEqual(runItem.command?.command, 'mlsight.openTeamRun');
    assert.match(String(runItem.description), /failed/);
  });

  it('refuses a password in the setting and says where it belongs', async () => {
    await cfg().update('uri', srv.url.replace('http://', 'http://ana:pw@'), vscode.ConfigurationTarget.Global);
    const team = await waitFor('the Team root', async () =>
      (await roots()).find(
        n => n.kind === 'team' && String(api.runsTree.getTreeItem(n as never).description).includes(':***@'),
      ),
    );
    const kids = (await api.runsTree.getChildren(team as never)) as Node[];
    assert.strictEqual(kids.length, 1);
    assert.match(kids[0].team?.text ?? '', /password in plain text.*Set Team Tracking Password/);
  });
});
