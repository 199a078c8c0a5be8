import { createPrivateKey, X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

import type { Logger } from '@vkubelet/provider-kit';

import type { CertificateSource, ServingCredentials } from './types.js';

/** Reads a key pair and checks that the key belongs to the (first) certificate. */
export async function readKeyPair(certFile: string, keyFile: string): Promise<ServingCredentials> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${certFile}: not a PEM certificate`, { cause: err });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${keyFile}: not a PEM private key`, { cause: err });
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(`${keyFile} does not match the certificate in ${certFile}`);
  }
  return { cert, key };
}

/**
 * A certificate and key from files, reloaded when either changes. The directories are watched, not
 * the files, because cert-manager, kubelet-style rotation and `kubectl cp` replace files by rename,
 * which a watch on the old inode would miss. Changes are debounced (a pair is usually written as
 * two files) and a pair that does not load (half written, mismatched) is ignored until it does.
 */
export class FileCertificateSource implements CertificateSource {
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly logger: Logger,
    private readonly debounceMs = 200,
  ) {}

  async start(onChange: (credentials: ServingCredentials) => void): Promise<void> {
    onChange(await readKeyPair(this.certFile, this.keyFile));
    const names = new Set([basename(this.certFile), basename(this.keyFile)]);
    for (const dir of new Set([dirname(this.certFile), dirname(this.keyFile)])) {
      const watcher = watch(dir, { persistent: false }, (_event, file) => {
        if (file === null || names.has(file.toString())) this.scheduleReload(onChange);
      });
      watcher.on('error', err =>
        this.logger.warn('watching serving certificate failed', { dir, err: err.message }),
      );
      this.watchers.push(watcher);
    }
  }

  private scheduleReload(onChange: (credentials: ServingCredentials) => void): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      readKeyPair(this.certFile, this.keyFile).then(
        credentials => {
          this.logger.info('serving certificate reloaded', { certFile: this.certFile });
          onChange(credentials);
        },
        (err: unknown) =>
          this.logger.warn('serving certificate changed but does not load yet; keeping the current one', {
            err: err instanceof Error ? err.message : String(err),
          }),
      );
    }, this.debounceMs);
  }

  stop(): void {
    clearTimeout(this.debounce);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }
}
