// `vsd agent`'s running part: starts the load agent (src/capacity/load-agent.ts) and keeps it until
// SIGTERM, SIGINT or the caller's abort signal. The command line lives in src/cli/agent.ts.
import { formatEndpoint } from '../model/address.ts';
import { startLoadAgent, type LoadAgentOptions } from '../capacity/load-agent.ts';

export { LOAD_FORMULAS, parseFormula } from '../capacity/load-formula.ts';
export type { LoadAgentOptions };

export interface AgentHooks {
  /** Called once the agent listens, with where and the line it would answer now. */
  readonly onListening: (endpoint: string, answer: string) => void;
  /** Stops the agent like SIGTERM does (for tests and embedding). */
  readonly signal?: AbortSignal | undefined;
}

/** Resolves when the agent has stopped; rejects (before listening) when it cannot start. */
export async function runLoadAgent(options: LoadAgentOptions, hooks: AgentHooks): Promise<void> {
  const agent = await startLoadAgent(options);
  hooks.onListening(formatEndpoint(agent.host, agent.port), await agent.answer());
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      hooks.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    if (hooks.signal?.aborted) stop();
    else hooks.signal?.addEventListener('abort', stop, { once: true });
  });
  await agent.close();
}
