// `vsadm -h` and `vsadm -v`. The version line is ipvsadm 1.31's, because that is the behaviour vsadm
// copies and what scripts that check it expect. The help keeps ipvsadm's layout (version line, Usage
// with one synopsis per command, Commands, virtual-service, Options, Daemon Options) in vsadm's own
// words, and says which ipvsadm options vsd refuses.
import { SCHEDULER_NAMES } from '../../model/scheduler-names.ts';

export const VERSION_LINE = 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)';

export function versionText(): string {
  return `${VERSION_LINE}\n`;
}

export function usageText(program = 'vsadm'): string {
  const p = program;
  return `${VERSION_LINE}
Usage:
  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  ${p} -D virtual-service
  ${p} -C
  ${p} -R
  ${p} -S [-n]
  ${p} -a|e virtual-service -r server-address [options]
  ${p} -d virtual-service -r server-address
  ${p} -L|l [virtual-service] [options]
  ${p} -Z [virtual-service]
  ${p} --set tcp tcpfin udp
  ${p} --start-daemon {master|backup} [daemon-options]
  ${p} --stop-daemon {master|backup}
  ${p} -h

Commands:
Either long or short options are allowed; the command must come first.
  --add-service     -A        add a virtual service
  --edit-service    -E        replace a virtual service's settings
  --delete-service  -D        delete a virtual service and its real servers
  --clear           -C        delete every virtual service
  --restore         -R        read commands from stdin, one per line
  --save            -S        write the table to stdout as commands
  --add-server      -a        add a real server
  --edit-server     -e        replace a real server's settings
  --delete-server   -d        delete a real server
  --list            -L|-l     list the table
  --zero            -Z        zero the counters of one service, or of all
  --set tcp tcpfin udp        set connection timeouts in seconds (0 keeps one)
  --start-daemon              not supported by vsd (no sync daemon)
  --stop-daemon               not supported by vsd (no sync daemon)
  --help            -h        print this help

virtual-service:
  --tcp-service|-t  service-address   service-address is address[:port]
  --udp-service|-u  service-address   service-address is address[:port]
  --sctp-service    service-address   not supported by vsd
  --fwmark-service|-f fwmark          not supported by vsd

Options:
  --ipv6         -6                   fwmark entry uses IPv6 (not supported by vsd)
  --scheduler    -s scheduler         one of ${SCHEDULER_NAMES.join('|')},
                                      the default scheduler is wlc.
  --pe            engine              not supported by vsd
  --persistent   -p [timeout]         persistent service (default timeout 360 seconds)
  --netmask      -M netmask           persistence granularity mask
  --real-server  -r server-address    server-address is address[:port]
  --gatewaying   -g                   direct routing (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                ipip only in vsd (gue and gre are refused)
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of the real server (0-65535, default 1)
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   list the connection table
  --timeout                           list the timeouts (tcp tcpfin udp)
  --daemon                            list sync daemons (vsd runs none)
  --stats                             list counters
  --rate                              list rates
  --exact        -X                   print exact numbers (no K/M/G/T)
  --thresholds                        list thresholds
  --persistent-conn                   list persistence templates per real server
  --tun-info                          list tunnel information
  --nosort                            do not sort services and real servers
  --sort                              does nothing, kept for old scripts
  --ops          -o                   one-packet scheduling (UDP)
  --numeric      -n                   numeric addresses and ports (vsd never resolves names)
  --sched-flags  -b flags             scheduler flags, comma-separated (sh-fallback, sh-port, mh-fallback, mh-port)
Daemon Options:
  --syncid sid                        accepted with -L and ignored
  --sync-maxlen length                not supported by vsd
  --mcast-interface interface         not supported by vsd
  --mcast-group address               not supported by vsd
  --mcast-port port                   not supported by vsd
  --mcast-ttl ttl                     not supported by vsd
`;
}
