// formatList: what `ipvsadm -L` prints for a VsadmSnapshot, byte for byte (FORMATS.md §1-§6), and
// listOutput, which adds the "No such service" failure of `-L -t addr:port`. Pure: the daemon supplies
// the snapshot and the caller writes the strings.
import { endpointText, left, uint, type NameLookup } from './cells.ts';
import { layoutOf, realServerLine, serviceLine, titleLines, type RowOptions } from './service-rows.ts';
import { sortedRealServers, sortedServices } from './sort.ts';
import type { ConnectionView, ListOptions, ServiceKey, ServiceView, VsadmSnapshot } from './types.ts';

export { formatSave } from './save.ts';

export interface FormatExtras {
  /** The kernel's IPVS version and connection table size in the header; vsd emulates mainline's. */
  header?: { version: string; size: number };
  /** Reverse lookups for non-numeric output; vsd passes none (see NameLookup). */
  names?: NameLookup;
}

export type FormatOptions = Partial<ListOptions> & FormatExtras;

const DEFAULT_HEADER = { version: '1.2.1', size: 4096 };

export function headerLine(header = DEFAULT_HEADER): string {
  return `IP Virtual Server version ${header.version} (size=${header.size})`;
}

export function findService(snapshot: VsadmSnapshot, key: ServiceKey): ServiceView | undefined {
  return snapshot.services.find(
    (s) => s.protocol === key.protocol && s.address === key.address && s.port === key.port,
  );
}

/** Every line ends in "\n"; "" when there is nothing to print (no daemon, or a missing service). */
export function formatList(snapshot: VsadmSnapshot, options: FormatOptions = {}): string {
  const numeric = options.numeric ?? false;
  const rows: RowOptions = {
    layout: layoutOf(options),
    numeric,
    exact: options.exact ?? false,
    names: options.names,
  };
  const sort = options.sort ?? true;
  let lines: string[];
  if (options.connection) {
    lines = connectionLines(snapshot.connections, options.persistentConn ?? false, numeric, options.names);
  } else if (options.service) {
    const service = findService(snapshot, options.service);
    lines = service ? [...titleLines(rows.layout), ...serviceBlock(service, rows, sort)] : [];
  } else if (options.timeout) {
    const t = snapshot.timeouts;
    lines = [`Timeout (tcp tcpfin udp): ${Math.trunc(t.tcp)} ${Math.trunc(t.tcpfin)} ${Math.trunc(t.udp)}`];
  } else if (options.daemon) {
    lines = [];
  } else {
    lines = [
      headerLine(options.header),
      ...titleLines(rows.layout),
      ...sortedServices(snapshot.services, sort).flatMap((s) => serviceBlock(s, rows, sort)),
    ];
  }
  return lines.map((l) => `${l}\n`).join('');
}

function serviceBlock(s: ServiceView, rows: RowOptions, sort: boolean): string[] {
  return [
    serviceLine(s, rows),
    ...sortedRealServers(s.realServers, sort).map((r) => realServerLine(s, r, rows)),
  ];
}

/** `-c`: unsorted, widths are minimums (long names push later columns right). */
function connectionLines(
  connections: readonly ConnectionView[],
  persistentConn: boolean,
  numeric: boolean,
  names: NameLookup | undefined,
): string[] {
  const title = persistentConn
    ? `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} ${left('destination', 18)} ${left('pe name', 16)} pe_data`
    : `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} destination`;
  return [
    'IPVS connection entries',
    title,
    ...connections.map((c) => {
      // Persistence templates are protocol "IP" in /proc/net/ip_vs_conn, so their ports get no names.
      const protocol = c.persistent ? undefined : c.protocol;
      const name = c.persistent ? 'IP' : c.protocol.toUpperCase();
      const end = (e: { address: string; port: number }) =>
        endpointText(e.address, e.port, protocol, numeric, names);
      const seconds = uint(Math.floor(c.expiresInSeconds));
      const expire = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
      return `${left(name, 3)} ${left(expire, 6)} ${left(c.state, 11)} ${left(end(c.client), 18)} ${left(end(c.virtual), 18)} ${end(c.real)}`;
    }),
  ];
}

export interface ListOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The whole result of a list command, including ipvsadm's failure for a service that does not exist. */
export function listOutput(
  snapshot: VsadmSnapshot,
  options: ListOptions,
  extras: FormatExtras = {},
): ListOutput {
  if (!options.connection && options.service && !findService(snapshot, options.service))
    return { stdout: '', stderr: 'No such service\n', exitCode: 1 };
  return { stdout: formatList(snapshot, { ...options, ...extras }), stderr: '', exitCode: 0 };
}
