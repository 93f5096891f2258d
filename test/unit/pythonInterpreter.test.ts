import * as assert from 'assert';
import {
  candidates,
  findInterpreter,
  missingPackagesMessage,
  probeInterpreter,
  requiredModules,
} from '../../src/python/interpreter';

// Finding a Python that has a script's packages (Debian's /usr/bin/python3 has numpy, pandas and scikit-learn here).
describe('Python interpreter detection', () => {
  it('reads the known third-party packages a script imports', () => {
    const src =
      'import mlsight, numpy as np\nfrom sklearn.datasets import load_iris\nimport os\n  from pandas import DataFrame\n# import torch\nimport xgboost.sklearn\n';
    assert.deepStrictEqual(requiredModules(src), ['numpy', 'sklearn', 'pandas', 'xgboost']);
    assert.deepStrictEqual(requiredModules('print(1)\n'), []);
  });

  it('probes an interpreter: what it runs and which modules it lacks', async function () {
    this.timeout(30_000);
    const p = await probeInterpreter('/usr/bin/python3', 'the system', ['sklearn', 'no_such_module_mlsight']);
    assert.strictEqual(p.error, undefined);
    assert.match(p.version!, /^3\.\d+/);
    assert.deepStrictEqual(p.missing, ['no_such_module_mlsight']);
    const none = await probeInterpreter('/nonexistent/python3', 'nowhere', ['sklearn']);
    assert.strictEqual(none.error, 'not found');
  });

  it('picks the first candidate that has every module, skipping ones that cannot run', async function () {
    this.timeout(30_000);
    const c = await findInterpreter(
      ['numpy', 'sklearn'],
      [
        { command: '/nonexistent/python3', origin: "the Python extension's interpreter" },
        { command: '/usr/bin/python3', origin: 'the system' },
      ],
    );
    assert.ok(c.chosen, JSON.stringify(c.probes));
    assert.strictEqual(c.chosen.command, '/usr/bin/python3');
    assert.strictEqual(c.probes.length, 2);
    assert.strictEqual(
      candidates('/venv/bin/python', 'linux')[0].command,
      '/venv/bin/python',
      "the editor's choice first",
    );
    assert.ok(candidates(undefined, 'linux').some(x => x.command === '/usr/bin/python3'));
  });

  it('says what to install when no interpreter has the packages', async function () {
    this.timeout(30_000);
    const c = await findInterpreter(
      ['sklearn', 'no_such_module_mlsight'],
      [{ command: '/usr/bin/python3', origin: 'the system' }],
    );
    assert.strictEqual(c.chosen, undefined);
    const m = missingPackagesMessage(['sklearn', 'no_such_module_mlsight'], c.probes);
    assert.match(m.pip, /-m pip install no_such_module_mlsight$/);
    assert.match(m.message, /can import no_such_module_mlsight/);
    assert.match(m.message, /Tried: \/usr\/bin\/python3 \(the system\)/);
    const all = missingPackagesMessage(
      ['sklearn', 'pandas'],
      [
        {
          command: 'python3',
          origin: 'PATH',
          executable: '/usr/local/bin/python3',
          version: '3.12.1',
          missing: ['sklearn', 'pandas'],
        },
      ],
    );
    assert.strictEqual(all.pip, '/usr/local/bin/python3 -m pip install scikit-learn pandas');
    assert.strictEqual(all.apt, 'sudo apt-get install python3-sklearn python3-pandas');
  });
});
