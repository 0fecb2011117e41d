import type { StreamFormatName } from '../stream.js';
import { native } from './native.js';
import type { StreamFormat } from './types.js';

/** Every format a stream can write, by name. */
export const FORMATS: Partial<Record<StreamFormatName, StreamFormat>> = { native };
