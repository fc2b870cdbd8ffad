// The Checker interface: one kind of probe, run against one target at a time. Implementations live in
// ./checkers/ and never throw: errors and timeouts come back as ok:false with a coded reason and a
// detail saying why in words.

/** What to probe: the real server's address and port, or the check's connect_address/connect_port. */
export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
}

/** Administrative state a check may report (the HAProxy agent vocabulary). */
export type ReportedState = 'up' | 'down' | 'drain' | 'maint';

/** Why a check failed, for code and tests to branch on; the detail says it in words for people. */
export type CheckFailure =
  /** Connection refused; for udp and dns, an ICMP port unreachable. */
  | 'refused'
  /** No route to the host or its network. */
  | 'unreachable'
  /** The peer reset the connection. */
  | 'reset'
  /** No verdict within the check's timeout (`stage` says where it was). */
  | 'timeout'
  /** Stopped by the monitor (target removed, monitor closing) before a verdict. */
  | 'aborted'
  /** The peer closed the connection before the reply the check waits for. */
  | 'closed'
  /** The TLS handshake failed (certificate, protocol). */
  | 'tls'
  /** http: a status outside expect_status (`status` has it). */
  | 'status'
  /** http: the body lacks expect_body, does not match expect_body_regex or expect_digest, or is too big. */
  | 'body'
  /** tcp, udp: the reply lacks `expect`. */
  | 'mismatch'
  /** dns: an rcode outside expect_rcodes (`rcode` has it). */
  | 'rcode'
  /** A reply that cannot be understood: a bad DNS packet or id, an agent line with no meaning, too long. */
  | 'malformed'
  /** agent: the agent reported down, fail, stopped or maint (`state` has it). */
  | 'agent-state'
  /** exec: the command exited 1 or was killed by a signal (`exitCode` has the code when it exited). */
  | 'exit'
  /** exec: the command could not be started. */
  | 'spawn'
  /** Another socket or system error (the detail names it). */
  | 'error'
  /** The checker threw or never settled: a bug, caught by the monitor. */
  | 'checker';

/** Where a connection-based probe was when it ended. */
export type ProbeStage = 'connect' | 'tls' | 'reply' | 'body';

export interface CheckResult {
  readonly ok: boolean;
  /** Set when not ok. */
  readonly reason?: CheckFailure;
  /** tcp, http(s), agent: how far the probe got (set on failures). */
  readonly stage?: ProbeStage;
  /** Step by step: `http GET 10.0.0.5:80/health: status 503 after 12 ms (expected 200-299)`. */
  readonly detail: string;
  readonly latencyMs: number;
  /** The system or TLS error code behind `reason`, when there is one: ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT. */
  readonly errorCode?: string;
  /** http(s): the response status. */
  readonly status?: number;
  /** dns: the reply's rcode name (NOERROR, NXDOMAIN, ...). */
  readonly rcode?: string;
  /** exec: the command's exit code. */
  readonly exitCode?: number;
  /** An absolute weight (exec exit code - 2, agent `weight:N` or a bare number). */
  readonly weight?: number;
  /** A weight relative to the configured one, in percent (agent `75%`). */
  readonly weightPercent?: number;
  readonly state?: ReportedState;
}

export interface Checker {
  /** Resolves (never rejects) when the probe is done, or soon after `signal` aborts. */
  check(target: ProbeTarget, signal: AbortSignal): Promise<CheckResult>;
}
