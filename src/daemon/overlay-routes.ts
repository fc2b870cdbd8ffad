// The runtime overlay on the control API: GET /api/v1/overlay shows it (what `vsd diff` prints),
// DELETE /api/v1/overlay forgets it (vsadm -C, vsd save); the running state is left as it is.
import type { FastifyInstance } from 'fastify';
import type { RuntimeOverlay } from './runtime-overlay.ts';

export function overlayRoutes(overlay: RuntimeOverlay): (app: FastifyInstance) => void {
  return (app) => {
    app.get('/api/v1/overlay', () => overlay.document);
    app.delete('/api/v1/overlay', async () => {
      overlay.clear();
      await overlay.flushed();
      return overlay.document;
    });
  };
}
