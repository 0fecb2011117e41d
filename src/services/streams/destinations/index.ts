import { type TObject, Type } from 'typebox';
import type { DestinationType } from '../../../core/streams/stream.js';
import { datadog } from './datadog.js';
import { s3 } from './s3.js';
import { splunkHec } from './splunk-hec.js';
import { syslog } from './syslog.js';
import type { DestinationModule } from './types.js';
import { webhook } from './webhook.js';

/** Every destination a stream can have, by its `type`. */
export const DESTINATIONS: Partial<Record<DestinationType, DestinationModule>> = {
  webhook,
  splunk_hec: splunkHec,
  datadog,
  s3,
  syslog,
};

/** `destination` in POST /v1/streams: one of the destinations' settings, told apart by `type`. */
export const DestinationSchema = Type.Union(
  Object.entries(DESTINATIONS).map(([type, d]) =>
    Type.Object(
      { type: Type.Literal(type), ...(d.settings as TObject).properties },
      { additionalProperties: false },
    ),
  ),
);
