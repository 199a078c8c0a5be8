import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { expect } from 'vitest';

import { exec, REPO_ROOT, type ImageReport } from '../../src/index.js';

/**
 * The OCI labels every image carries: title, the package's version and licence, the commit built,
 * and the repository the package declares.
 */
export async function expectOciLabels(report: ImageReport, providerDir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, providerDir, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    repository?: string | { url?: string };
  };
  const repository = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  const revision = (await exec('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'])).trim();
  expect(report.labels).toMatchObject({
    'org.opencontainers.image.title': report.name,
    'org.opencontainers.image.version': manifest.version,
    'org.opencontainers.image.licenses': manifest.license,
    'org.opencontainers.image.revision': revision,
  });
  if (repository)
    expect(report.labels['org.opencontainers.image.source']).toBe(
      repository.replace(/^git\+/, '').replace(/\.git$/, ''),
    );
  expect(report.sizeBytes).toBeLessThanOrEqual(report.budgetBytes);
  expect(report.sizeBytes).toBe(report.baseBytes + report.appBytes);
}
