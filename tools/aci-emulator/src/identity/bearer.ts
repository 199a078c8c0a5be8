import { ArmError } from '../http/arm-error.js';
import type { JwtClaims, TokenSigner } from './jwt.js';

export interface BearerSettings {
  signer: TokenSigner;
  tenantId: string;
  authorityHost(): string;
  /** Audiences ARM accepts, without trailing slash. */
  audiences(): string[];
}

function challenge(authorizationUri: string, description: string): Record<string, string> {
  return {
    'WWW-Authenticate': `Bearer authorization_uri="${authorizationUri}", error="invalid_token", error_description="${description}"`,
  };
}

/** ARM's way of writing a UTC time in its token messages ("5/1/2023 4:57:05 PM"). */
function armTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  const hours = date.getUTCHours();
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ` +
    `${hours % 12 || 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`
  );
}

/**
 * Checks the bearer token of an ARM request the way ARM does, answering with ARM's 401 codes and
 * `WWW-Authenticate` challenges: a missing header, a token that is not a valid signed JWT, one that
 * has expired (or is not valid yet), one for another audience, one from another tenant.
 */
export function authenticate(header: string | undefined, settings: BearerSettings): JwtClaims {
  const authority = `${settings.authorityHost()}/`;
  if (!header) {
    throw new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      {
        headers: challenge(authority, "The authentication failed because of missing 'Authorization' header."),
      },
    );
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new ArmError(
      401,
      'InvalidAuthenticationToken',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      {
        headers: challenge(authority, "The authentication failed because of invalid 'Authorization' header."),
      },
    );
  }
  const claims = settings.signer.verify(match[1]!);
  if (!claims) {
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
      headers: challenge(authority, 'The access token is invalid.'),
    });
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = Number(claims['exp']);
  if (!Number.isFinite(exp) || exp <= now) {
    throw new ArmError(
      401,
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${armTime(exp)}' is earlier than current UTC time '${armTime(now)}'.`,
      { headers: challenge(authority, 'The access token has expired.') },
    );
  }
  if (Number(claims['nbf']) > now) {
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is not valid yet.', {
      headers: challenge(authority, 'The access token is invalid.'),
    });
  }
  const audience = (typeof claims['aud'] === 'string' ? claims['aud'] : '').replace(/\/+$/, '').toLowerCase();
  if (!settings.audiences().some(allowed => allowed.toLowerCase() === audience)) {
    const allowed = settings
      .audiences()
      .flatMap(value => [`${value}/`, value])
      .map(value => `'${value}'`)
      .join(',');
    throw new ArmError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${String(claims['aud'])}'. It should exactly match with one of the allowed audiences ${allowed}.`,
      { headers: challenge(authority, 'The access token has been obtained for wrong audience or resource.') },
    );
  }
  const expectedIssuer = `https://sts.windows.net/${settings.tenantId}/`;
  if (claims['tid'] !== settings.tenantId || claims['iss'] !== expectedIssuer) {
    throw new ArmError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${String(claims['iss'])}'. It must match the tenant '${expectedIssuer}' associated with this subscription. ` +
        `Please use the authority (URL) '${authority}${settings.tenantId}' to get the token.`,
      {
        headers: challenge(`${authority}${settings.tenantId}`, 'The access token is from the wrong issuer.'),
      },
    );
  }
  return claims;
}
