// ipvsadm 1.31's options: spellings, argument kinds, the names its error messages use, and which
// options each command allows (options.md §2-§5). Data only; parse.ts and popt.ts read it.

export type ArgKind = 'none' | 'required' | 'optional';

export type CommandName =
  | 'add-service'
  | 'edit-service'
  | 'delete-service'
  | 'flush'
  | 'list'
  | 'add-server'
  | 'delete-server'
  | 'edit-server'
  | 'set'
  | 'start-daemon'
  | 'stop-daemon'
  | 'restore'
  | 'save'
  | 'zero';

/** The names ipvsadm's messages use, in its check order (the order of its command/option table). */
export const OPT_NAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
] as const;
export type OptName = (typeof OPT_NAMES)[number];

export interface OptionSpec {
  long: string;
  short?: string;
  arg: ArgKind;
  /** The command this option selects, when it is one. */
  command?: CommandName | 'help' | 'version';
  /** The tracked name (each may be given once); absent for -6 and --sort, which ipvsadm does not track. */
  name?: OptName;
  /** Which option it is, for options sharing a name (-t/-u/-f, -g/-i/-m). */
  id: string;
}

const cmd = (
  long: string,
  short: string | undefined,
  command: NonNullable<OptionSpec['command']>,
  arg: ArgKind = 'none',
): OptionSpec => ({
  long,
  ...(short === undefined ? {} : { short }),
  arg,
  command,
  id: long,
});
const opt = (
  long: string,
  short: string | undefined,
  name: OptName | undefined,
  arg: ArgKind,
  id = long,
): OptionSpec => ({
  long,
  ...(short === undefined ? {} : { short }),
  arg,
  ...(name === undefined ? {} : { name }),
  id,
});

// Order matters only for `--list`, which both -L and -l spell; the first entry wins as in popt.
export const OPTIONS: readonly OptionSpec[] = [
  cmd('add-service', 'A', 'add-service'),
  cmd('edit-service', 'E', 'edit-service'),
  cmd('delete-service', 'D', 'delete-service'),
  cmd('clear', 'C', 'flush'),
  cmd('list', 'L', 'list'),
  cmd('list', 'l', 'list'),
  cmd('zero', 'Z', 'zero'),
  cmd('add-server', 'a', 'add-server'),
  cmd('edit-server', 'e', 'edit-server'),
  cmd('delete-server', 'd', 'delete-server'),
  cmd('set', undefined, 'set'),
  cmd('help', 'h', 'help'),
  cmd('version', 'v', 'version'),
  cmd('restore', 'R', 'restore'),
  cmd('save', 'S', 'save'),
  cmd('start-daemon', undefined, 'start-daemon', 'required'),
  cmd('stop-daemon', undefined, 'stop-daemon', 'required'),
  opt('tcp-service', 't', 'service-address', 'required'),
  opt('udp-service', 'u', 'service-address', 'required'),
  opt('sctp-service', undefined, 'service-address', 'required'),
  opt('fwmark-service', 'f', 'service-address', 'required'),
  opt('scheduler', 's', 'scheduler', 'required'),
  opt('persistent', 'p', 'persistent', 'optional'),
  opt('netmask', 'M', 'netmask', 'required'),
  opt('real-server', 'r', 'real-server', 'required'),
  opt('masquerading', 'm', 'forwarding-method', 'none'),
  opt('ipip', 'i', 'forwarding-method', 'none'),
  opt('gatewaying', 'g', 'forwarding-method', 'none'),
  opt('weight', 'w', 'weight', 'required'),
  opt('u-threshold', 'x', 'u-threshold', 'required'),
  opt('l-threshold', 'y', 'l-threshold', 'required'),
  opt('numeric', 'n', 'numeric', 'none'),
  opt('connection', 'c', 'connection', 'none'),
  opt('mcast-interface', undefined, 'mcast-interface', 'required'),
  opt('syncid', undefined, 'syncid', 'required'),
  opt('timeout', undefined, 'timeout', 'none'),
  opt('daemon', undefined, 'daemon', 'none'),
  opt('stats', undefined, 'stats', 'none'),
  opt('rate', undefined, 'rate', 'none'),
  opt('thresholds', undefined, 'thresholds', 'none'),
  opt('persistent-conn', undefined, 'persistent-conn', 'none'),
  opt('nosort', undefined, 'nosort', 'none'),
  opt('sort', undefined, undefined, 'none'),
  opt('exact', 'X', 'exact', 'none'),
  opt('ipv6', '6', undefined, 'none'),
  opt('ops', 'o', 'ops', 'none'),
  opt('pe', undefined, 'pe', 'required'),
  opt('sched-flags', 'b', 'sched-flags', 'required'),
  opt('mcast-group', undefined, 'mcast-group', 'required'),
  opt('mcast-port', undefined, 'mcast-port', 'required'),
  opt('mcast-ttl', undefined, 'mcast-ttl', 'required'),
  opt('sync-maxlen', undefined, 'sync-maxlen', 'required'),
  opt('tun-info', undefined, 'tun-info', 'none'),
  opt('tun-type', undefined, 'tun-type', 'required'),
  opt('tun-port', undefined, 'tun-port', 'required'),
  opt('tun-nocsum', undefined, 'tun-nocsum', 'none'),
  opt('tun-csum', undefined, 'tun-csum', 'none'),
  opt('tun-remcsum', undefined, 'tun-remcsum', 'none'),
];

type Rule = 'req' | 'one' | 'opt';
const rules = (req: OptName[], one: OptName[], optional: OptName[]): Partial<Record<OptName, Rule>> =>
  Object.fromEntries([
    ...req.map((n) => [n, 'req'] as const),
    ...one.map((n) => [n, 'one'] as const),
    ...optional.map((n) => [n, 'opt'] as const),
  ]);

const SERVICE_OPTS: OptName[] = ['scheduler', 'persistent', 'netmask', 'ops', 'pe', 'sched-flags'];
const SERVER_OPTS: OptName[] = [
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
];

/** options.md §5: anything not listed for a command is illegal with it. */
export const COMMAND_RULES: Record<CommandName, Partial<Record<OptName, Rule>>> = {
  'add-service': rules(['service-address'], [], SERVICE_OPTS),
  'edit-service': rules(['service-address'], [], SERVICE_OPTS),
  'delete-service': rules(['service-address'], [], []),
  flush: {},
  list: rules(
    [],
    ['connection', 'service-address', 'timeout', 'daemon'],
    ['numeric', 'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'syncid', 'exact', 'tun-info'],
  ),
  'add-server': rules(['service-address', 'real-server'], [], SERVER_OPTS),
  'edit-server': rules(['service-address', 'real-server'], [], SERVER_OPTS),
  'delete-server': rules(['service-address', 'real-server'], [], []),
  set: {},
  'start-daemon': rules(
    [],
    [],
    ['mcast-interface', 'syncid', 'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen'],
  ),
  'stop-daemon': rules([], [], ['syncid']),
  restore: {},
  save: rules([], [], ['numeric']),
  zero: rules([], [], ['service-address']),
};

/** Which tunnel options each tunnel type takes (options.md §5, "per-tunnel-type table"). */
export const TUNNEL_RULES: Record<'ipip' | 'gue' | 'gre', Partial<Record<OptName, Rule>>> = {
  ipip: {},
  gue: rules(['tun-port'], ['tun-nocsum', 'tun-csum', 'tun-remcsum'], []),
  gre: rules([], ['tun-nocsum', 'tun-csum'], []),
};
export const TUNNEL_OPTS: readonly OptName[] = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
