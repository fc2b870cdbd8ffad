// Shared listening logic for TCP and UDP services. An address not (yet) on this host (EADDRNOTAVAIL,
// as on a standby director) is reported and retried, never a crash; other errors fail apply().
import type { EngineEventSink, ServiceState } from '../../director/types.ts';
import { VsdError } from '../../model/errors.ts';
import { formatEndpoint } from '../../model/address.ts';

const RETRY_MS = [250, 500, 1000, 2000, 5000];

export abstract class Listener {
  service: ServiceState;
  protected readonly emit: EngineEventSink;
  #retries = 0;
  #timer: NodeJS.Timeout | undefined;
  protected closed = false;

  constructor(service: ServiceState, emit: EngineEventSink) {
    this.service = service;
    this.emit = emit;
  }

  /** One bind attempt; rejects with the socket error. */
  protected abstract bindOnce(): Promise<void>;
  protected abstract unbind(): Promise<void>;
  abstract get listening(): boolean;

  /** Resolves once listening, or once the address is known to be missing (then it keeps retrying). */
  async listen(): Promise<void> {
    const { address, port } = this.service.config;
    try {
      await this.bindOnce();
      this.#retries = 0;
      this.emit({ type: 'listening', service: this.service.key, address, port });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EADDRNOTAVAIL') {
        throw new VsdError(
          'VSD_ERR_LISTEN',
          `${this.service.name}: cannot listen on ${this.service.config.protocol} ${formatEndpoint(address, port)}: ${err.code ?? err.message}`,
          { cause: err },
        );
      }
      if (this.closed) return;
      const retryInMs = RETRY_MS[Math.min(this.#retries++, RETRY_MS.length - 1)] ?? 5000;
      this.emit({
        type: 'listen-failed',
        service: this.service.key,
        code: err.code,
        message: `${formatEndpoint(address, port)} is not an address of this host yet (retrying; a standby director may set net.ipv4.ip_nonlocal_bind=1 to listen before it holds the VIP)`,
        retryInMs,
      });
      this.#timer = setTimeout(() => void this.listen().catch(() => undefined), retryInMs).unref();
    }
  }

  /** Stops accepting; established connections are not touched by this. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.unbind();
  }
}
