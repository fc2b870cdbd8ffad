// Coded errors become JSON with an HTTP status; callers branch on `error.code`.
import { isVsdError, type ErrorCode } from '../model/errors.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  VSD_ERR_CONFIG_INVALID: 400,
  VSD_ERR_CONFIG_PARSE: 400,
  VSD_ERR_BAD_REQUEST: 400,
  VSD_ERR_REAL_SERVER_LOOP: 400,
  VSD_ERR_SCHEDULER_UNKNOWN: 400,
  VSD_ERR_UNAUTHORIZED: 401,
  VSD_ERR_NOT_FOUND: 404,
  VSD_ERR_REAL_SERVER_NOT_FOUND: 404,
  VSD_ERR_EXISTS: 409,
  VSD_ERR_LISTEN: 409,
  VSD_ERR_ENGINE_UNSUPPORTED: 422,
  VSD_ERR_RELOAD_REFUSED: 409,
};

export interface ErrorBody {
  error: { code: string; message: string; details: readonly string[] };
}

export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (isVsdError(err)) {
    return {
      status: STATUS[err.code] ?? 500,
      body: { error: { code: err.code, message: err.message, details: err.details } },
    };
  }
  const e = err as { statusCode?: number; message?: string; code?: string };
  // Fastify's own request errors (bad JSON, wrong content type, body too large) are the client's.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      status: e.statusCode,
      body: { error: { code: 'VSD_ERR_BAD_REQUEST', message: e.message ?? 'bad request', details: [] } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'VSD_ERR_API', message: e.message ?? String(err), details: [] } },
  };
}
