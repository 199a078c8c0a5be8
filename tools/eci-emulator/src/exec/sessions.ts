import { randomBytes } from 'node:crypto';

/** What an ExecContainerCommand call granted: one session on one container, for a short while. */
export interface ExecGrant {
  containerGroupId: string;
  containerName: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  expiresAt: number;
}

/**
 * The sessions ExecContainerCommand handed out. The token in WebSocketUri (`?s=`) and HttpUrl
 * (`?param=`) is random, usable once, and expires: whoever holds the URL may open the session, so it
 * must not outlive its purpose.
 */
export class ExecSessions {
  private readonly grants = new Map<string, ExecGrant>();

  grant(grant: ExecGrant): string {
    this.prune();
    const token = randomBytes(24).toString('base64url');
    this.grants.set(token, grant);
    return token;
  }

  /** The grant for `token`, consumed; undefined when unknown, used or expired. */
  take(token: string): ExecGrant | undefined {
    const grant = this.grants.get(token);
    this.grants.delete(token);
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    return grant;
  }

  /** The grant for `token` without consuming it (the terminal page). */
  peek(token: string): ExecGrant | undefined {
    const grant = this.grants.get(token);
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }

  private prune(): void {
    const now = Date.now();
    for (const [token, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(token);
  }
}
