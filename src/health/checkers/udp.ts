// udp check: send one datagram from a connected socket. With `expect`, healthy when a reply contains
// it; without, healthy when no ICMP port-unreachable comes back within the timeout (a connected UDP
// socket on Linux reports that ICMP as ECONNREFUSED), so such a check always takes its full timeout.
import { formatEndpoint } from '../../model/address.ts';
import type { UdpCheckConfig } from '../../model/health-schema.ts';
import type { Checker, CheckResult, ProbeTarget } from '../types.ts';
import { ProbeRun, quote } from './common.ts';
import { udpExchange } from './udp-exchange.ts';

export class UdpChecker implements Checker {
  readonly #config: UdpCheckConfig;

  constructor(config: UdpCheckConfig) {
    this.#config = config;
  }

  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult> {
    const { send, expect, timeout } = this.#config;
    const run = new ProbeRun(signal, timeout, `udp ${formatEndpoint(target.address, target.port)}`);
    const bytes = Buffer.byteLength(send);
    return udpExchange(target, run, send, {
      onStopped: (sent) => {
        if (run.timedOut && sent && expect === undefined)
          run.pass(`sent ${bytes} bytes, no ICMP unreachable within ${run.elapsed()} ms`);
        else if (run.timedOut && sent)
          run.failStopped(`sent ${bytes} bytes, no reply with ${quote(expect ?? '')}: ${run.stopped()}`);
        else run.failStopped(run.stopped());
      },
      onReply: (msg) => {
        const text = msg.toString('utf8');
        if (expect === undefined) run.pass(`got a ${msg.length}-byte reply after ${run.elapsed()} ms`);
        else if (text.includes(expect)) run.pass(`got ${quote(expect)} after ${run.elapsed()} ms`);
        else
          run.fail('mismatch', `reply lacks ${quote(expect)} (got ${quote(text)}) after ${run.elapsed()} ms`);
      },
    });
  }
}
