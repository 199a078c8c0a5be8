/**
 * The emulator judged by HashiCorp's official Go client: `go test` in tools/nomad-emulator/contract
 * (github.com/hashicorp/nomad/api, MPL-2.0; never the Nomad server) against a running emulator,
 * over plain HTTP and over mutual TLS. tools/scripts/setup.d/nomad-contract.sh downloads the module
 * and builds the test into Go's caches beforehand, so this run normally needs neither network nor a
 * cold compile.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { startNomadEmulator } from '../../src/index.js';

const contractDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'contract');

/** PATH with the Go that tools/scripts/ensure-go.sh installs, wherever it put it. */
function pathWithGo(): string {
  const cache = process.env['VKUBELET_CACHE'] ?? join(homedir(), '.cache', 'vkubelet');
  const candidates = ['/usr/local/go/bin', join(homedir(), 'go', 'bin'), join(cache, 'go-1.26.8', 'bin')];
  return [process.env['PATH'] ?? '', ...candidates.filter(dir => existsSync(join(dir, 'go')))].join(
    delimiter,
  );
}

/** Runs `go test -v` with the emulator's NOMAD_* variables, echoing its lines as progress. */
function goTest(
  env: Record<string, string>,
  label: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    process.stderr.write(`[nomad contract ${label}] go test -count=1 -v . (in ${contractDir})\n`);
    const child = spawn('go', ['test', '-count=1', '-v', '.'], {
      cwd: contractDir,
      env: { ...process.env, PATH: pathWithGo(), GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const echo = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n').filter(Boolean))
        process.stderr.write(`[nomad contract ${label}] ${line}\n`);
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.on('error', err =>
      reject(new Error(`cannot run go (${err.message}): run tools/scripts/setup.sh, which installs Go`)),
    );
    child.on('close', code => {
      process.stderr.write(
        `[nomad contract ${label}] exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      resolve({ code, output });
    });
  });
}

describe('the official Nomad Go client (github.com/hashicorp/nomad/api) against the emulator', () => {
  for (const tls of [false, 'mutual'] as const) {
    const label = tls ? 'mtls' : 'http';
    it(
      `passes the contract test over ${tls ? 'mutual TLS' : 'plain HTTP'}`,
      { timeout: 600_000 },
      async () => {
        await using emulator = await startNomadEmulator({ tls });
        const env = emulator.env();
        if (tls)
          expect(Object.keys(env)).toEqual(
            expect.arrayContaining(['NOMAD_CACERT', 'NOMAD_CLIENT_CERT', 'NOMAD_CLIENT_KEY']),
          );
        const { code, output } = await goTest(env, label);
        expect(code, output).toBe(0);
        for (const test of [
          'TestServiceJobLifecycle',
          'TestBatchJobRestartsThenFails',
          'TestTokensAndRegions',
        ]) {
          expect(output).toContain(`--- PASS: ${test}`);
        }
        // The test cleans up after itself: nothing it created is left running.
        expect(emulator.listResources()).toEqual([]);
      },
    );
  }
});
