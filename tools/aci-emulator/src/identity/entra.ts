import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readBody, sendJson } from '../http/io.js';
import { entraErrors, EntraError } from './entra-error.js';
import type { JwtClaims, TokenSigner } from './jwt.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The audience Entra ID expects in federated (workload identity) assertions. */
export const FEDERATED_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';

/** An app registration: its secret and the subjects of its federated credentials. */
export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  /** Service principal object id, the `oid` of its tokens. */
  objectId: string;
  federatedSubjects: string[];
}

export interface EntraIdSettings {
  tenantId: string;
  apps: AppRegistration[];
  signer: TokenSigner;
  /** Issuer of the federated tokens the emulator mints (see `issueFederatedToken`). */
  federationIssuer(): string;
  authorityHost(): string;
  /** Resources tokens may be issued for, without trailing slash. */
  resources(): string[];
  tokenLifetimeSeconds: number;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * Entra ID (login.microsoftonline.com) as far as an app authenticating itself needs it: OpenID
 * metadata, instance discovery, keys, and the token endpoint's client-credentials grant with a
 * client secret or a federated client assertion (workload identity). Tokens are v1 access tokens
 * signed RS256, the kind ARM receives.
 */
export class EntraId {
  constructor(private readonly settings: EntraIdSettings) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.settings.authorityHost());
    const segments = url.pathname.split('/').filter(Boolean);
    const correlationId = (req.headers['client-request-id'] as string | undefined) ?? randomUUID();
    try {
      const route = segments.slice(1).join('/');
      const tenant = segments[0] ?? '';
      if (req.method === 'GET' && tenant === 'common' && route === 'discovery/instance') {
        return sendJson(res, 200, this.instanceDiscovery());
      }
      if (req.method === 'GET' && route === 'discovery/v2.0/keys') {
        return sendJson(res, 200, this.settings.signer.jwks());
      }
      if (
        req.method === 'GET' &&
        (route === 'v2.0/.well-known/openid-configuration' || route === '.well-known/openid-configuration')
      ) {
        this.requireTenant(tenant);
        return sendJson(res, 200, this.openIdConfiguration(route.startsWith('v2.0')));
      }
      if (req.method === 'POST' && (route === 'oauth2/v2.0/token' || route === 'oauth2/token')) {
        this.requireTenant(tenant);
        const form = new URLSearchParams(await readBody(req));
        return sendJson(res, 200, this.token(form, req.headers.authorization, route === 'oauth2/token'), {
          'client-request-id': correlationId,
        });
      }
      return sendJson(res, 404, {
        error: 'not_found',
        error_description: `no Entra ID endpoint at ${url.pathname}`,
      });
    } catch (err) {
      if (err instanceof EntraError) {
        return sendJson(res, err.status, err.body(this.settings.authorityHost(), correlationId));
      }
      throw err;
    }
  }

  /** An ARM access token for `appId` (default: the first app), with any claim overridden (tests). */
  issueAccessToken(overrides: JwtClaims = {}, app: AppRegistration = this.settings.apps[0]!): string {
    const now = Math.floor(Date.now() / 1000);
    const issuer = `https://sts.windows.net/${this.settings.tenantId}/`;
    return this.settings.signer.sign({
      aud: 'https://management.azure.com',
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + this.settings.tokenLifetimeSeconds,
      aio: randomUUID(),
      appid: app.clientId,
      appidacr: '1',
      idp: issuer,
      idtyp: 'app',
      oid: app.objectId,
      rh: randomUUID(),
      sub: app.objectId,
      tid: this.settings.tenantId,
      uti: randomUUID().replaceAll('-', ''),
      ver: '1.0',
      ...overrides,
    });
  }

  /** A federated token (as a cluster's service-account token would be) for a workload identity. */
  issueFederatedToken(subject: string, overrides: JwtClaims = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return this.settings.signer.sign({
      iss: this.settings.federationIssuer(),
      sub: subject,
      aud: [FEDERATED_TOKEN_AUDIENCE],
      iat: now,
      nbf: now,
      exp: now + 3600,
      ...overrides,
    });
  }

  private requireTenant(tenant: string): void {
    if (tenant.toLowerCase() !== this.settings.tenantId.toLowerCase())
      throw entraErrors.tenantNotFound(tenant);
  }

  private instanceDiscovery(): JwtClaims {
    const host = new URL(this.settings.authorityHost()).host;
    return {
      tenant_discovery_endpoint: `${this.settings.authorityHost()}/common/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }

  private openIdConfiguration(v2: boolean): JwtClaims {
    const base = `${this.settings.authorityHost()}/${this.settings.tenantId}`;
    const version = v2 ? '/v2.0' : '';
    return {
      token_endpoint: `${base}/oauth2${version}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.settings.authorityHost()}/${this.settings.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}${version}`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2${version}/authorize`,
      device_authorization_endpoint: `${base}/oauth2${version}/devicecode`,
      end_session_endpoint: `${base}/oauth2${version}/logout`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    };
  }

  private token(form: URLSearchParams, authorization: string | undefined, v1: boolean): JwtClaims {
    const grant = form.get('grant_type');
    if (!grant) throw entraErrors.missingParameter('grant_type');
    if (grant !== 'client_credentials') throw entraErrors.unsupportedGrant(grant);
    const basic = parseBasic(authorization);
    const clientId = form.get('client_id') ?? basic?.id;
    if (!clientId) throw entraErrors.missingParameter('client_id');
    const app = this.settings.apps.find(
      candidate => candidate.clientId.toLowerCase() === clientId.toLowerCase(),
    );
    if (!app) throw entraErrors.unknownClient(clientId, this.settings.tenantId);
    const secret = form.get('client_secret') ?? basic?.secret;
    const assertion = form.get('client_assertion');
    let appidacr = '1';
    if (assertion !== null) {
      this.checkAssertion(app, assertion, form.get('client_assertion_type'));
      appidacr = '2';
    } else if (secret !== null && secret !== undefined) {
      if (secret !== app.clientSecret) throw entraErrors.invalidSecret(app.clientId);
    } else {
      throw entraErrors.noCredential();
    }
    const resource = v1 ? this.v1Resource(form) : this.resourceOfScope(form.get('scope'));
    const expiresIn = this.settings.tokenLifetimeSeconds;
    return {
      token_type: 'Bearer',
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      ...(v1 ? { expires_on: String(Math.floor(Date.now() / 1000) + expiresIn), resource } : {}),
      access_token: this.issueAccessToken({ aud: resource, appidacr }, app),
    };
  }

  private resourceOfScope(scope: string | null): string {
    if (!scope) throw entraErrors.missingParameter('scope');
    const scopes = scope.split(' ').filter(part => part && !OIDC_SCOPES.has(part));
    const only = scopes.length === 1 ? scopes[0]! : undefined;
    if (!only?.endsWith('/.default')) throw entraErrors.invalidScope(scope);
    return this.knownResource(only.slice(0, -'/.default'.length));
  }

  private v1Resource(form: URLSearchParams): string {
    const resource = form.get('resource');
    if (!resource) throw entraErrors.missingParameter('resource');
    return this.knownResource(resource);
  }

  private knownResource(resource: string): string {
    const normalized = resource.replace(/\/+$/, '').toLowerCase();
    if (!this.settings.resources().some(known => known.toLowerCase() === normalized)) {
      throw entraErrors.unknownResource(resource, this.settings.tenantId);
    }
    return resource;
  }

  private checkAssertion(app: AppRegistration, assertion: string, type: string | null): void {
    if (type !== CLIENT_ASSERTION_TYPE) {
      throw entraErrors.invalidAssertion(`client_assertion_type must be '${CLIENT_ASSERTION_TYPE}'.`);
    }
    const claims = this.settings.signer.verify(assertion);
    if (!claims) throw entraErrors.invalidAssertion('The signature could not be verified.');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims['exp'] !== 'number' || claims['exp'] <= now) throw entraErrors.assertionExpired();
    const issuer = String(claims['iss']);
    if (issuer !== this.settings.federationIssuer()) throw entraErrors.noFederatedIssuer(issuer);
    const audiences = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
    const subject = String(claims['sub']);
    if (!audiences.includes(FEDERATED_TOKEN_AUDIENCE) || !app.federatedSubjects.includes(subject)) {
      throw entraErrors.noFederatedSubject(subject, issuer);
    }
  }
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    id: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}
