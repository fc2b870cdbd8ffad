// Every error of FORMATS.md §9 that a command line can cause, with ipvsadm's exact text and exit code,
// then the refusals that are vsd's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVsadmArgs } from '../../../../src/cli/vsadm/parse.ts';

const TRY = "Try `vsadm -h' or 'vsadm --help' for more information.";
const SVC = ['-t', '10.0.0.1:80'];
const DEST = ['-a', ...SVC, '-r', '10.0.0.2'];

// [argv, message, exit code]
const CASES: [string[], string, number][] = [
  // §9.1 command-line parsing
  [['-n', '-L'], TRY, 255],
  [['--bogus'], TRY, 255],
  [['list'], TRY, 255],
  [['-t', '10.0.0.1:80', '-A'], TRY, 255],
  [['-L', '--foo'], '--foo: unknown option', 255],
  [['-Lq'], '-Lq: unknown option', 255],
  [['-L', '--numeric=yes'], '--numeric=yes: option does not take an argument', 255],
  [['-A', '-t'], '-t: missing argument', 255],
  [['-L', '-A'], "invalid option `-A'", 2],
  [['-L', '-h'], "invalid option `-h'", 2],
  [['-LA'], "invalid option `-LA'", 2],
  [['-L', '--set'], "invalid option `--set'", 2],
  [['-L', '-n', '-n'], "multiple 'numeric' options specified", 2],
  [['-A', '-t', '10.0.0.1:80', '-u', '10.0.0.1:53'], "multiple 'service-address' options specified", 2],
  [[...DEST, '-m', '-g'], "multiple 'forwarding-method' options specified", 2],
  [['-L', 'extra'], 'unexpected argument extra', 2],
  [['--set', '900', '120'], '--set option requires 3 timeout values', 2],
  [['--set', '900', '120', '300', '5'], 'unexpected argument 5', 2],
  // §9.2 option/command validation, in table order
  [['-A'], "You need to supply the 'service-address' option for the 'add-service' command", 2],
  [['-a', ...SVC], "You need to supply the 'real-server' option for the 'add-server' command", 2],
  [['-L', '-w', '3'], "Illegal 'weight' option with the 'list' command", 2],
  [['-A', ...SVC, '-w', '3', '-n'], "Illegal 'numeric' option with the 'add-service' command", 2],
  [['-C', ...SVC], "Illegal 'service-address' option with the 'flush' command", 2],
  [['-S', '-c'], "Illegal 'connection' option with the 'save' command", 2],
  [
    ['-L', '--timeout', '--daemon'],
    "The option 'daemon' conflicts with the 'timeout' option in the 'list' command",
    2,
  ],
  [
    ['-L', '-c', ...SVC],
    "The option 'service-address' conflicts with the 'connection' option in the 'list' command",
    2,
  ],
  [['-L', '-c', '--stats'], 'options conflicts in the list command', 2],
  [['-L', '--timeout', '--rate'], 'options conflicts in the list command', 2],
  [['-L', '--daemon', '--persistent-conn'], 'options conflicts in the list command', 2],
  [
    [...DEST, '-i', '--tun-type', 'gue'],
    "You need to supply the 'tun-port' option for the 'gue' tunnel type",
    2,
  ],
  [[...DEST, '-i', '--tun-port', '6080'], "Illegal 'tun-port' option with the 'ipip' tunnel type", 2],
  [
    [...DEST, '-i', '--tun-type', 'gre', '--tun-remcsum'],
    "Illegal 'tun-remcsum' option with the 'gre' tunnel type",
    2,
  ],
  [
    [...DEST, '-i', '--tun-type', 'gue', '--tun-port', '6080', '--tun-csum', '--tun-nocsum'],
    "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type",
    2,
  ],
  // §9.3 value errors
  [['-A', '-t', '80'], 'illegal virtual server address[:port] specified', 2],
  [['-A', '-t', '10.0.0.1:99999'], 'illegal virtual server address[:port] specified', 2],
  [['-A', '-t', '[2001:db8::1]80'], 'illegal virtual server address[:port] specified', 2],
  [['-A', '-t', 'www.example.com:80'], 'illegal virtual server address[:port] specified', 2],
  [['-a', ...SVC, '-r', '10.0.0.2:nosuchport'], 'illegal real server address[:port] specified', 2],
  [['-A', '-f', '0'], "invalid fwmark value `0' specified", 2],
  [['-A', '-f', '4294967296'], "invalid fwmark value `4294967296' specified", 2],
  [['-A', ...SVC, '-p', '0'], "invalid timeout value `0' specified", 2],
  [['-A', ...SVC, '-p', '2678401'], "invalid timeout value `2678401' specified", 2],
  [['--set', '900', 'x', '300'], "invalid timeout value `x' specified", 2],
  [['-A', ...SVC, '-p', '-M', 'bad'], 'illegal virtual server persistent mask specified', 2],
  [['-A', '-t', '[2001:db8::1]:80', '-p', '-M', '129'], 'illegal ipv6 netmask specified', 2],
  [['-A', '-t', '[2001:db8::1]:80', '-p', '-M', '255.255.255.0'], 'illegal ipv6 netmask specified', 2],
  [[...DEST, '-w', '65536'], 'illegal weight specified', 2],
  [[...DEST, '-w', '-1'], 'illegal weight specified', 2],
  [[...DEST, '-x', 'ten'], 'illegal u_threshold specified', 2],
  [[...DEST, '-y', '2147483648'], 'illegal l_threshold specified', 2],
  [['-L', '--syncid', '256'], 'illegal syncid specified', 2],
  [['--start-daemon', 'master', '--mcast-port', '0'], 'illegal mcast-port specified', 2],
  [['--start-daemon', 'master', '--mcast-ttl', '256'], 'illegal mcast-ttl specified', 2],
  [['--start-daemon', 'master', '--sync-maxlen', '65508'], 'illegal sync-maxlen specified', 2],
  [['--start-daemon', 'master', '--mcast-group', '10.0.0.1'], "invalid IPv4 mcast-group `10.0.0.1'", 2],
  [['--start-daemon', 'master', '--mcast-group', '2001:db8::1'], "invalid IPv6 mcast-group `2001:db8::1'", 2],
  [[...DEST, '-i', '--tun-type', 'vxlan'], 'illegal tunnel type specified', 2],
  [[...DEST, '-i', '--tun-port', '0'], 'illegal tunnel port specified', 2],
  [['-A', ...SVC, '-b', 'sh-port'], "incompatible scheduler flag `sh-port'", 2],
  [['-A', ...SVC, '-s', 'sh', '-b', 'mh-port'], "incompatible scheduler flag `mh-port'", 2],
  [['-A', ...SVC, '-b', 'bogus'], "invalid scheduler flag `bogus'", 2],
  [['--start-daemon', 'primary'], 'illegal start-daemon parameter specified', 2],
  [['--stop-daemon', 'primary'], 'illegal start_daemon specified', 2],
  [['-A', '-6', '-f', '1'], '-6 used before -f\n', 2],
  [['-A', '-t', '10.0.0.1'], 'Zero port specified for non-persistent service', 2],
  [['-E', '-t', '10.0.0.1:0', '-s', 'rr'], 'Zero port specified for non-persistent service', 2],
  [['-A', ...SVC, '-o'], 'One-Packet Scheduling is only for UDP virtual services', 2],
  [
    [...DEST.slice(0, -1), '[2001:db8::2]:80', '-m'],
    'Different address family is allowed only for tunneling servers',
    2,
  ],
  [[...DEST, '--tun-type', 'ipip'], 'Tunnel options conflict with forward method', 2],
  [[...DEST, '-m', '--tun-csum'], 'Tunnel options conflict with forward method', 2],
  // §9.4: the scheduler name is the kernel's to refuse; vsd knows its own list.
  [['-A', ...SVC, '-s', 'nosuch'], 'Scheduler or persistence engine not found', 255],
  [['-E', ...SVC, '-s', 'wlcwlcwlcwlcwlcwlc'], 'Scheduler or persistence engine not found', 255],
];

