// The TCP listener of one virtual service; each accepted socket becomes a relay.
import { createServer, type Server, type Socket } from 'node:net';
import type { EngineEventSink, ServiceState } from '../../director/types.ts';
import { Listener } from './listener.ts';

export class TcpListener extends Listener {
  readonly #server: Server;
  readonly #reusePort: boolean;

  constructor(
    service: ServiceState,
    emit: EngineEventSink,
    onConnection: (socket: Socket, l: TcpListener) => void,
    reusePort = false,
  ) {
    super(service, emit);
    this.#reusePort = reusePort;
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) =>
      onConnection(socket, this),
    );
  }

  protected bindOnce(): Promise<void> {
    const { address, port } = this.service.config;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        this.#server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        this.#server.off('error', onError);
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen({
        host: address,
        port,
        ipv6Only: address.includes(':'),
        reusePort: this.#reusePort,
      });
    });
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  /** Closes the listening socket at once; close()'s callback would wait for every accepted connection. */
  protected unbind(): Promise<void> {
    if (this.#server.listening) this.#server.close();
    return Promise.resolve();
  }
}
