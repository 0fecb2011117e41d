import type { AppendResult, EventStore } from './types.js';

/** Every engine's `append`: the one-group case of its `appendGroups`. */
export const appendOne =
  (appendGroups: EventStore['appendGroups']): EventStore['append'] =>
  async (tenant, events, receivedAt) =>
    (await appendGroups([{ tenant, events }], receivedAt))[0] as AppendResult[];
