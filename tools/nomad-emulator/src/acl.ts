import { randomUUID } from 'node:crypto';

/** A namespace rule of an ACL policy: a coarse policy or an explicit capability list. */
export type NamespaceRule = 'deny' | 'read' | 'write' | 'scale' | readonly string[];
export type CoarseRule = 'deny' | 'read' | 'write';

/** What a client token may do, as the rules of its policies would say. */
export interface TokenRules {
  name?: string;
  /** Namespace name or glob (`*`, `team-*`) → rule; the most specific match wins, as in Nomad. */
  namespaces?: Record<string, NamespaceRule>;
  node?: CoarseRule;
  agent?: CoarseRule;
}

/** `/v1/acl/token/self`'s answer. */
export interface AclToken {
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: 'client' | 'management';
  Policies: string[] | null;
  Roles: null;
  Global: boolean;
  CreateTime: string;
  ExpirationTime: null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** The capabilities of Nomad's coarse namespace policies. */
const READ = [
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'host-volume-read',
];
const WRITE = [
  ...READ,
  'scale-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-lifecycle',
  'csi-write-volume',
  'csi-mount-volume',
  'submit-recommendation',
];
const SCALE = ['list-scaling-policies', 'read-scaling-policy', 'read-job-scaling', 'scale-job'];

function capabilities(rule: NamespaceRule): readonly string[] {
  if (Array.isArray(rule)) return rule as readonly string[];
  if (rule === 'read') return READ;
  if (rule === 'write') return WRITE;
  if (rule === 'scale') return SCALE;
  return [];
}

function globMatches(pattern: string, name: string): boolean {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(name);
}

/** Who a request acts as. */
export interface Identity {
  readonly management: boolean;
  /** Whether the identity holds `capability` in `namespace`. */
  allowed(namespace: string, capability: string): boolean;
  /** Whether the identity holds any capability in `namespace` (namespace listings show those). */
  anyIn(namespace: string): boolean;
  node(write: boolean): boolean;
  agent(write: boolean): boolean;
  readonly token: AclToken | undefined;
}

const EVERYTHING: Omit<Identity, 'token'> = {
  management: true,
  allowed: () => true,
  anyIn: () => true,
  node: () => true,
  agent: () => true,
};

function coarse(rule: CoarseRule | undefined, write: boolean): boolean {
  return rule === 'write' || (rule === 'read' && !write);
}

/**
 * Nomad's ACL system, reduced to tokens with inline rules: a management token that may do everything,
 * client tokens limited to their namespaces, the anonymous identity (no token) that may do nothing.
 * With ACLs disabled every request may do everything.
 */
export class Acl {
  readonly management: AclToken;
  private readonly tokens = new Map<string, { token: AclToken; rules: TokenRules }>();

  constructor(
    readonly enabled: boolean,
    private readonly nextIndex: () => number,
    managementSecret: string = randomUUID(),
  ) {
    this.management = this.newToken('Bootstrap Token', 'management', managementSecret);
    this.tokens.set(managementSecret, { token: this.management, rules: {} });
  }

  private newToken(name: string, type: AclToken['Type'], secret: string): AclToken {
    const index = this.nextIndex();
    return {
      AccessorID: randomUUID(),
      SecretID: secret,
      Name: name,
      Type: type,
      Policies: type === 'management' ? null : [`${name}-policy`],
      Roles: null,
      Global: false,
      CreateTime: new Date().toISOString(),
      ExpirationTime: null,
      CreateIndex: index,
      ModifyIndex: index,
    };
  }

  /** Creates a client token with `rules`; returns its secret (the value of X-Nomad-Token). */
  createToken(rules: TokenRules): AclToken {
    const token = this.newToken(rules.name ?? 'client', 'client', randomUUID());
    this.tokens.set(token.SecretID, { token, rules });
    return token;
  }

  /** The identity of a request's token; undefined for a token Nomad does not know. */
  resolve(secret: string | undefined): Identity | undefined {
    if (!this.enabled) return { ...EVERYTHING, token: undefined };
    if (!secret) return anonymous;
    const entry = this.tokens.get(secret);
    if (!entry) return undefined;
    if (entry.token.Type === 'management') return { ...EVERYTHING, token: entry.token };
    const { rules, token } = entry;
    const ruleFor = (namespace: string): NamespaceRule | undefined => {
      const namespaces = rules.namespaces ?? {};
      if (namespaces[namespace] !== undefined) return namespaces[namespace];
      const globs = Object.keys(namespaces)
        .filter(pattern => pattern.includes('*') && globMatches(pattern, namespace))
        .sort((a, b) => b.replace(/\*/g, '').length - a.replace(/\*/g, '').length);
      return globs[0] === undefined ? undefined : namespaces[globs[0]];
    };
    return {
      management: false,
      token,
      allowed: (namespace, capability) => {
        const rule = ruleFor(namespace);
        return rule !== undefined && capabilities(rule).includes(capability);
      },
      anyIn: namespace => {
        const rule = ruleFor(namespace);
        return rule !== undefined && capabilities(rule).length > 0;
      },
      node: write => coarse(rules.node, write),
      agent: write => coarse(rules.agent, write),
    };
  }
}

const anonymous: Identity = {
  management: false,
  token: undefined,
  allowed: () => false,
  anyIn: () => false,
  node: () => false,
  agent: () => false,
};
