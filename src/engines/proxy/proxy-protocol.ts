// PROXY protocol headers (HAProxy's spec, v1 text and v2 binary) that tell a real server the client address.
import { isIPv6 } from 'node:net';
import type { Protocol } from '../../model/flow.ts';
import { ipv6Words } from '../../model/address.ts';

export type ProxyProtocolVersion = 'v1' | 'v2';

export interface ProxiedAddresses {
  readonly protocol: Protocol;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export function proxyHeaderV1(a: ProxiedAddresses): Buffer {
  const family = isIPv6(a.sourceAddress) ? 'TCP6' : 'TCP4';
  return Buffer.from(
    `PROXY ${family} ${a.sourceAddress} ${a.destinationAddress} ${a.sourcePort} ${a.destinationPort}\r\n`,
    'latin1',
  );
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] {
  return ipv6Words(address).flatMap((w) => [w >> 8, w & 255]);
}

export function proxyHeaderV2(a: ProxiedAddresses): Buffer {
  const v6 = isIPv6(a.sourceAddress);
  const addrLen = v6 ? 36 : 12;
  const out = Buffer.alloc(16 + addrLen);
  V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21; // version 2, command PROXY
  out[13] = (v6 ? 0x20 : 0x10) | (a.protocol === 'udp' ? 0x02 : 0x01);
  out.writeUInt16BE(addrLen, 14);
  const toBytes = v6 ? ipv6Bytes : ipv4Bytes;
  const ipLen = v6 ? 16 : 4;
  out.set(toBytes(a.sourceAddress), 16);
  out.set(toBytes(a.destinationAddress), 16 + ipLen);
  out.writeUInt16BE(a.sourcePort, 16 + 2 * ipLen);
  out.writeUInt16BE(a.destinationPort, 18 + 2 * ipLen);
  return out;
}

export function proxyHeader(version: ProxyProtocolVersion, a: ProxiedAddresses): Buffer {
  return version === 'v1' ? proxyHeaderV1(a) : proxyHeaderV2(a);
}
