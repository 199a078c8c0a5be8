// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';

import { webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A WebCrypto key pair, which @peculiar/x509 signs with. */
export type KeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256 with SHA-256: small, fast to generate, accepted by the kubelet-serving signer. */
export const SIGNING_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateKeyPair(): Promise<KeyPair> {
  return await webcrypto.subtle.generateKey(SIGNING_ALGORITHM, true, ['sign', 'verify']);
}

export async function privateKeyPem(keys: KeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** SAN entries for host names and addresses (IPs as iPAddress, names as dNSName). */
export function subjectAltNames(hosts: readonly string[]): x509.SubjectAlternativeNameExtension {
  const names = [...new Set(hosts)].map((host): x509.JsonGeneralName => ({
    type: IPV4.test(host) || host.includes(':') ? 'ip' : 'dns',
    value: host,
  }));
  return new x509.SubjectAlternativeNameExtension(names);
}

export { x509 };
