// Engine events become log lines; the level says how much an operator should care.
import type { EngineEvent } from '../director/types.ts';
import type { Logger } from './logger.ts';

export function logEngineEvent(log: Logger, event: EngineEvent): void {
  switch (event.type) {
    case 'listening':
      log.info(event, 'listening');
      break;
    case 'listen-failed':
      log.warn(event, event.message);
      break;
    case 'connect-failed':
      log.warn(event, `connect to real server ${event.realServer} failed: ${event.reason}`);
      break;
    case 'session-refused':
      log.warn(event, `UDP session refused: ${event.reason} (${event.refused} since the last such line)`);
      break;
    case 'loop-refused':
      log.error(
        event,
        `connection from vsd's own upstream socket reset: a real server of this service leads back to vsd (${event.refused} since the last such line)`,
      );
      break;
    case 'no-real-server':
      log.warn(event, 'no usable real server: client reset');
      break;
    case 'worker-exited':
      log.error(
        event,
        `proxy worker ${event.worker} (pid ${event.pid}) exited (${event.signal ?? `code ${event.code}`}); its connections are lost, restarting in ${event.restartInMs} ms`,
      );
      break;
    case 'kernel-failed':
      log.error(event, `kernel engine: ${event.message}`);
      break;
  }
}
