#!/usr/bin/env node
/**
 * `vkubelet-conformance-table [--reports <dir>] [--readme <file>]`: regenerates the conformance
 * table between the markers of the README from every `<provider>.json` report.
 */
import { parseArgs } from 'node:util';

import { updateReadmeTable } from './render-table.js';

const { values } = parseArgs({
  options: {
    reports: { type: 'string', default: 'conformance-reports' },
    readme: { type: 'string', default: 'README.md' },
  },
});

try {
  await updateReadmeTable(values.readme, values.reports);
  process.stdout.write(`updated the conformance table in ${values.readme} from ${values.reports}\n`);
} catch (err) {
  process.stderr.write(`vkubelet-conformance-table: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
