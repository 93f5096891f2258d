// Saved drift watches: .mlsight/drift-watches.json read, written atomically, and never overwritten when malformed.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DriftWatch, readWatchFile, removeWatch, saveWatch, WatchFileError, watchesFile } from '../../src/core/drift';
import { tempWorkspace } from './helpers';

describe('drift: watch file', () => {
  const root = tempWorkspace('mlsight-watches-');
  let n = 0;
  const folder = () => {
    const d = path.join(root, `ws${++n}`);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const watch = (dir: string, name: string, extra: Partial<DriftWatch> = {}): DriftWatch => ({
    name,
    reference: path.join(dir, 'data', 'train.csv'),
    current: path.join(dir, '.mlsight', 'predictions', 'm.jsonl'),
    target: 'label',
    prediction: 'prediction',
    time: null,
    ...extra,
  });

  it('a missing file is no watches', async () => {
    assert.deepStrictEqual(await readWatchFile(folder()), { watches: [], skipped: 0 });
  });

  it('saves, replaces by name and removes; paths inside the folder are stored relative', async () => {
    const dir = folder();
    const outside = path.join(root, 'elsewhere.csv');
    await saveWatch(dir, watch(dir, 'churn', { thresholds: { psi: 0.2, ks: 0.01 }, driftShare: 0.3 }));
    await saveWatch(dir, watch(dir, 'fraud', { reference: outside }));
    const raw = JSON.parse(fs.readFileSync(watchesFile(dir), 'utf8'));
    assert.strictEqual(raw.version, 1);
    assert.deepStrictEqual(raw.watches[0], {
      name: 'churn',
      reference: 'data/train.csv',
      current: '.mlsight/predictions/m.jsonl',
      target: 'label',
      prediction: 'prediction',
      time: null,
      driftShare: 0.3,
      thresholds: { ks: 0.01, psi: 0.2 },
    });
    assert.strictEqual(raw.watches[1].reference, outside);
    let read = await readWatchFile(dir);
    assert.deepStrictEqual(
      read.watches.map(w => w.name),
      ['churn', 'fraud'],
    );
    assert.deepStrictEqual(
      read.watches[0],
      watch(dir, 'churn', { thresholds: { ks: 0.01, psi: 0.2 }, driftShare: 0.3 }),
    );
    await saveWatch(dir, watch(dir, 'churn', { time: 'timestamp' }));
    read = await readWatchFile(dir);
    assert.deepStrictEqual(
      read.watches.map(w => [w.name, w.time, w.thresholds]),
      [
        ['churn', 'timestamp', undefined],
        ['fraud', null, undefined],
      ],
    );
    await removeWatch(dir, 'churn');
    assert.deepStrictEqual(
      (await readWatchFile(dir)).watches.map(w => w.name),
      ['fraud'],
    );
    assert.deepStrictEqual(
      fs.readdirSync(path.dirname(watchesFile(dir))).filter(f => f.includes('.tmp-')),
      [],
      'no temporary files left',
    );
  });

  it('skips invalid and duplicate entries, keeping the rest', async () => {
    const dir = folder();
    fs.mkdirSync(path.join(dir, '.mlsight'));
    fs.writeFileSync(
      watchesFile(dir),
      JSON.stringify({
        version: 1,
        watches: [
          { name: 'a', reference: 'r.csv', current: 'c.csv' },
          { name: 'a', reference: 'x', current: 'y' },
          { reference: 'r.csv' },
          42,
        ],
      }),
    );
    const read = await readWatchFile(dir);
    assert.deepStrictEqual(
      read.watches.map(w => [w.name, w.reference, w.target]),
      [['a', path.join(dir, 'r.csv'), null]],
    );
    assert.strictEqual(read.skipped, 3);
    assert.strictEqual(read.error, undefined);
  });

  for (const [what, text] of [
    ['not JSON', '{"watches": [ {"name": "a",'],
    ['no watches list', '{"version": 1}'],
    ['an array', '[]'],
  ] as const) {
    it(`a malformed file (${what}) gives one clear error and is never overwritten`, async () => {
      const dir = folder();
      fs.mkdirSync(path.join(dir, '.mlsight'));
      fs.writeFileSync(watchesFile(dir), text);
      const read = await readWatchFile(dir);
      assert.deepStrictEqual(read.watches, []);
      assert.match(read.error ?? '', /drift-watches\.json .*will not overwrite it/);
      await assert.rejects(saveWatch(dir, watch(dir, 'b')), WatchFileError);
      await assert.rejects(removeWatch(dir, 'a'), WatchFileError);
      assert.strictEqual(fs.readFileSync(watchesFile(dir), 'utf8'), text, 'the file is untouched');
    });
  }

  it('refuses a watch without a name or files', async () => {
    const dir = folder();
    await assert.rejects(saveWatch(dir, watch(dir, '  ')), /needs a name/);
    assert.strictEqual(fs.existsSync(watchesFile(dir)), false);
  });
});
