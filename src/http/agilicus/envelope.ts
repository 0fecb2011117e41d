import { clientFieldName, dialectErrors } from '../envelope.js';

/**
 * Agilicus `ErrorMessage`: `{"error_code","error_message"}`. `error_code` is the catalogue code
 * (`invalid_request`, `unauthorized`, `forbidden`, …); a 400 names every parameter it rejects.
 */
export const agilicusErrors = dialectErrors({
  challenge: 'Bearer',
  body: (e, _req, problems) => ({
    error_code: e.code,
    error_message: problems.length
      ? problems.map((p) => `${clientFieldName(p.path)} ${p.message}`.trim()).join('; ')
      : e.message,
  }),
});
