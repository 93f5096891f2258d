import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { parse as csvParse } from 'csv-parse/sync';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  ColumnBuilder,
  CsvTokenizer,
  DatasetError,
  loadTable,
  parseDecimal,
  parseIsoDate,
  readColumnNames,
  uniqueNames,
} from '../../src/core/drift';
import { fieldText } from '../../src/core/drift/csv';
import { columnNumbers, MISSING_CODE } from '../../src/core/drift/columns';
import type { Column } from '../../src/core/drift';
import { prepareNumeric } from '../../src/core/stats';
import { prepareNumericFast, sortFloat64 } from '../../src/core/drift/sorting';
import { minstd } from './stats-helpers';
import { tempWorkspace } from './helpers';
import oraclesJson from './fixtures/drift-oracles.json';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'drift');
const oracles = oraclesJson as unknown as {
  cases: {
    name: string;
    reference: string;
    columns: { name: string; dtype_ref: string; dtype_cur: string; missing_ref: number; missing_cur: number }[];
  }[];
};

/** Tokenizes bytes fed in the given chunk sizes; returns the records' texts and lines. */
function tokenize(bytes: Uint8Array, chunk: number, delimiter = 44): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  const t = new CsvTokenizer(delimiter, {
    record: r =>
      out.push({
        line: r.line,
        fields: Array.from({ length: r.count }, (_, i) => fieldText(r.buf, r.starts[i], r.ends[i], r.flags[i])),
      }),
  });
  for (let i = 0; i < bytes.length; i += chunk) {
    t.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  }
  t.end();
  return out;
}

