import { dialectErrors } from '../envelope.js';

/** Trailkeep's own error envelope: `{"error":{"code","message","details"},"request_id"}`. */
export const nativeErrors = dialectErrors({
  challenge: 'Bearer',
  body: (e, req) => ({
    error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
    request_id: req.id,
  }),
});
