import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CommandError, exec, REPO_ROOT } from '../../src/index.js';

/** The build command as Nx and people run it: bash tools/images/build.sh. */
const BUILD = join(REPO_ROOT, 'tools/images/build.sh');

let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'vk-images-build-'));
});

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

async function failure(args: string[]): Promise<CommandError> {
  const error = await exec('bash', [BUILD, ...args]).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof CommandError)) throw new Error(`build.sh ${args.join(' ')} did not fail`);
  return error;
}

describe('tools/images/build.sh', () => {
  it('fails an image over its budget, names the sizes, and writes nothing', async () => {
    const error = await failure(['providers/cri', '--budget-mb', '100', '--out', out]);
    expect(error.exitCode).toBe(1);
    expect(error.stderr).toMatch(
      /vkubelet-cri is \d+\.\d MB uncompressed \(base \d+\.\d MB, app \d+\.\d MB\), over its budget of 100\.0 MB/,
    );
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses bad usage with exit code 2', async () => {
    const noDir = await failure([]);
    expect(noDir.exitCode).toBe(2);
    expect(noDir.stderr).toContain('build needs at least one provider directory');
    const badBudget = await failure(['providers/cri', '--budget-mb', 'lots']);
    expect(badBudget.exitCode).toBe(2);
    const noContainerfile = await failure(['providers/aci-does-not-exist', '--out', out]);
    expect(noContainerfile.exitCode).toBe(1);
    expect(noContainerfile.stderr).toContain('Containerfile does not exist');
    expect(existsSync(join(out, 'vkubelet-aci-does-not-exist.oci.tar'))).toBe(false);
  });
});
