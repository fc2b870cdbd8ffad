// The mutable state of one command line while it is parsed, with ipvsadm's starting values, and the
// exception that stands for ipvsadm's fail()/tryhelp_exit() (caught in parse.ts, never escapes it).
import type { CommandName, OptName } from './option-table.ts';

export class Fail extends Error {
  readonly exitCode: number;
  readonly usage: boolean;

  constructor(message: string, exitCode = 2, usage = false) {
    super(message);
    this.exitCode = exitCode;
    this.usage = usage;
  }

  /** ipvsadm's tryhelp_exit: only the "Try ..." line, status 255. */
  static tryHelp(): Fail {
    return new Fail('', 255, true);
  }
}

export interface Line {
  command: CommandName;
  seen: Set<OptName>;
  svc: {
    protocol: 'tcp' | 'udp' | 'sctp' | undefined;
    /** 0 until a service option sets it, as in ipvsadm's zeroed struct. */
    family: 0 | 4 | 6;
    address: string;
    port: number;
    fwmark: number;
    /** Dotted IPv4 mask, or an IPv6 prefix length as text. */
    netmask: string;
    persistent: boolean;
    timeout: number;
    ops: boolean;
    pe: string;
    scheduler: string;
    schedFlagsArg: string;
    /** Bits: 1 = flag-1 (sh/mh-fallback), 2 = flag-2 (sh/mh-port), 4 = flag-3. */
    flagBits: number;
  };
  dest: {
    family: 0 | 4 | 6;
    address: string;
    port: number;
    forward: 'Masq' | 'Route' | 'Tunnel';
    weight: number;
    upper: number;
    lower: number;
    tunType: 'ipip' | 'gue' | 'gre';
  };
  timeouts: number[];
}

/** process_options' defaults: weight 1, direct routing, /32 persistence mask, ipip tunnels. */
export function newLine(command: CommandName): Line {
  return {
    command,
    seen: new Set(),
    svc: {
      protocol: undefined,
      family: 0,
      address: '',
      port: 0,
      fwmark: 0,
      netmask: '255.255.255.255',
      persistent: false,
      timeout: 0,
      ops: false,
      pe: '',
      scheduler: '',
      schedFlagsArg: '',
      flagBits: 0,
    },
    dest: {
      family: 0,
      address: '',
      port: 0,
      forward: 'Route',
      weight: 1,
      upper: 0,
      lower: 0,
      tunType: 'ipip',
    },
    timeouts: [],
  };
}
