// The checks ipvsadm runs once all options are read, in its order, then the refusals that are vsd's
// own (things ipvsadm accepts but vsd cannot do), then the scheduler name the kernel would refuse.
import { SCHEDULER_NAMES } from '../../model/scheduler-names.ts';
import { COMMAND_RULES, OPT_NAMES, TUNNEL_OPTS, TUNNEL_RULES, type OptName } from './option-table.ts';
import { ipv4MaskPrefix } from '../../model/address.ts';
import { Fail, type Line } from './parse-state.ts';

const FLAG_BITS: Record<string, { bit: number; scheduler?: string }> = {
  'flag-1': { bit: 1 },
  'flag-2': { bit: 2 },
  'flag-3': { bit: 4 },
  'sh-fallback': { bit: 1, scheduler: 'sh' },
  'sh-port': { bit: 2, scheduler: 'sh' },
  'mh-fallback': { bit: 1, scheduler: 'mh' },
  'mh-port': { bit: 2, scheduler: 'mh' },
};

/** -b is read after every other option, against -s (or wlc when -s is absent). */
export function parseSchedFlags(line: Line): void {
  const arg = line.svc.schedFlagsArg;
  if (arg === '') return;
  const scheduler = line.svc.scheduler || 'wlc';
  const names = arg.split(',').filter((f) => f !== '');
  // ipvsadm would crash on "-b ,"; report it as an invalid flag instead.
  if (names.length === 0) throw new Fail(`invalid scheduler flag \`${arg}'`);
  let bits = 0;
  for (const name of names) {
    const flag = FLAG_BITS[name];
    if (!flag) throw new Fail(`invalid scheduler flag \`${name}'`);
    if (flag.scheduler !== undefined && flag.scheduler !== scheduler)
      throw new Fail(`incompatible scheduler flag \`${name}'`);
    bits |= flag.bit;
  }
  line.svc.flagBits = bits;
}

/** generic_opt_check: required, illegal and mutually exclusive options, in table order. */
export function checkCommandOptions(line: Line): void {
  checkTable(line.seen, COMMAND_RULES[line.command], `'${line.command}' command`, OPT_NAMES);
}

function checkTable(
  seen: ReadonlySet<OptName>,
  rules: Partial<Record<OptName, string>>,
  what: string,
  order: readonly OptName[],
): void {
  let exclusive: OptName | undefined;
  for (const name of order) {
    const rule = rules[name];
    if (!seen.has(name)) {
      if (rule === 'req') throw new Fail(`You need to supply the '${name}' option for the ${what}`);
      continue;
    }
    if (rule === undefined) throw new Fail(`Illegal '${name}' option with the ${what}`);
    if (rule !== 'one') continue;
    if (exclusive !== undefined)
      throw new Fail(`The option '${name}' conflicts with the '${exclusive}' option in the ${what}`);
    exclusive = name;
  }
}

/** process_options' per-command rules, after the table check. */
export function checkCommandRules(line: Line): void {
  const { command, svc, dest, seen } = line;
  if (command === 'add-service' || command === 'edit-service') {
    if (!svc.fwmark && svc.port === 0 && !svc.persistent)
      throw new Fail('Zero port specified for non-persistent service');
    if (svc.ops && !svc.fwmark && svc.protocol !== 'udp')
      throw new Fail('One-Packet Scheduling is only for UDP virtual services');
    if (svc.scheduler === '') svc.scheduler = 'wlc';
  }
  if (command === 'add-server' || command === 'edit-server') {
    // Direct routing and tunnels cannot change the port, so ipvsadm forces the service's.
    if (!svc.fwmark && (dest.forward === 'Tunnel' || dest.forward === 'Route')) dest.port = svc.port;
    if (dest.family !== svc.family && dest.forward !== 'Tunnel')
      throw new Fail('Different address family is allowed only for tunneling servers');
    if (['tun-type', ...TUNNEL_OPTS].some((n) => seen.has(n as OptName)) && dest.forward !== 'Tunnel')
      throw new Fail('Tunnel options conflict with forward method');
    checkTable(seen, TUNNEL_RULES[dest.tunType], `'${dest.tunType}' tunnel type`, TUNNEL_OPTS);
  }
  if (command === 'list') {
    const any = (...names: OptName[]) => names.some((n) => seen.has(n));
    if (
      (any('connection', 'timeout', 'daemon') && any('stats', 'rate', 'thresholds')) ||
      (any('timeout', 'daemon') && any('persistent-conn'))
    )
      throw new Fail('options conflicts in the list command');
  }
}

/** What ipvsadm accepts but vsd cannot do: refused with a message that says so (exit 2). */
export function checkVsdSupport(line: Line): void {
  const { command, svc, dest, seen } = line;
  if (command === 'start-daemon' || command === 'stop-daemon')
    throw new Fail(
      'connection sync daemons are not supported by vsd (it replicates state its own way, see docs/vsadm.md)',
    );
  if (svc.fwmark)
    throw new Fail(
      `fwmark services (-f ${svc.fwmark}) are not supported by vsd: use -t or -u, and a shared persistence group in the config`,
    );
  if (svc.protocol === 'sctp') throw new Fail('SCTP services are not supported by vsd: use -t or -u');
  if (seen.has('pe')) throw new Fail(`persistence engine \`${svc.pe}' is not supported by vsd (--pe)`);
  if (dest.tunType !== 'ipip')
    throw new Fail(`tunnel type \`${dest.tunType}' is not supported by vsd (only ipip)`);
  if (command === 'add-service' || command === 'edit-service') {
    const scheduler = svc.scheduler;
    if (svc.flagBits & 4 || (svc.flagBits && scheduler !== 'sh' && scheduler !== 'mh'))
      throw new Fail(
        `scheduler flags -b ${svc.schedFlagsArg} mean nothing to vsd's ${scheduler} scheduler (only sh and mh take flags)`,
      );
    // The kernel takes any mask inet_aton reads; vsd masks client addresses by a prefix length.
    if (svc.persistent && svc.family !== 6 && ipv4MaskPrefix(svc.netmask) === undefined)
      throw new Fail(
        `persistent mask -M ${svc.netmask} is not supported by vsd: it masks by prefix, give a contiguous mask such as 255.255.255.0`,
      );
    // ipvsadm leaves the name to the kernel, which answers this (exit 255 as for any failed operation).
    if (!(SCHEDULER_NAMES as readonly string[]).includes(scheduler))
      throw new Fail('Scheduler or persistence engine not found', 255);
  }
}
