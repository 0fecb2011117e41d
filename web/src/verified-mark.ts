import { css, html } from 'lit';
import type { Verdict } from './verify/verify.js';

/** The verified mark of the details dialog: what the browser's own check of the event found. */

export type MarkState = Verdict | { state: 'checking' } | { state: 'unavailable'; reason: string };

export const markStyles = css`
  .mark {
    display: flex;
    gap: 0.5rem;
    align-items: flex-start;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--tk-border);
    border-radius: var(--tk-radius);
    background: var(--tk-surface);
  }
  .mark .icon {
    font-weight: 700;
  }
  .mark.verified .icon,
  .mark.verified strong {
    color: var(--tk-success);
  }
  .mark.failed .icon,
  .mark.failed strong {
    color: var(--tk-danger);
  }
  .mark.pending .icon,
  .mark.pending strong {
    color: var(--tk-warning);
  }
`;

const TEXT: Record<MarkState['state'], { icon: string; title: string }> = {
  checking: { icon: '…', title: 'Checking' },
  verified: { icon: '✓', title: 'Verified' },
  pending: { icon: '◷', title: 'Not yet checkpointed' },
  failed: { icon: '✗', title: 'Verification failed' },
  unavailable: { icon: '?', title: 'Not checked' },
};

function detail(mark: MarkState): string {
  switch (mark.state) {
    case 'checking':
      return 'recomputing its hash and proving it against the signed log…';
    case 'verified':
      return `its content gives its hash, and its inclusion proof leads to the root of the log’s signed checkpoint of ${mark.size.toLocaleString('en-US')} events.`;
    case 'pending':
      return `${mark.reason}; checking again shortly.`;
    default:
      return `${mark.reason}.`;
  }
}

export function verifiedMark(mark: MarkState) {
  const { icon, title } = TEXT[mark.state];
  return html`<div class="mark ${mark.state}" role="status" data-state=${mark.state}>
    <span class="icon" aria-hidden="true">${icon}</span>
    <span><strong>${title}</strong>: ${detail(mark)}</span>
  </div>`;
}
