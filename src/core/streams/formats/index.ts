import type { StreamFormatName } from '../stream.js';
import { cloudevents } from './cloudevents.js';
import { native } from './native.js';
import { ocsf } from './ocsf.js';
import type { StreamFormat } from './types.js';

/** Every format a stream can write, by name. */
export const FORMATS: Record<StreamFormatName, StreamFormat> = { native, ocsf, cloudevents };
