// Test PKI for one control plane, generated in-process with WebCrypto (no openssl). ECDSA P-256 keys:
// generating them takes microseconds where RSA-2048 takes tens of milliseconds, and every Go
// component and Node's TLS stack accept them.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill
// loaded before it.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const keyAlgorithm: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const signingAlgorithm: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const validityMs = 7 * 24 * 3600 * 1000;
// Clock skew between the test process and the components is zero, but a cert "not yet valid" by a few
// milliseconds is a classic flake, so every cert starts an hour in the past.
const backdateMs = 3600 * 1000;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateAuthority extends PemPair {
  /** Issues a client certificate (extended key usage clientAuth) for `commonName` in `groups`. */
  issueClientCert(commonName: string, groups?: readonly string[]): Promise<PemPair>;
  /** Issues a serving certificate (serverAuth) for the given DNS names and IP addresses. */
  issueServingCert(
    commonName: string,
    hosts: { dns?: readonly string[]; ips?: readonly string[] },
  ): Promise<PemPair>;
}

async function newKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** Builds a distinguished name from structured parts, so commas or '=' in a user name cannot inject RDNs. */
function distinguishedName(commonName: string, organizations: readonly string[] = []): x509.Name {
  return new x509.Name([{ CN: [commonName] }, ...organizations.map(o => ({ O: [o] }))]);
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - backdateMs), notAfter: new Date(now + validityMs) };
}

/** Creates a fresh self-signed CA that can issue client and serving certificates. */
export async function createCertificateAuthority(
  commonName = 'vkubelet-testenv-ca',
): Promise<CertificateAuthority> {
  const caKeys = await newKeyPair();
  const caName = distinguishedName(commonName);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: caName,
    keys: caKeys,
    signingAlgorithm,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey);

  async function issue(subject: x509.Name, extensions: x509.Extension[]): Promise<PemPair> {
    const keys = await newKeyPair();
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm,
      ...validity(),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        authorityKeyId,
        ...extensions,
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
  }

  return {
    certPem: caCert.toString('pem'),
    keyPem: await privateKeyPem(caKeys.privateKey),
    issueClientCert: (cn, groups = []) =>
      issue(distinguishedName(cn, groups), [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ]),
    issueServingCert: (cn, hosts) =>
      issue(distinguishedName(cn), [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...(hosts.dns ?? []).map(value => ({ type: 'dns' as const, value })),
          ...(hosts.ips ?? []).map(value => ({ type: 'ip' as const, value })),
        ]),
      ]),
  };
}

/**
 * The key pair that signs (apiserver, KCM) and verifies (apiserver) service-account tokens. The public
 * half is written separately: client-go's key reader takes PKCS#8 private keys for signing but only
 * "PUBLIC KEY" or the legacy RSA/EC private-key PEM types for verification.
 */
export async function createServiceAccountKey(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const keys = await newKeyPair();
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    privateKeyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
  };
}
