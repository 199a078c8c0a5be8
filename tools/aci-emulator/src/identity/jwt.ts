import { createPublicKey, generateKeyPair, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateRsaKeyPair = promisify(generateKeyPair);

export type JwtClaims = Record<string, unknown>;

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Decodes a JWT without checking anything; `undefined` when it is not three base64url JSON parts. */
export function decodeJwt(token: string): { header: JwtClaims; payload: JwtClaims } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload };
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is JwtClaims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An RS256 signing key, as Entra ID signs its tokens, with the JWKS document verifiers fetch. Only
 * the emulator verifies its own tokens, so one key with a fixed id is enough.
 */
export class TokenSigner {
  private constructor(
    readonly kid: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {}

  static async create(kid: string): Promise<TokenSigner> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    return new TokenSigner(kid, privateKey, publicKey);
  }

  sign(payload: JwtClaims): string {
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: this.kid, x5t: this.kid }));
    const body = base64url(JSON.stringify(payload));
    const signature = sign('sha256', Buffer.from(`${header}.${body}`), this.privateKey);
    return `${header}.${body}.${base64url(signature)}`;
  }

  /** The claims of a token this key signed; `undefined` for a malformed token or a bad signature. */
  verify(token: string): JwtClaims | undefined {
    const decoded = decodeJwt(token);
    if (!decoded || decoded.header['alg'] !== 'RS256' || decoded.header['kid'] !== this.kid) return undefined;
    const [header, body, signature] = token.split('.') as [string, string, string];
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${body}`),
      this.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    return valid ? decoded.payload : undefined;
  }

  jwks(): { keys: JwtClaims[] } {
    const jwk = createPublicKey(this.publicKey).export({ format: 'jwk' });
    return { keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n: jwk.n, e: jwk.e }] };
  }
}