for (const [argv, message, exitCode] of CASES) {
  test(`ipvsadm ${argv.join(' ')} -> ${JSON.stringify(message)} (${exitCode})`, () => {
    const r = parseVsadmArgs(argv);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.message, message);
    assert.equal(r.exitCode, exitCode);
    assert.equal(r.usage === true, message === TRY);
  });
}

test('the first problem in command-line order wins over later popt errors', () => {
  const r = parseVsadmArgs(['-A', '-t', '80', '--bogus']);
  assert.deepEqual(r, { ok: false, message: 'illegal virtual server address[:port] specified', exitCode: 2 });
});

test('table checks run in table order, not command-line order', () => {
  const r = parseVsadmArgs(['-L', '--thresholds', '-w', '1', '-s', 'rr']);
  assert.deepEqual(r, {
    ok: false,
    message: "Illegal 'scheduler' option with the 'list' command",
    exitCode: 2,
  });
});

test('the try-help line names the program', () => {
  const r = parseVsadmArgs(['-n'], { program: 'ipvsadm' });
  assert.deepEqual(r, {
    ok: false,
    message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.",
    exitCode: 255,
    usage: true,
  });
});

// [argv, the start of vsd's message]
const VSD_REFUSALS: [string[], string][] = [
  [['-A', '-f', '10', '-p'], 'fwmark services (-f 10) are not supported by vsd'],
  [['-L', '-f', '1', '-6'], 'fwmark services (-f 1) are not supported by vsd'],
  [['-A', '--sctp-service', '10.0.0.1:80'], 'SCTP services are not supported by vsd'],
  [['--start-daemon', 'master'], 'connection sync daemons are not supported by vsd'],
  [['--stop-daemon', 'backup'], 'connection sync daemons are not supported by vsd'],
  [['-A', ...SVC, '-p', '--pe', 'sip'], "persistence engine `sip' is not supported by vsd"],
  [[...DEST, '-i', '--tun-type', 'gue', '--tun-port', '6080'], "tunnel type `gue' is not supported by vsd"],
  [['-A', ...SVC, '-b', 'flag-1'], 'scheduler flags -b flag-1 mean nothing to vsd'],
  [['-A', ...SVC, '-s', 'sh', '-b', 'flag-3'], 'scheduler flags -b flag-3 mean nothing to vsd'],
  [['-A', ...SVC, '-p', '-M', '255.0.255.0'], 'persistent mask -M 255.0.255.0 is not supported by vsd'],
  [['-E', ...SVC, '-p', '60', '-M', '0.0.0.255'], 'persistent mask -M 0.0.0.255 is not supported by vsd'],
];

for (const [argv, start] of VSD_REFUSALS) {
  test(`vsd refuses ${argv.join(' ')} with a clear message (exit 2)`, () => {
    const r = parseVsadmArgs(argv);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.ok(r.message.startsWith(start), r.message);
    assert.equal(r.exitCode, 2);
  });
}
