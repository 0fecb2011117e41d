import { agilicus } from './agilicus/index.js';
import type { Dialect } from './dialect.js';
import { genesys } from './genesys/index.js';
import { livePerson } from './liveperson/index.js';
import { native } from './native/index.js';
import { zendesk } from './zendesk/index.js';

/**
 * Every API dialect, in the order buildApp registers them. A new dialect is a folder under
 * src/http/ whose index.ts holds its descriptor, added here; the app, the envelope of errors
 * raised before routing and the OpenAPI documents all follow this list.
 */
export const DIALECTS: readonly Dialect[] = [native, genesys, zendesk, agilicus, livePerson];

/** The dialect whose envelope answers every path no other dialect owns: ops routes, unknown paths. */
export const APP_DIALECT: Dialect = native;
