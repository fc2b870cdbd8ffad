// Port names accepted in addr:port, so that `ipvsadm -S` dumps written without -n (":http") restore.
// ipvsadm reads /etc/services; vsadm stays pure and knows the common entries of Debian's file.
// Listings never print names (vsd does no lookups), so this table is for input only.

export const PORT_NAMES: Readonly<Record<string, { port: number; protocols: readonly string[] }>> = {
  ftp: { port: 21, protocols: ['tcp'] },
  ssh: { port: 22, protocols: ['tcp'] },
  telnet: { port: 23, protocols: ['tcp'] },
  smtp: { port: 25, protocols: ['tcp'] },
  domain: { port: 53, protocols: ['tcp', 'udp'] },
  http: { port: 80, protocols: ['tcp'] },
  www: { port: 80, protocols: ['tcp'] },
  pop3: { port: 110, protocols: ['tcp'] },
  ntp: { port: 123, protocols: ['udp'] },
  imap2: { port: 143, protocols: ['tcp'] },
  snmp: { port: 161, protocols: ['tcp', 'udp'] },
  ldap: { port: 389, protocols: ['tcp'] },
  https: { port: 443, protocols: ['tcp', 'udp'] },
  submission: { port: 587, protocols: ['tcp'] },
  ldaps: { port: 636, protocols: ['tcp'] },
  imaps: { port: 993, protocols: ['tcp'] },
  pop3s: { port: 995, protocols: ['tcp'] },
  mysql: { port: 3306, protocols: ['tcp'] },
  postgresql: { port: 5432, protocols: ['tcp'] },
  'http-alt': { port: 8080, protocols: ['tcp'] },
};
