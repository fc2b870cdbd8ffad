// A flow as schedulers see it: who is connecting to which virtual service.

export type Protocol = 'tcp' | 'udp';

export interface Flow {
  readonly protocol: Protocol;
  /** Canonical textual client address (IPv4 dotted quad or compressed IPv6, no IPv4-mapped prefix). */
  readonly clientAddress: string;
  readonly clientPort: number;
  /** Canonical textual virtual IP the client connected to. */
  readonly vip: string;
  readonly vport: number;
}
