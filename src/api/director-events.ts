// Which Director events the event stream (SSE) carries, and what each one sends: one table.
import type { Director, DirectorEvents } from '../director/director.ts';

type Publish = (event: string, data: unknown) => void;
/** 'changed' carries the whole config (with the token): it never goes out; 'reloaded' says what changed. */
type Streamed = Exclude<keyof DirectorEvents, 'changed'>;
type EventTable = { readonly [K in Streamed]: (...args: DirectorEvents[K]) => unknown };

const EVENTS: EventTable = {
  reloaded: (plan) => plan,
  drained: (service, realServer) => ({ service, realServer }),
  retired: (service) => ({ service }),
  health: (service, realServer, status) => ({ service, realServer, ...status }),
  quorum: (service, lost) => ({ service, lost }),
};

/** Publishes every event of the table while subscribed; returns the unsubscribe. */
export function bridgeDirectorEvents(director: Director, publish: Publish): () => void {
  const names = Object.keys(EVENTS) as Streamed[];
  const listeners = names.map((event) => {
    const toData = EVENTS[event] as (...args: unknown[]) => unknown;
    const listener = (...args: unknown[]) => publish(event, toData(...args));
    director.on(event, listener);
    return () => director.off(event, listener);
  });
  return () => listeners.forEach((off) => off());
}
