import { randomBytes } from 'node:crypto';

import {
  generateKeyPair,
  privateKeyPem,
  SIGNING_ALGORITHM,
  subjectAltNames,
  x509,
  type KeyPair,
} from '../../../src/http/tls/keys.js';

export interface TestCa {
  cert: string;
  certificate: x509.X509Certificate;
  keys: KeyPair;
}

const serial = (): string => `01${randomBytes(8).toString('hex')}`;

export async function createCa(name = 'test-ca'): Promise<TestCa> {
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  return { cert: certificate.toString('pem'), certificate, keys };
}

/** Issues a certificate for `subject` (an RFC 4514 name) and `publicKey`, signed by the CA. */
export async function issue(
  ca: TestCa,
  subject: string,
  publicKey: x509.PublicKey | KeyPair['publicKey'],
  options: { usage: 'client' | 'server'; hosts?: string[]; lifetimeMs?: number },
): Promise<string> {
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.certificate.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.lifetimeMs ?? 86_400_000)),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        options.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
      ]),
      ...(options.hosts ? [subjectAltNames(options.hosts)] : []),
    ],
  });
  return cert.toString('pem');
}

/** A fresh key and a certificate for it, signed by the CA. */
export async function issueKeyPair(
  ca: TestCa,
  subject: string,
  usage: 'client' | 'server',
): Promise<{ cert: string; key: string }> {
  const keys = await generateKeyPair();
  const cert = await issue(ca, subject, keys.publicKey, {
    usage,
    hosts: usage === 'server' ? ['127.0.0.1'] : undefined,
  });
  return { cert, key: await privateKeyPem(keys) };
}
