import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  RULE_IDS,
  analyzeNotebook,
  analyzePython,
  analyzePythonDetailed,
  applyEdits,
  parseNotebook,
} from '../../src/core/leakage';
import type { Finding, NotebookCellInput, RuleId } from '../../src/core/leakage';
import { compare, corpusDir, corpusFiles, runCorpusFile } from './leakage-corpus';

const rel = (f: string) => path.relative(corpusDir(), f);

describe('leakage rules: labelled corpus', function () {
  this.timeout(120_000);
  const files = corpusFiles();

  it('has a wrong and a right example for every rule', () => {
    const wrong = new Set<string>();
    const right = new Set<string>();
    for (const f of files) {
      const text = f.endsWith('.ipynb') ? '' : fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/#\s*expect:\s*([\w\-, ]+)/g)) {
        m[1].split(',').forEach(r => wrong.add(r.trim()));
      }
      if (/\/right-[^/]+$/.test(f)) {
        const header = /#\s*checks:\s*([\w\-, ]+)/.exec(text)?.[1] ?? '';
        header
          .split(',')
          .map(x => x.trim())
          .forEach(r => (r === 'all' ? RULE_IDS.forEach(x => right.add(x)) : right.add(r)));
      }
    }
    for (const r of RULE_IDS) {
      assert.ok(wrong.has(r), `no wrong example for ${r}`);
      assert.ok(right.has(r), `no right example for ${r}`);
    }
    assert.ok(files.length >= 60, `only ${files.length} corpus files`);
  });

  for (const file of files) {
    it(`${rel(file)}: exactly the expected findings`, async () => {
      const r = await runCorpusFile(file);
      const detail = r.findings
        .filter(f => r.extra.includes(`${f.rule}@${f.range.startLine + 1}`))
        .map(f => `  ${f.rule}@${f.range.startLine + 1}: ${f.message}`)
        .join('\n');
      assert.deepStrictEqual({ missing: r.missing, extra: r.extra }, { missing: [], extra: [] }, detail);
      if (/\/wrong-[^/]+$/.test(file)) {
        assert.ok(r.expected.length > 0, 'a wrong-* example must expect at least one finding');
      }
    });
  }

  it('precision ≥ 0.95 and recall ≥ 0.90 for every rule over the corpus', async () => {
    const stats = new Map<RuleId, { tp: number; fp: number; fn: number }>(
      RULE_IDS.map(r => [r, { tp: 0, fp: 0, fn: 0 }]),
    );
    for (const f of files) {
      const r = await runCorpusFile(f);
      for (const e of r.expected) {
        const s = stats.get(e.split('@')[0] as RuleId)!;
        if (r.got.includes(e)) {
          s.tp++;
        } else {
          s.fn++;
        }
      }
      for (const g of r.extra) {
        stats.get(g.split('@')[0] as RuleId)!.fp++;
      }
    }
    const rows: string[] = [];
    for (const [rule, s] of stats) {
      const p = s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1;
      const rc = s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1;
      rows.push(`${rule.padEnd(27)} P ${p.toFixed(2)}  R ${rc.toFixed(2)}  (tp ${s.tp}, fp ${s.fp}, fn ${s.fn})`);
      assert.ok(s.tp > 0, `${rule}: no true positive in the corpus`);
      assert.ok(p >= 0.95, `${rule}: precision ${p.toFixed(2)}`);
      assert.ok(rc >= 0.9, `${rule}: recall ${rc.toFixed(2)}`);
    }
    console.log(`      corpus of ${files.length} files:\n      ${rows.join('\n      ')}`);
  });

  it('messages are plain text and name the lines involved (the split line when there is a split)', async () => {
    for (const f of files) {
      const r = await runCorpusFile(f);
      for (const x of r.findings) {
        const label = `${rel(f)} ${x.rule}@${x.range.startLine + 1}: ${x.message}`;
        assert.doesNotMatch(x.message, /`|\*\*|\n/, label);
        assert.ok(x.message.length < 600, label);
        if (x.rule !== 'no-baseline' && !/judging by its variable or file name/.test(x.message)) {
          assert.match(x.message, /\b(line|cell \d+, line) \d+/, label);
        }
        const split = x.related?.find(rl => /split/.test(rl.message));
        if (split) {
          const where =
            x.cell === undefined ? `line ${split.range.startLine + 1}` : `line ${split.cellRange!.startLine + 1}`;
          assert.ok(x.message.includes(where), `${label}\n(split at ${where})`);
        }
      }
    }
  });

  it('the corpus check itself fails on a missing or an unexpected finding', async () => {
    const src =
      'from sklearn.model_selection import train_test_split\n' +
      'a, b = train_test_split(X)  # expect: missing-stratify\n' +
      'c, d = train_test_split(Y, random_state=1)\n';
    const r = compare('inline.py', src, await analyzePython(src));
    assert.deepStrictEqual(r.missing, ['missing-stratify@2']);
    const src2 =
      '# checks: missing-random-state\nfrom sklearn.model_selection import train_test_split\na, b = train_test_split(X)\n';
    const r2 = compare('inline.py', src2, await analyzePython(src2));
    assert.deepStrictEqual(r2.extra, ['missing-random-state@3']);
  });
});

/** Applies a fix to a .py text, or to the cells of a notebook, and returns what to analyse again. */
function applyFix(
  file: string,
  raw: string,
  finding: Finding,
  fixIndex: number,
): { py?: string; cells?: NotebookCellInput[] } {
  const fix = finding.fixes![fixIndex];
  if (!file.endsWith('.ipynb')) {
    return { py: applyEdits(raw, fix.edits) };
  }
  const cells = parseNotebook(raw).cells.map(c => ({ ...c }));
  for (const cell of cells) {
    const edits = fix.edits.filter(e => e.cell === cell.index);
    if (edits.length) {
      cell.source = applyEdits(cell.source, edits, true);
    }
  }
  assert.ok(
    fix.edits.every(e => e.cell !== undefined && e.cellRange),
    'notebook edits carry their cell',
  );
  return { cells };
}

const countBy = (fs: Finding[]) => {
  const m = new Map<string, number>();
  for (const f of fs) {
    m.set(f.rule, (m.get(f.rule) ?? 0) + 1);
  }
  return m;
};

describe('leakage quick fixes: applying each fix yields code the analyzer accepts', function () {
  this.timeout(120_000);
  for (const file of corpusFiles()) {
    it(`${rel(file)}`, async () => {
      const raw = fs.readFileSync(file, 'utf8');
      const before = file.endsWith('.ipynb') ? await analyzeNotebook(raw) : await analyzePython(raw);
      const beforeDetailed = file.endsWith('.ipynb') ? undefined : await analyzePythonDetailed(raw);
      const counts = countBy(before);
      let applied = 0;
      for (const f of before) {
        for (let i = 0; i < (f.fixes?.length ?? 0); i++) {
          const fixed = applyFix(file, raw, f, i);
          const after =
            fixed.py !== undefined
              ? await analyzePythonDetailed(fixed.py)
              : { findings: await analyzeNotebook(fixed.cells!), syntaxErrors: 0 };
          const label = `${f.rule}@${f.range.startLine + 1} "${f.fixes![i].title}"`;
          assert.ok(
            after.syntaxErrors <= (beforeDetailed?.syntaxErrors ?? 0),
            `${label}: the fix introduced a syntax error\n${fixed.py ?? ''}`,
          );
          const afterCounts = countBy(after.findings);
          assert.ok(
            (afterCounts.get(f.rule) ?? 0) < (counts.get(f.rule) ?? 0),
            `${label}: still reported after the fix\n${fixed.py ?? JSON.stringify(fixed.cells?.map(c => c.source))}`,
          );
          for (const [rule, n] of afterCounts) {
            assert.ok(
              n <= (counts.get(rule) ?? 0),
              `${label}: the fix introduced a new ${rule} finding\n${fixed.py ?? ''}`,
            );
          }
          applied++;
        }
      }
      if (/wrong-/.test(file) && before.some(f => f.fixes?.length)) {
        assert.ok(applied > 0);
      }
    });
  }
});

describe('leakage quick fixes: exact edits', () => {
  const fixOf = async (src: string, rule: RuleId, title?: RegExp) => {
    const f = (await analyzePython(src)).find(x => x.rule === rule);
    assert.ok(f, `${rule} not reported`);
    const fix = title ? f.fixes?.find(x => title.test(x.title)) : f.fixes?.[0];
    assert.ok(
      fix,
      `${rule}: no fix${title ? ` matching ${title}` : ''} among ${JSON.stringify(f.fixes?.map(x => x.title))}`,
    );
    return applyEdits(src, fix.edits);
  };
  const head =
    'import pandas as pd\nfrom sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import StandardScaler\n' +
    'from sklearn.linear_model import LogisticRegression\ndf = pd.read_csv("d.csv")\nX, y = df.drop(columns="t"), df["t"]\n';

  it('adds stratify=y and random_state=42 to the split call', async () => {
    const src = `${head}X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)\nLogisticRegression().fit(X_train, y_train)\n`;
    assert.match(await fixOf(src, 'missing-stratify'), /train_test_split\(X, y, test_size=0\.2, stratify=y\)/);
    assert.match(await fixOf(src, 'missing-random-state'), /train_test_split\(X, y, test_size=0\.2, random_state=42\)/);
    const multi = `${head}X_train, X_test, y_train, y_test = train_test_split(\n    X,\n    y,\n    random_state=None,\n)\nLogisticRegression().fit(X_train, y_train)\n`;
    assert.match(await fixOf(multi, 'missing-stratify'), /random_state=None, stratify=y,\n\)/);
    assert.match(await fixOf(multi, 'missing-random-state'), /random_state=42,\n\)/);
  });

  it('moves a full-data fit_transform after the split', async () => {
    const src = `${head}scaler = StandardScaler()\nX = scaler.fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)\nm = LogisticRegression().fit(X_train, y_train)\n`;
    const out = await fixOf(src, 'preprocessing-before-split', /after the split/);
    assert.ok(
      out.includes(
        'scaler = StandardScaler()\nX_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)\n' +
          'X_train = scaler.fit_transform(X_train)\nX_test = scaler.transform(X_test)\nm = ',
      ),
      out,
    );
    assert.ok(!out.includes('X = scaler.fit_transform(X)'));
    const inline = `${head}Xs = StandardScaler().fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(Xs, y, random_state=0, stratify=y)\nLogisticRegression().fit(X_train, y_train)\n`;
    const out2 = await fixOf(inline, 'preprocessing-before-split', /after the split/);
    assert.ok(
      out2.includes(
        'train_test_split(X, y, random_state=0, stratify=y)\nstandard_scaler = StandardScaler()\n' +
          'X_train = standard_scaler.fit_transform(X_train)\nX_test = standard_scaler.transform(X_test)\n',
      ),
      out2,
    );
  });

  it('wraps the transformer in a Pipeline for cross-validation', async () => {
    const src =
      'from sklearn.model_selection import cross_val_score\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.svm import SVC\n' +
      'X, y = load()\nscaler = StandardScaler()\nX = scaler.fit_transform(X)\nprint(cross_val_score(SVC(), X, y, cv=5))\n';
    const out = await fixOf(src, 'preprocessing-before-split', /Pipeline/);
    assert.strictEqual(
      out,
      'from sklearn.model_selection import cross_val_score\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.svm import SVC\n' +
        'from sklearn.pipeline import make_pipeline\nX, y = load()\nscaler = StandardScaler()\nprint(cross_val_score(make_pipeline(scaler, SVC()), X, y, cv=5))\n',
    );
  });

  it('wraps the transformer in a Pipeline inside a GridSearchCV fitted on the transformed data', async () => {
    const src =
      'from sklearn.model_selection import GridSearchCV\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.svm import SVC\n' +
      "X, y = load()\nXs = StandardScaler().fit_transform(X)\ngrid = GridSearchCV(SVC(), {'C': [1, 10], \"gamma\": ['scale']}, cv=5)\ngrid.fit(Xs, y)\n";
    const out = await fixOf(src, 'preprocessing-before-split', /Pipeline/);
    assert.strictEqual(
      out,
      'from sklearn.model_selection import GridSearchCV\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.svm import SVC\n' +
        'from sklearn.pipeline import make_pipeline\nX, y = load()\nXs = StandardScaler().fit_transform(X)\n' +
        "grid = GridSearchCV(make_pipeline(StandardScaler(), SVC()), {'svc__C': [1, 10], \"svc__gamma\": ['scale']}, cv=5)\ngrid.fit(X, y)\n",
    );
    assert.deepStrictEqual(
      (await analyzePython(out)).filter(f => f.rule === 'preprocessing-before-split'),
      [],
    );
    // A parameter grid the fix cannot rename (a variable) gets no Pipeline fix rather than a broken one.
    const opaque = src.replace(
      "GridSearchCV(SVC(), {'C': [1, 10], \"gamma\": ['scale']}, cv=5)",
      'GridSearchCV(SVC(), params, cv=5)',
    );
    const f = (await analyzePython(opaque)).find(x => x.rule === 'preprocessing-before-split')!;
    assert.ok(f && !(f.fixes ?? []).some(x => /Pipeline/.test(x.title)));
  });

  it('resamples after the split, or inside an imblearn Pipeline for cross-validation', async () => {
    const split =
      `${head}from imblearn.over_sampling import SMOTE\nX_res, y_res = SMOTE(random_state=0).fit_resample(X, y)\n` +
      'X_train, X_test, y_train, y_test = train_test_split(X_res, y_res, random_state=0, stratify=y_res)\nLogisticRegression().fit(X_train, y_train)\n';
    const out = await fixOf(split, 'oversampling-before-split');
    assert.ok(
      out.includes(
        'train_test_split(X, y, random_state=0, stratify=y)\nX_train, y_train = SMOTE(random_state=0).fit_resample(X_train, y_train)\n',
      ),
      out,
    );
    const cv =
      'from imblearn.over_sampling import SMOTE\nfrom sklearn.model_selection import cross_val_score\nfrom sklearn.tree import DecisionTreeClassifier\n' +
      'X, y = load()\nsm = SMOTE()\nXr, yr = sm.fit_resample(X, y)\nscores = cross_val_score(DecisionTreeClassifier(), Xr, yr, cv=5)\n';
    const out2 = await fixOf(cv, 'oversampling-before-split');
    assert.ok(out2.includes('from imblearn.pipeline import make_pipeline as make_imb_pipeline\n'), out2);
    assert.ok(out2.includes('cross_val_score(make_imb_pipeline(sm, DecisionTreeClassifier()), X, y, cv=5)'), out2);
  });

  it('uses transform() on the test part, and trains on the training names', async () => {
    const src =
      `${head}X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)\nsc = StandardScaler()\n` +
      'X_train = sc.fit_transform(X_train)\nX_test = sc.fit_transform(X_test)\nm = LogisticRegression()\nm.fit(X_test, y_test)\n';
    const findings = (await analyzePython(src)).filter(f => f.rule === 'test-data-in-fit');
    assert.deepStrictEqual(
      findings.map(f => f.range.startLine + 1),
      [10, 12],
    );
    assert.match(applyEdits(src, findings[0].fixes![0].edits), /X_test = sc\.transform\(X_test\)/);
    assert.match(applyEdits(src, findings[1].fixes![0].edits), /m\.fit\(X_train, y_train\)/);
  });

  it('adds a seed after the imports and a dummy baseline after the first fit', async () => {
    const src =
      'import numpy as np\nimport torch\nfrom sklearn.linear_model import LogisticRegression\nfrom sklearn.model_selection import train_test_split\n' +
      'X = np.random.rand(100, 3)\ny = (X[:, 0] > 0.5).astype(int)\nX_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)\n' +
      'clf = LogisticRegression()\nclf.fit(X_train, y_train)\nprint(clf.score(X_test, y_test))\n';
    const seeded = await fixOf(src, 'missing-seed');
    assert.ok(
      seeded.startsWith(
        'import numpy as np\nimport torch\nfrom sklearn.linear_model import LogisticRegression\nfrom sklearn.model_selection import train_test_split\n' +
          'np.random.seed(42)\ntorch.manual_seed(42)\nX = ',
      ),
      seeded,
    );
    const base = await fixOf(src, 'no-baseline');
    assert.ok(
      base.includes(
        'from sklearn.model_selection import train_test_split\nfrom sklearn.dummy import DummyClassifier\n',
      ),
      base,
    );
    assert.ok(
      base.includes(
        'clf.fit(X_train, y_train)\nbaseline = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)\n' +
          'print("baseline score:", baseline.score(X_test, y_test))\n',
      ),
      base,
    );
  });

  it('replaces accuracy by balanced accuracy', async () => {
    const src =
      'from sklearn.metrics import accuracy_score\nfrom sklearn.linear_model import LogisticRegression\n' +
      'm = LogisticRegression(class_weight="balanced").fit(X_train, y_train)\nprint(accuracy_score(y_test, m.predict(X_test)))\n';
    const out = await fixOf(src, 'accuracy-on-imbalanced');
    assert.ok(
      out.includes(
        'from sklearn.linear_model import LogisticRegression\nfrom sklearn.metrics import balanced_accuracy_score\n',
      ),
      out,
    );
    assert.ok(out.includes('print(balanced_accuracy_score(y_test, m.predict(X_test)))'), out);
    const scoring = "cv = cross_val_score(RandomForestClassifier(class_weight='balanced'), X, y, scoring='accuracy')\n";
    assert.strictEqual(
      await fixOf(scoring, 'accuracy-on-imbalanced'),
      "cv = cross_val_score(RandomForestClassifier(class_weight='balanced'), X, y, scoring='balanced_accuracy')\n",
    );
  });

  it('notebook fixes carry cell-local edits that stay inside their cell', async () => {
    const file = path.join(corpusDir(), 'notebooks', 'leaky.ipynb');
    const findings = await analyzeNotebook(fs.readFileSync(file, 'utf8'));
    const pre = findings.find(f => f.rule === 'preprocessing-before-split')!;
    assert.ok(pre.fixes?.length);
    const cells = new Set(pre.fixes[0].edits.map(e => e.cell));
    assert.deepStrictEqual([...cells].sort(), [4, 5], 'deletes in the scaling cell, inserts in the split cell');
    for (const e of pre.fixes[0].edits) {
      assert.ok(e.cellRange!.startLine >= 0 && e.cellRange!.endLine >= e.cellRange!.startLine);
    }
  });
});

describe('leakage quick fixes: keyword insertion around comments', () => {
  it('inserts after the last argument, not inside a trailing comment', async () => {
    const src =
      'from sklearn.model_selection import train_test_split\nfrom sklearn.svm import SVC\n' +
      'X_train, X_test, y_train, y_test = train_test_split(X, y,  # the data, stratify?\n    test_size=0.2  # a fifth\n)\nSVC().fit(X_train, y_train)\n';
    const f = (await analyzePython(src)).find(x => x.rule === 'missing-stratify')!;
    const out = applyEdits(src, f.fixes![0].edits);
    assert.ok(out.includes('test_size=0.2, stratify=y  # a fifth\n)'), out);
    const g = (await analyzePython(src)).find(x => x.rule === 'missing-random-state')!;
    assert.ok(applyEdits(src, g.fixes![0].edits).includes('test_size=0.2, random_state=42  # a fifth\n)'));
    const empty = 'from sklearn.model_selection import ShuffleSplit\ncv = ShuffleSplit()\n';
    const h = (await analyzePython(empty)).find(x => x.rule === 'missing-random-state')!;
    assert.strictEqual(
      applyEdits(empty, h.fixes![0].edits),
      'from sklearn.model_selection import ShuffleSplit\ncv = ShuffleSplit(random_state=42)\n',
    );
  });
});

describe('leakage quick fixes in notebooks with magics', () => {
  it('cell-local edits next to a blanked magic line never cut into the magic', async () => {
    const cells: NotebookCellInput[] = [
      {
        index: 0,
        source:
          'from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.svm import SVC',
      },
      { index: 1, source: '%%time\nX = StandardScaler().fit_transform(X)' },
      {
        index: 2,
        source:
          '%matplotlib inline\nX_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)\nSVC().fit(X_train, y_train)',
      },
    ];
    const f = (await analyzeNotebook(cells)).find(x => x.rule === 'preprocessing-before-split')!;
    assert.ok(f.fixes?.length, 'a fix is offered');
    const fixed = cells.map(c => ({
      ...c,
      source: applyEdits(
        c.source,
        f.fixes![0].edits.filter(e => e.cell === c.index),
        true,
      ),
    }));
    assert.strictEqual(fixed[1].source, '%%time');
    assert.ok(
      fixed[2].source.startsWith(
        '%matplotlib inline\nX_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)\nstandard_scaler = StandardScaler()\n',
      ),
      fixed[2].source,
    );
    assert.ok(!(await analyzeNotebook(fixed)).some(x => x.rule === 'preprocessing-before-split'));
  });
});
