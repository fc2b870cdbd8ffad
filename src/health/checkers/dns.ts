// dns check: one query over UDP (dns-packet encodes and decodes), healthy when the reply's rcode is
// one of expect_rcodes. A reply that does not decode, has another id or is not a response fails.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { encode, decode, RECURSION_DESIRED, type DecodedPacket } from 'dns-packet';
import { formatEndpoint, addressFamily } from '../../model/address.ts';
import { DNS_RCODES, type DnsCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, describeError } from './common.ts';

export function rcodeName(rcode: number): string {
  return DNS_RCODES[rcode] ?? `RCODE${rcode}`;
}

export class DnsChecker implements Checker {
  readonly #config: DnsCheckConfig;

  constructor(config: DnsCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { query_name: name, query_type: type, expect_rcodes: expected, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout);
    const where = `dns ${type} ${JSON.stringify(name)} @${formatEndpoint(target.address, target.port)}`;
    const id = randomInt(0, 65536);
    const query = encode({
      type: 'query',
      id,
      flags: RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    });
    return new Promise((resolve) => {
      let settled = false;
      const socket = createSocket(addressFamily(target.address) === 6 ? 'udp6' : 'udp4');
      const finish = (ok: boolean, detail: string): void => {
        if (settled) return;
        settled = true;
        run.signal.removeEventListener('abort', onAbort);
        try {
          socket.close();
        } catch {
          // already closed
        }
        resolve(run.result(ok, `${where}: ${detail}`));
      };
      const onAbort = (): void => finish(false, `no answer: ${run.stopped()}`);
      if (run.signal.aborted) return onAbort();
      run.signal.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (err) => {
        const what =
          (err as { code?: string }).code === 'ECONNREFUSED' ? 'port unreachable (ICMP)' : describeError(err);
        finish(false, `${what} after ${run.elapsed()} ms`);
      });
      socket.on('message', (msg) => {
        let reply: DecodedPacket;
        try {
          reply = decode(msg);
        } catch (err) {
          finish(
            false,
            `malformed answer (${msg.length} bytes: ${describeError(err)}) after ${run.elapsed()} ms`,
          );
          return;
        }
        if (reply.id !== id)
          return finish(
            false,
            `answer id ${reply.id} does not match query id ${id} after ${run.elapsed()} ms`,
          );
        if (reply.type !== 'response')
          return finish(false, `got a query, not an answer, after ${run.elapsed()} ms`);
        const rcode = rcodeName((reply.flags ?? 0) & 0x0f);
        const answers = reply.answers?.length ?? 0;
        const summary = `${rcode}, ${answers} answer${answers === 1 ? '' : 's'}${reply.flag_tc ? ' (truncated)' : ''} after ${run.elapsed()} ms`;
        if ((expected as readonly string[]).includes(rcode)) finish(true, summary);
        else finish(false, `${summary} (expected ${expected.join(' or ')})`);
      });
      socket.connect(target.port, target.address, () => {
        if (settled) return;
        socket.send(query, (err) => {
          if (err) finish(false, `send ${describeError(err)} after ${run.elapsed()} ms`);
        });
      });
    });
  }
}
