// Mocha reporter: the usual spec output, plus a JSON file of counts ($MLSIGHT_MOCHA_RESULTS) for the summary.
const fs = require('fs');
const Mocha = require('mocha');

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
    runner.on('pass', () => {
      counts.passed++;
    });
    runner.on('fail', (test, err) => {
      counts.failed++;
      counts.failures.push({ title: test.fullTitle(), error: String(err && err.message) });
    });
    runner.on('pending', () => {
      counts.skipped++;
    });
    runner.once('end', () => {
      if (process.env.MLSIGHT_MOCHA_RESULTS) {
        fs.writeFileSync(process.env.MLSIGHT_MOCHA_RESULTS, JSON.stringify(counts, null, 2));
      }
    });
  }
}
module.exports = CountingReporter;
