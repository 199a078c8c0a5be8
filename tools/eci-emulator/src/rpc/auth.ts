import { apiErrors } from './errors.js';
import { signatureV1, signaturesMatch, stringToSign } from './signature.js';

/** An AccessKey pair the emulator accepts; temporary (STS) keys also carry their token. */
export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for an STS key: requests must send exactly this SecurityToken. */
  securityToken?: string;
  /** When an STS key stops being accepted. */
  expiresAt?: Date;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

/** The parameters every signed request carries, besides Signature itself. */
const SIGNATURE_PARAMETERS = [
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
];

/**
 * Verifies signature v1 the way the gateway does: a known AccessKeyId, the STS token of a temporary
 * key, a well-formed Timestamp within the allowed skew, HMAC-SHA1 over the canonical query, and a
 * SignatureNonce never seen before within that skew window.
 */
export class Authenticator {
  /** `AccessKeyId/nonce` → when it may be forgotten (a replay after that fails the skew check). */
  private readonly nonces = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly keys: ReadonlyMap<string, AccessKey>,
    private readonly skewMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  verify(method: string, params: ReadonlyMap<string, string>): AccessKey {
    if (!params.get('Signature')) throw apiErrors.incompleteSignature();
    for (const name of SIGNATURE_PARAMETERS) {
      if (!params.get(name)) throw apiErrors.missingParameter(name);
    }
    if (params.get('SignatureMethod') !== 'HMAC-SHA1') throw apiErrors.invalidParameter('SignatureMethod');
    if (params.get('SignatureVersion') !== '1.0') throw apiErrors.invalidParameter('SignatureVersion');

    const key = this.keys.get(params.get('AccessKeyId')!);
    if (!key) throw apiErrors.accessKeyNotFound();
    this.checkSecurityToken(key, params.get('SecurityToken'));
    this.checkTimestamp(params.get('Timestamp')!);

    const text = stringToSign(method, params);
    if (!signaturesMatch(signatureV1(text, key.accessKeySecret), params.get('Signature')!)) {
      throw apiErrors.signatureMismatch(text);
    }
    this.useNonce(`${key.accessKeyId}/${params.get('SignatureNonce')!}`);
    return key;
  }

  private checkSecurityToken(key: AccessKey, token: string | undefined): void {
    if (key.securityToken === undefined) {
      // A token sent with a permanent key belongs to some other key.
      if (token) throw apiErrors.securityTokenMismatch();
      return;
    }
    if (!token) throw apiErrors.securityTokenMalformed();
    if (token !== key.securityToken) throw apiErrors.securityTokenMismatch();
    if (key.expiresAt && key.expiresAt.getTime() <= this.now()) throw apiErrors.securityTokenExpired();
  }

  private checkTimestamp(timestamp: string): void {
    const match = TIMESTAMP.exec(timestamp);
    const time = match ? Date.parse(timestamp) : NaN;
    if (!Number.isFinite(time)) throw apiErrors.timestampFormat();
    if (Math.abs(this.now() - time) > this.skewMs) throw apiErrors.timestampExpired();
  }

  private useNonce(key: string): void {
    const now = this.now();
    this.prune(now);
    if ((this.nonces.get(key) ?? 0) > now) throw apiErrors.nonceUsed();
    this.nonces.set(key, now + 2 * this.skewMs);
  }

  private prune(now: number): void {
    if (now - this.lastPrune < this.skewMs) return;
    this.lastPrune = now;
    for (const [key, expires] of this.nonces) if (expires <= now) this.nonces.delete(key);
  }
}
