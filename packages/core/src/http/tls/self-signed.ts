import { randomBytes } from 'node:crypto';

import type { CertificateSource, ServingCredentials } from './types.js';

/**
 * A self-signed serving certificate for development: the apiserver does not verify kubelet serving
 * certificates unless started with --kubelet-certificate-authority, so this is enough to try things
 * out, and never meant for production.
 */
export async function createSelfSignedCredentials(
  commonName: string,
  hosts: readonly string[],
  validDays = 365,
): Promise<ServingCredentials> {
  // Loaded on first use: @peculiar/x509 costs ~10 MB of RSS that serving from files never needs.
  const { generateKeyPair, privateKeyPem, SIGNING_ALGORITHM, subjectAltNames, x509 } =
    await import('./keys.js');
  const keys = await generateKeyPair();
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + validDays * 86_400_000),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      subjectAltNames(hosts),
    ],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys) };
}

export class SelfSignedSource implements CertificateSource {
  constructor(
    private readonly commonName: string,
    private readonly hosts: readonly string[],
  ) {}

  async start(onChange: (credentials: ServingCredentials) => void): Promise<void> {
    onChange(await createSelfSignedCredentials(this.commonName, this.hosts));
  }

  stop(): void {}
}
