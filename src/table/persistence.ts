// Persistence (affinity) templates as IPVS keeps them: one per (masked client, persistence domain),
// naming the real server. Each new connection through a template pushes its expiry to now+timeout,
// and a template never expires while connections it placed are alive (IPVS's n_control).
// Plain data with absolute expiry times, so a peer director can be sent a snapshot.

export interface PersistenceTemplate {
  /** The domain (a service key, or "group:NAME") and the masked client address. */
  readonly domain: string;
  readonly client: string;
  destAddress: string;
  destPort: number;
  /** Monotonic ms; the template may go once this has passed and no connection it placed is alive. */
  expiresAt: number;
  /** Connections placed by this template that are still alive. */
  connections: number;
}

export type TemplateEvent =
  | { type: 'created'; template: Readonly<PersistenceTemplate> }
  | { type: 'expired'; template: Readonly<PersistenceTemplate> };

export class PersistenceTable {
  readonly #byKey = new Map<string, PersistenceTemplate>();
  readonly #onEvent: ((e: TemplateEvent) => void) | undefined;

  constructor(onEvent?: (e: TemplateEvent) => void) {
    this.#onEvent = onEvent;
  }

  static key(domain: string, client: string): string {
    return `${domain}|${client}`;
  }

  /** The live template for this client in this domain, if any (an expired one is dropped here). */
  lookup(domain: string, client: string, now: number): PersistenceTemplate | undefined {
    const key = PersistenceTable.key(domain, client);
    const t = this.#byKey.get(key);
    if (!t) return undefined;
    if (t.connections === 0 && t.expiresAt <= now) {
      this.#drop(key, t);
      return undefined;
    }
    return t;
  }

  /** A new connection goes through this template (created if missing): refresh it and count the connection. */
  use(
    domain: string,
    client: string,
    destAddress: string,
    destPort: number,
    timeoutMs: number,
    now: number,
  ): PersistenceTemplate {
    const key = PersistenceTable.key(domain, client);
    let t = this.#byKey.get(key);
    if (!t) {
      t = { domain, client, destAddress, destPort, expiresAt: now + timeoutMs, connections: 0 };
      this.#byKey.set(key, t);
      this.#onEvent?.({ type: 'created', template: t });
    }
    t.expiresAt = Math.max(t.expiresAt, now + timeoutMs);
    t.connections++;
    return t;
  }

  /** A connection placed by this template ended. */
  release(t: PersistenceTemplate): void {
    if (t.connections > 0) t.connections--;
  }

  /** Drops a template now (its server is gone or quiescent); connections it placed are unaffected. */
  expire(t: PersistenceTemplate): void {
    const key = PersistenceTable.key(t.domain, t.client);
    if (this.#byKey.get(key) === t) this.#drop(key, t);
  }

  /** Drops templates that have run out; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [key, t] of this.#byKey) {
      if (t.connections === 0 && t.expiresAt <= now) {
        this.#drop(key, t);
        n++;
      }
    }
    return n;
  }

  /** Drops every template of a domain that matches (e.g. pointing at a removed server). */
  expireWhere(match: (t: PersistenceTemplate) => boolean): number {
    let n = 0;
    for (const [key, t] of this.#byKey) {
      if (match(t)) {
        this.#drop(key, t);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.#byKey.size;
  }

  entries(): PersistenceTemplate[] {
    return [...this.#byKey.values()].map((t) => ({ ...t }));
  }

  #drop(key: string, t: PersistenceTemplate): void {
    this.#byKey.delete(key);
    this.#onEvent?.({ type: 'expired', template: t });
  }
}
