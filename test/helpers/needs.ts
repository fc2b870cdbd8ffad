// What a test needs from the machine (root, network namespaces, a tool, Chromium) and what happens
// when it is missing: locally the test is skipped with the reason; in CI (CI=true), where .ci/run
// installs everything listed here, it fails with the reason, so a green CI run means these tests ran.
// .ci/run asks missingPackages() what to install, so CI and the tests look tools up the same way.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sweepStaleLabs } from './netlab-sweep.ts';

/** Every tool a test calls, itself or through vsd, and the Debian packages that bring it. */
export const TOOLS = {
  ip: ['iproute2'],
  nft: ['nftables'],
  sysctl: ['procps'],
  conntrack: ['conntrack'],
  openssl: ['openssl'],
  chromium: ['chromium', 'fonts-liberation'],
} as const satisfies Record<string, readonly string[]>;
export type Tool = keyof typeof TOOLS;

/** What is missing, in words, or false when nothing is. */
export type Missing = string | false;

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

const found = new Map<Tool, string | undefined>();

/** Where `tool` is, found as a shell finds it (`command -v`), or undefined. */
export function toolPath(tool: Tool): string | undefined {
  if (!found.has(tool)) {
    let path: string | undefined;
    try {
      path = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      path = undefined;
    }
    found.set(tool, path);
  }
  return found.get(tool);
}

/** The first of `tools` that is not installed, with the packages that bring it. */
export function tools(...names: Tool[]): Missing {
  for (const name of names) {
    if (!toolPath(name)) return `${name} is not installed (apt-get install ${TOOLS[name].join(' ')})`;
  }
  return false;
}

export function root(why: string): Missing {
  return process.getuid?.() === 0 ? false : `needs root (${why})`;
}

/** `nft -c` (check a ruleset without loading it): root and nft, no namespace. */
export function nftCheck(): Missing {
  return root('nft -c needs CAP_NET_ADMIN') || tools('nft');
}

/** Chromium for the dashboard test: CHROMIUM_PATH when set, else chromium on PATH. */
export function chromiumPath(): string | undefined {
  return process.env.CHROMIUM_PATH ?? toolPath('chromium');
}

export function browser(): Missing {
  const path = process.env.CHROMIUM_PATH;
  if (path === undefined) return tools('chromium');
  return existsSync(path) ? false : `CHROMIUM_PATH is ${path}, which does not exist`;
}

let namespaces: Missing | undefined;

/**
 * What netlab tests need: root, ip, nft and sysctl (each lab calls them), the `more` tools the test
 * calls, and a network namespace that can really be made and removed. The first call in a process
 * also removes the labs a crashed earlier run left behind.
 */
export function netlab(...more: Tool[]): Missing {
  const missing = root('network namespaces, nftables') || tools('ip', 'nft', 'sysctl', ...more);
  if (missing) return missing;
  namespaces ??= probeNamespace();
  return namespaces;
}

function probeNamespace(): Missing {
  sweepStaleLabs();
  const name = `vsdt${process.pid}xprobe`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot create a network namespace (ip netns add: ${stderr || String(e)})`;
  }
  execFileSync('ip', ['netns', 'delete', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  return false;
}

/**
 * Options for test() or t.test() from what a test needs. Nothing missing: none. Locally: a skip with
 * the reason. In CI: the test fails at once with the reason (its signal is already aborted, so the
 * body never runs and the run's exit status is a failure).
 */
export function needs(...missing: Missing[]): { skip?: string; signal?: AbortSignal } {
  const reason = missing.find((m): m is string => m !== false);
  if (reason === undefined) return {};
  if (!inCI) return { skip: reason };
  return { signal: AbortSignal.abort(new Error(`CI must run this test, but ${reason}`)) };
}

/** The Debian packages that bring the tools not installed here (what .ci/run installs). */
export function missingPackages(): string[] {
  const names = Object.keys(TOOLS) as Tool[];
  return names.filter((t) => !toolPath(t)).flatMap((t) => [...TOOLS[t]]);
}
