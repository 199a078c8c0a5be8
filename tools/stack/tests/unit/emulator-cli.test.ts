import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { repoRoot } from '../../src/paths.js';
import { firstJsonLine, startEmulatorCli } from '../../src/providers/emulator-cli.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(dir => rmSync(dir, { recursive: true, force: true })));

function context() {
  const dir = mkdtempSync(join(tmpdir(), 'vk-emulator-cli-'));
  dirs.push(dir);
  return { dir, ctx: { stateDir: dir, logsDir: dir, nodeName: 'n', progress: () => undefined } };
}

/** A stand-in emulator CLI: logs a line, prints its JSON line, serves until SIGTERM. */
function script(dir: string, body: string): string {
  const path = join(dir, 'cli.mjs');
  writeFileSync(path, body);
  return relative(repoRoot, path);
}

describe('startEmulatorCli', () => {
  it('finds the first JSON object line among log lines', () => {
    expect(firstJsonLine('starting\n{broken\n[1]\n{"endpoint":"http://x"}\n{"later":1}\n')).toEqual({
      endpoint: 'http://x',
    });
    expect(firstJsonLine('no json here\n')).toBeUndefined();
  });

  it('returns the JSON line the CLI prints and stops the process', async () => {
    const { dir, ctx } = context();
    const cli = script(
      dir,
      "console.error('warming up'); setTimeout(() => console.log(JSON.stringify({ endpoint: 'http://127.0.0.1:1', args: process.argv.slice(2) })), 200); setInterval(() => {}, 1000);",
    );
    const emulator = await startEmulatorCli<{ endpoint: string; args: string[] }>(ctx, 'fake', cli, [
      '--region',
      'r',
    ]);
    expect(emulator.connection).toEqual({ endpoint: 'http://127.0.0.1:1', args: ['--region', 'r'] });
    await emulator.stop();
    expect(emulator.process.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('fails with the log tail when the CLI exits before printing its line', async () => {
    const { dir, ctx } = context();
    const cli = script(dir, "console.error('bad flag --x'); process.exit(2);");
    await expect(startEmulatorCli(ctx, 'fake', cli)).rejects.toThrow(/fake exited \(code 2\):\nbad flag --x/);
  });
});
