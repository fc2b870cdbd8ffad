// dns check: one query over UDP (dns-packet encodes and decodes), healthy when the reply's rcode is
// one of expect_rcodes. A reply that does not decode, has another id or is not a response fails.
import { randomInt } from 'node:crypto';
import { encode, decode, RECURSION_DESIRED, type DecodedPacket } from 'dns-packet';
import { formatEndpoint } from '../../model/address.ts';
import { DNS_RCODES, type DnsCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, describeError } from './common.ts';
import { udpExchange } from './udp-exchange.ts';

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
    const where = `dns ${type} ${JSON.stringify(name)} @${formatEndpoint(target.address, target.port)}`;
    const run = new ProbeRun(signal, timeout, where);
    const id = randomInt(0, 65536);
    const query = encode({
      type: 'query',
      id,
      flags: RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    });
    return udpExchange(target, run, query, {
      onStopped: () => run.failStopped(`no answer: ${run.stopped()}`),
      onReply: (msg) => {
        let reply: DecodedPacket;
        try {
          reply = decode(msg);
        } catch (err) {
          run.fail(
            'malformed',
            `malformed answer (${msg.length} bytes: ${describeError(err)}) after ${run.elapsed()} ms`,
          );
          return;
        }
        if (reply.id !== id)
          return run.fail(
            'malformed',
            `answer id ${reply.id} does not match query id ${id} after ${run.elapsed()} ms`,
          );
        if (reply.type !== 'response')
          return run.fail('malformed', `got a query, not an answer, after ${run.elapsed()} ms`);
        const rcode = rcodeName((reply.flags ?? 0) & 0x0f);
        const answers = reply.answers?.length ?? 0;
        const summary = `${rcode}, ${answers} answer${answers === 1 ? '' : 's'}${reply.flag_tc ? ' (truncated)' : ''} after ${run.elapsed()} ms`;
        if ((expected as readonly string[]).includes(rcode)) run.pass(summary, { rcode });
        else run.fail('rcode', `${summary} (expected ${expected.join(' or ')})`, { rcode });
      },
    });
  }
}
