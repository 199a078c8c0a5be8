// Where collector/build.sh puts the collector: <cache>/otelcol/<version>-<digest of the sources>.
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cacheRoot } from '@vkubelet/testenv';

const moduleDir = resolve(fileURLToPath(import.meta.url), '../../collector');
export const buildScript = join(moduleDir, 'build.sh');

export class MissingCollectorError extends Error {
  override readonly name = 'MissingCollectorError';
}

/** The binary build.sh makes from the sources as they are now (their digest names its directory). */
export function collectorBinary(env: NodeJS.ProcessEnv = process.env): string {
  const sources = ['go.mod', 'go.sum', 'main.go'].map(file => readFileSync(join(moduleDir, file)));
  const goMod = sources[0]!.toString();
  const version = /^\s*go\.opentelemetry\.io\/collector\/otelcol\s+(v\S+)/m.exec(goMod)?.[1];
  if (!version)
    throw new Error(`no go.opentelemetry.io/collector/otelcol requirement in ${moduleDir}/go.mod`);
  const digest = createHash('sha256').update(Buffer.concat(sources)).digest('hex').slice(0, 12);
  const path = join(cacheRoot(env), 'otelcol', `${version}-${digest}`, 'otelcol-vkubelet');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new MissingCollectorError(
      `the OpenTelemetry Collector is not built (no ${path}): run bash tools/scripts/setup.sh, or bash ${buildScript}`,
    );
  }
  return path;
}