function write(dir: string, name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

function col(t: { columns: Column[] }, name: string): Column {
  const c = t.columns.find(x => x.name === name);
  assert.ok(c, `no column ${name}: ${t.columns.map(x => x.name).join(', ')}`);
  return c;
}

describe('drift: CSV tokenizer', () => {
  const hostile = [
    'a,b,c\r\n1,"two, with comma",3\r\n',
    '\ufeffname,note\n"x","he said ""hi"""\n"y","line one\nline two"\n',
    'a,b\n1,\n,2\n"",""\n',
    'a;b\n1;2\n',
    'é,ü\n"São Paulo","東京"\n',
    'a,b\n1,2\n\n3,4\n', // blank line skipped
    'a,b\r1,2\r3,4', // old Mac line ends, no final newline
    'x\n"a""b"\n"""q"""\n', // escaped quotes at both ends
  ];
  for (const [i, text] of hostile.entries()) {
    it(`matches csv-parse record for record, in any chunking (case ${i + 1})`, () => {
      const bytes = Buffer.from(text, 'utf8');
      const delimiter = text.includes(';') ? ';' : ',';
      // csv-parse's types want `columns` for a typed call; without it the records are string[]
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      const expected = csvParse(bytes, {
        bom: true,
        delimiter,
        relax_column_count: true,
        skip_empty_lines: true,
      }) as string[][];
      for (const chunk of [1, 2, 3, 7, 1 << 20]) {
        const got = tokenize(bytes, chunk, delimiter.charCodeAt(0)).map(r => r.fields);
        assert.deepStrictEqual(got, expected, `chunk size ${chunk}`);
      }
    });
  }

  it('reports physical line numbers, counting line breaks inside quotes', () => {
    const recs = tokenize(Buffer.from('h\n"a\nb"\nc\n'), 3);
    assert.deepStrictEqual(
      recs.map(r => r.line),
      [1, 2, 4],
    );
  });

  it('rejects a character after a closing quote, an unclosed quote and UTF-16, with the line', () => {
    assert.throws(
      () => tokenize(Buffer.from('a,b\n"x"y,2\n'), 5),
      /line 2: unexpected character "y" after the closing quote/,
    );
    assert.throws(
      () => tokenize(Buffer.from('a,b\n1,2\n3,"open\n4,5\n'), 4),
      /a quoted field that starts on line 3 is never closed/,
    );
    assert.throws(() => tokenize(Buffer.from([0xff, 0xfe, 0x61, 0]), 4), /UTF-16/);
  });

  it('parses plain numbers while tokenizing, exactly (the same double as Number())', () => {
    const vals = ['0', '-0', '12', '-3.25', '0.000123', '123456789012345', '1.', '.5', '007', '99.999999999999'];
    const recs: number[] = [];
    const t = new CsvTokenizer(44, {
      record: r => {
        for (let i = 0; i < r.count; i++) {
          recs.push(r.kinds[i] ? r.numbers[i] : NaN);
        }
      },
    });
    t.push(Buffer.from(vals.join(',') + '\n'));
    t.end();
    vals.forEach((v, i) => assert.ok(Object.is(recs[i], Number(v)), `${v}: ${recs[i]}`));
    const other: number[] = [];
    const t2 = new CsvTokenizer(44, {
      record: r => {
        for (let i = 0; i < r.count; i++) {
          other.push(r.kinds[i]);
        }
      },
    });
    t2.push(Buffer.from('1e5,+1, 2,1234567890123456,"3",-\n'));
    t2.end();
    assert.deepStrictEqual(
      other,
      [0, 0, 0, 0, 0, 0],
      'exponents, signs, spaces, 16 digits, quotes, a lone minus: left to parseDecimal',
    );
  });
});

describe('drift: number and date parsing', () => {
  it("parseDecimal returns Number()'s correctly rounded double for 20,000 random literals", () => {
    const u = minstd(987, 60000);
    for (let i = 0; i < 20000; i++) {
      const digits = 1 + Math.floor(u[3 * i] * 19);
      let m = '';
      for (let d = 0; d < digits; d++) {
        m += String(Math.floor(u[(3 * i + d * 7) % u.length] * 10));
      }
      const dot = Math.floor(u[3 * i + 1] * (digits + 1));
      const exp = u[3 * i + 2] < 0.3 ? `e${Math.floor(u[3 * i + 2] * 600) - 90}` : '';
      const text = `${u[3 * i + 1] < 0.5 ? '-' : ''}${m.slice(0, dot)}${dot < digits ? '.' + m.slice(dot) : ''}${exp}`;
      if (!/\d/.test(text.replace(/e.*/, ''))) {
        continue;
      }
      const b = Buffer.from(text);
      assert.ok(Object.is(parseDecimal(b, 0, b.length), Number(text)), text);
    }
  });

  it('rejects what is not a decimal literal', () => {
    for (const t of ['', '-', '.', 'e5', '1e', '1.2.3', '0x10', '1,5', 'NaN', 'inf', '1 2']) {
      const b = Buffer.from(t);
      assert.ok(Number.isNaN(parseDecimal(b, 0, b.length)), t);
    }
  });

  it('parses ISO dates and date-times as UTC, with offsets, and rejects impossible dates', () => {
    assert.strictEqual(parseIsoDate('2024-02-01'), Date.UTC(2024, 1, 1));
    assert.strictEqual(parseIsoDate('2024-02-01T10:30:00'), Date.UTC(2024, 1, 1, 10, 30));
    assert.strictEqual(parseIsoDate('2024-02-01 10:30:00.250Z'), Date.UTC(2024, 1, 1, 10, 30, 0, 250));
    assert.strictEqual(parseIsoDate('2024-02-01T10:30:00+02:00'), Date.UTC(2024, 1, 1, 8, 30));
    assert.ok(Number.isNaN(parseIsoDate('2023-02-30')));
    assert.ok(Number.isNaN(parseIsoDate('yesterday')));
  });

  it('prepareNumericFast equals prepareNumeric (bucket sort vs TypedArray sort) on adversarial data', () => {
    const u = minstd(4242, 50000);
    const sets: number[][] = [
      u.map(x => x * 100),
      u.map(x => Math.exp(40 * x - 20) * (x < 0.5 ? -1 : 1)), // many orders of magnitude, both signs
      u.map((x, i) => (i === 7 ? 1e300 : x)), // one far outlier
      u.map(x => Math.floor(x * 5)), // few distinct values
      u.map((x, i) =>
        i % 97 === 0 ? NaN : i % 89 === 0 ? Infinity : i % 83 === 0 ? -Infinity : i % 5 === 0 ? -0 : x - 0.5,
      ),
      u.map(() => 3.5), // constant
    ];
    for (const s of sets) {
      const a = prepareNumeric(s);
      const b = prepareNumericFast(s);
      assert.strictEqual(b.n, a.n);
      assert.deepStrictEqual(b.dropped, a.dropped);
      for (let i = 0; i < a.n; i++) {
        assert.ok(a.sorted[i] === b.sorted[i], `index ${i}: ${a.sorted[i]} vs ${b.sorted[i]}`);
      }
    }
    const small = Float64Array.from([3, 1, 2]);
    assert.deepStrictEqual([...sortFloat64(small)], [1, 2, 3]);
  });
});

describe('drift: loading tables', () => {
  it('types the fixture columns as pandas does (int64, float64, bool, object) and counts missing values', async () => {
    for (const c of oracles.cases.filter(x => ['classification', 'small', 'regression'].includes(x.name))) {
      const t = await loadTable(path.join(FIX, c.reference));
      for (const o of c.columns) {
        const got = col(t, o.name);
        const want = { int64: 'integer', float64: 'float', bool: 'boolean', object: 'string' }[o.dtype_ref];
        assert.strictEqual(got.dtype, want, `${c.reference} ${o.name}`);
        assert.strictEqual(got.missing, o.missing_ref, `${c.reference} ${o.name} missing`);
      }
    }
    const t = await loadTable(path.join(FIX, 'reference.csv'));
    assert.strictEqual(t.rows, 1500);
    assert.strictEqual(col(t, 'timestamp').dtype, 'datetime');
    const balance = oracles.cases[0].columns.find(c => c.name === 'balance') as unknown as { inf_ref: number };
    assert.strictEqual(col(t, 'balance').posInf, balance.inf_ref);
    assert.ok(balance.inf_ref > 0);
    assert.ok(col(t, '<img src=x onerror=alert(1)>').numbers, 'a hostile column name is just a name');
    const city = col(t, 'city');
    assert.deepStrictEqual([...city.dictionary!].sort(), [
      'Berlin',
      'Lagos',
      'New York, NY',
      'Quote "q"',
      'São Paulo',
      'Tokyo',
    ]);
  });

  it('gives a ragged row, an unclosed quote, an empty file and a missing file clear errors with the line', async () => {
    const dir = tempWorkspace();
    await assert.rejects(
      loadTable(write(dir, 'ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n')),
      (e: DatasetError) =>
        e instanceof DatasetError &&
        e.line === 3 &&
        /ragged\.csv, line 3: expected 3 fields \(as in the header\), found 2/.test(e.message),
    );
    await assert.rejects(loadTable(write(dir, 'long.csv', 'a,b\n1,2\n1,2,3\n')), /line 3: expected 2 fields .*found 3/);
    await assert.rejects(
      loadTable(write(dir, 'open.csv', 'a,b\n1,"2\n3,4\n')),
      (e: DatasetError) => e.line === 2 && /never closed/.test(e.message),
    );
    await assert.rejects(loadTable(write(dir, 'empty.csv', '')), /empty \(no header line\)/);
    await assert.rejects(loadTable(path.join(dir, 'nope.csv')), /does not exist/);
    await assert.rejects(loadTable(write(dir, 'bad.csv.gz', Buffer.from('not gzip at all'))), /not gzip-compressed/);
    const gz = zlib.gzipSync(fs.readFileSync(path.join(FIX, 'current.csv')));
    await assert.rejects(
      loadTable(write(dir, 'torn.csv.gz', gz.subarray(0, gz.length >> 1))),
      /torn\.csv\.gz: the gzip data is corrupt or truncated/,
    );
  });

  it('reads a BOM, CRLF, quoted newlines and gzip the same as plain CSV', async () => {
    const dir = tempWorkspace();
    const plain = 'id,note,v\n1,"multi\nline",1.5\n2,"say ""hi""",2.5\n3,,3.5\n';
    const a = await loadTable(write(dir, 'plain.csv', plain));
    const b = await loadTable(write(dir, 'bom.csv', '\ufeff' + plain.replace(/\n(?!line)/g, '\r\n')));
    const c = await loadTable(write(dir, 'z.csv.gz', zlib.gzipSync(plain)));
    for (const t of [a, b, c]) {
      assert.deepStrictEqual(
        t.columns.map(x => x.name),
        ['id', 'note', 'v'],
      );
      assert.strictEqual(t.rows, 3);
      assert.deepStrictEqual([...col(t, 'v').numbers!], [1.5, 2.5, 3.5]);
      assert.deepStrictEqual(col(t, 'note').dictionary, ['multi\nline', 'say "hi"']);
      assert.strictEqual(col(t, 'note').missing, 1);
    }
  });

  it('sniffs semicolons and tabs, and names duplicate and empty headers as pandas does', async () => {
    const dir = tempWorkspace();
    const t = await loadTable(write(dir, 'semi.csv', 'a;a;;b\n1;2;3;4\n'));
    assert.deepStrictEqual(
      t.columns.map(c => c.name),
      ['a', 'a.1', 'Unnamed: 2', 'b'],
    );
    const tsv = await loadTable(write(dir, 'x.tsv', 'p\tq\n1\t2\n'));
    assert.deepStrictEqual(
      tsv.columns.map(c => c.name),
      ['p', 'q'],
    );
    assert.deepStrictEqual(uniqueNames(['x', 'x', 'x.1', '']), ['x', 'x.1', 'x.1.1', 'Unnamed: 3']);
  });

  it('junk in a numeric column: few distinct values → text (as pandas), many → numbers with the junk counted as invalid', async () => {
    const dir = tempWorkspace();
    const rows = ['few,many'];
    const u = minstd(77, 3000);
    for (let i = 0; i < 3000; i++) {
      rows.push(`${i === 10 ? '?' : i % 3},${i === 2500 ? 'oops' : i === 2600 ? 'N/A' : (u[i] * 1000).toFixed(4)}`);
    }
    const t = await loadTable(write(dir, 'junk.csv', rows.join('\n') + '\n'));
    assert.strictEqual(col(t, 'few').dtype, 'string');
    const many = col(t, 'many');
    assert.strictEqual(many.dtype, 'float');
    assert.strictEqual(many.invalid, 1);
    assert.strictEqual(many.missing, 1);
    assert.deepStrictEqual(many.invalidExamples, [{ line: 2502, value: 'oops' }]);
    assert.ok(Number.isNaN(many.numbers![2500]));
    assert.strictEqual(many.numbers![2499], Number((u[2499] * 1000).toFixed(4)));
    // a numeric view of the text column parses what it can
    const nums = columnNumbers(col(t, 'few'));
    assert.strictEqual(nums.invalid, 1);
    assert.strictEqual(nums.values[11], 2);
  });

  it('classifies text as pandas: NA strings, inf, booleans, integers vs floats', () => {
    const b = new ColumnBuilder('c');
    for (const v of ['1', '2', 'NA', '', 'null', '-inf', 'Infinity', '3']) {
      b.pushText(v);
    }
    const c = b.finish();
    assert.strictEqual(c.dtype, 'float');
    assert.strictEqual(c.missing, 3);
    assert.strictEqual(c.negInf, 1);
    assert.strictEqual(c.posInf, 1);
    const ints = new ColumnBuilder('i');
    for (const v of ['1', '-2', '+3']) {
      ints.pushText(v);
    }
    assert.strictEqual(ints.finish().dtype, 'integer');
    const bools = new ColumnBuilder('b');
    for (const v of ['True', 'false', 'TRUE']) {
      bools.pushText(v);
    }
    const bc = bools.finish();
    assert.strictEqual(bc.dtype, 'boolean');
    assert.deepStrictEqual(bc.dictionary, ['True', 'false', 'TRUE']);
    const empty = new ColumnBuilder('e');
    empty.pushText('');
    empty.pushText('NaN');
    assert.strictEqual(empty.finish().dtype, 'empty');
  });

  it('stops at maxRows without reading the rest of a large file, and says so', async () => {
    const dir = tempWorkspace();
    const file = path.join(dir, 'big.csv');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'a,b\n');
    const block = Array.from({ length: 10000 }, (_, i) => `${i},${i * 0.5}`).join('\n') + '\n';
    for (let k = 0; k < 60; k++) {
      fs.writeSync(fd, block);
    } // 600,000 rows, ~8 MB
    fs.closeSync(fd);
    const t0 = Date.now();
    const t = await loadTable(file, { maxRows: 1000 });
    assert.strictEqual(t.rows, 1000);
    assert.strictEqual(t.truncated, true);
    assert.ok(Date.now() - t0 < 3000, 'read only the beginning');
    const all = await loadTable(file, { columns: ['b'] });
    assert.strictEqual(all.rows, 600000);
    assert.strictEqual(all.truncated, false);
    assert.deepStrictEqual(
      all.columns.map(c => c.name),
      ['b'],
    );
  });

  it('reads JSON Lines: keys that appear later, nulls, nested values, "__proto__", and rejects a bad line with its number', async () => {
    const dir = tempWorkspace();
    const lines = [
      '{"a": 1, "b": "x"}',
      '',
      '{"a": 2.5, "b": null, "c": true, "__proto__": 5}',
      '{"a": null, "b": "y", "d": {"nested": [1]}, "t": "2024-03-01T00:00:00Z"}',
    ];
    const t = await loadTable(write(dir, 'x.jsonl', lines.join('\n')));
    assert.deepStrictEqual(
      t.columns.map(c => c.name),
      ['a', 'b', 'c', '__proto__', 'd', 't'],
    );
    assert.strictEqual(t.rows, 3);
    assert.strictEqual(col(t, 'a').dtype, 'float');
    assert.strictEqual(col(t, 'a').missing, 1);
    assert.strictEqual(col(t, 'c').dtype, 'boolean');
    assert.strictEqual(col(t, 'c').missing, 2);
    assert.strictEqual(col(t, '__proto__').dtype, 'float');
    assert.deepStrictEqual(col(t, 'd').dictionary, ['{"nested":[1]}']);
    assert.strictEqual(col(t, 't').dtype, 'datetime');
    await assert.rejects(
      loadTable(write(dir, 'bad.jsonl', '{"a":1}\n{"a": 2\n')),
      (e: DatasetError) => e.line === 2 && /bad\.jsonl, line 2: not valid JSON/.test(e.message),
    );
    await assert.rejects(
      loadTable(write(dir, 'arr.jsonl', '[1,2]\n')),
      /arr\.jsonl: item 1 of the array is not an object/,
    );
    await assert.rejects(
      loadTable(write(dir, 'num.jsonl', '{"a":1}\n7\n')),
      /num\.jsonl, line 2: expected a JSON object, found 7/,
    );
    // a JSON array of records (pandas' to_json(orient="records")), also gzip-compressed
    const records = JSON.stringify([{ a: 1, s: 'x' }, { a: 2.5, s: null }, { b: true }]);
    for (const [name, content] of [
      ['r.json', records],
      ['r.json.gz', zlib.gzipSync(records)],
    ] as const) {
      const r = await loadTable(write(dir, name, content));
      assert.deepStrictEqual(
        r.columns.map(c => [c.name, c.dtype, c.missing]),
        [
          ['a', 'float', 1],
          ['s', 'string', 2],
          ['b', 'boolean', 2],
        ],
      );
      assert.strictEqual(r.rows, 3);
    }
  });

  it('reads Parquet (hyparquet) with the dtypes pandas would give, and rejects a file that is not Parquet', async () => {
    const dir = tempWorkspace();
    const n = 500;
    const u = minstd(99, n);
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'f', data: Float64Array.from(u, x => x * 10), type: 'DOUBLE' },
        { name: 'i', data: Int32Array.from(u, x => Math.floor(x * 100)), type: 'INT32' },
        { name: 'big', data: BigInt64Array.from(u, x => BigInt(Math.floor(x * 1e6))), type: 'INT64' },
        {
          name: 'ni',
          data: Array.from(u, (x, k) => (k % 10 === 0 ? null : Math.floor(x * 7))),
          type: 'INT32',
          nullable: true,
        },
        { name: 's', data: Array.from(u, x => (x < 0.5 ? 'lo' : 'hi')), type: 'STRING' },
        { name: 'b', data: Array.from(u, x => x < 0.3), type: 'BOOLEAN' },
        { name: '<img src=x onerror=alert(1)>', data: Float64Array.from(u), type: 'DOUBLE' },
      ],
      rowGroupSize: 128,
    });
    const file = write(dir, 'data.parquet', Buffer.from(buf));
    const t = await loadTable(file);
    assert.strictEqual(t.format, 'parquet');
    assert.strictEqual(t.rows, n);
    assert.deepStrictEqual(
      t.columns.map(c => [c.name, c.dtype]),
      [
        ['f', 'float'],
        ['i', 'integer'],
        ['big', 'integer'],
        ['ni', 'float'],
        ['s', 'string'],
        ['b', 'boolean'],
        ['<img src=x onerror=alert(1)>', 'float'],
      ],
    );
    assert.strictEqual(col(t, 'f').numbers![3], u[3] * 10);
    assert.strictEqual(col(t, 'big').numbers![7], Math.floor(u[7] * 1e6));
    assert.strictEqual(col(t, 'ni').missing, 50);
    const s = col(t, 's');
    assert.strictEqual(s.dictionary![s.codes![0]], u[0] < 0.5 ? 'lo' : 'hi');
    assert.deepStrictEqual(
      (await readColumnNames(file)).columns,
      t.columns.map(c => c.name),
    );
    const truncated = await loadTable(file, { maxRows: 200 });
    assert.strictEqual(truncated.rows, 200);
    assert.strictEqual(truncated.truncated, true);
    assert.strictEqual(col(truncated, 'i').numbers![199], Math.floor(u[199] * 100));

    await assert.rejects(
      loadTable(write(dir, 'fake.parquet', 'a,b\n1,2\n')),
      /fake\.parquet is not a Parquet file \(it does not start with the bytes "PAR1"\)/,
    );
    await assert.rejects(
      loadTable(
        write(dir, 'torn.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64), Buffer.from('PAR1')])),
      ),
      /torn\.parquet is not a readable Parquet file/,
    );
  });

  it('codes missing values in text columns as MISSING_CODE', async () => {
    const dir = tempWorkspace();
    const t = await loadTable(write(dir, 'm.csv', 'c\nx\nNA\ny\n\n""\n'));
    const c = col(t, 'c');
    assert.strictEqual(c.codes![1], MISSING_CODE);
    assert.strictEqual(c.dtype, 'string');
  });
});
