import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import type { Logger } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import { watchFiles } from './file-watch.js';
import type { CertificateSource, ServingCredentials } from './types.js';

/** Reads a key pair and checks that the key belongs to the (first) certificate. */
/** Reads a PEM bundle of CA certificates, failing clearly if it holds none. */
export async function readCaBundle(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8');
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${file}: not a PEM certificate bundle`, { cause: err });
  }
  return pem;
}

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
 * A certificate and key from files, reloaded when either changes (see watchFiles). A pair that does
 * not load (half written, mismatched) is ignored, keeping the current one, until it does.
 */
export class FileCertificateSource implements CertificateSource {
  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly logger: Logger,
  ) {}

  async start(onChange: (credentials: ServingCredentials) => void): Promise<void> {
    onChange(await readKeyPair(this.certFile, this.keyFile));
    this.stopWatching = watchFiles([this.certFile, this.keyFile], () => this.reload(onChange), this.logger);
  }

  private reload(onChange: (credentials: ServingCredentials) => void): void {
    readKeyPair(this.certFile, this.keyFile).then(
      credentials => {
        this.logger.info('serving certificate reloaded', { certFile: this.certFile });
        onChange(credentials);
      },
      (err: unknown) =>
        this.logger.warn('serving certificate changed but does not load yet; keeping the current one', {
          err: errorMessage(err),
        }),
    );
  }

  stop(): void {
    this.stopWatching?.();
  }
}
