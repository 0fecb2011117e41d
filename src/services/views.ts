import { type ViewRequest, viewEvent } from '../core/viewer.js';
import type { ViewerPrincipal } from './auth/principal.js';
import type { EventService } from './events.js';

/**
 * Records reads through viewer tokens (docs/embedding.md) as `audit.log.view` events of their
 * tenant, through the one ingest path: each gets its seq, its hash and its leaf in the
 * tamper-evident log like any other event.
 */
export class ViewRecorder {
  constructor(
    private readonly events: Pick<EventService, 'ingest'>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Resolves once the view is committed. */
  async record(viewer: ViewerPrincipal, view: ViewRequest): Promise<void> {
    await this.events.ingest(viewer.tenant, [viewEvent(viewer, view, this.clock())], () => '$');
  }
}
