#!/usr/bin/env node
// `vkubelet-images`: builds provider images (tools/images/build.sh runs it after compiling it).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';

import { Buildah } from './buildah.js';
import { buildProviderImage, describeReport, ImageBudgetError, MB, stageProvider } from './image.js';
import { ensureNodeBase } from './node-base.js';
import { REPO_ROOT } from './paths.js';

const USAGE = `usage:
  vkubelet-images build <provider dir>... [--base <image>] [--budget-mb <n>] [--out <dir>]
      builds providers/<name>/Containerfile; --base takes a public base instead of the local Node base
  vkubelet-images base
      makes (or finds) the local Node base image and prints its reference
  vkubelet-images stage <provider dir> <context dir>
      writes the build context (app/) only, for another builder:
      docker build -f providers/<name>/Containerfile --build-arg BASE=node:24-bookworm-slim <context dir>`;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      'budget-mb': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const budgetMb = values['budget-mb'] === undefined ? undefined : Number(values['budget-mb']);
  if (budgetMb !== undefined && !(budgetMb > 0))
    throw new UsageError(`--budget-mb must be a positive number`);
  switch (command) {
    case 'build': {
      if (rest.length === 0) throw new UsageError('build needs at least one provider directory');
      for (const providerDir of rest) {
        const report = await buildProviderImage({
          providerDir,
          base: values.base,
          budgetBytes: budgetMb === undefined ? undefined : budgetMb * MB,
          outDir: values.out,
          log,
        });
        process.stdout.write(`${describeReport(report)}\n`);
      }
      return 0;
    }
    case 'base': {
      const base = await ensureNodeBase(await Buildah.create(), { log });
      process.stdout.write(`${base.ref}\n`);
      return 0;
    }
    case 'stage': {
      const [providerDir, contextDir] = rest;
      if (!providerDir || !contextDir)
        throw new UsageError('stage needs a provider directory and a context directory');
      await stageProvider(resolve(REPO_ROOT, providerDir), resolve(contextDir));
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  }
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`vkubelet-images: ${errorMessage(error)}\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (error instanceof ImageBudgetError) {
    process.stderr.write(`vkubelet-images: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `vkubelet-images: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
