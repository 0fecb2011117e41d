import { css, html, LitElement, nothing } from 'lit';
import { base } from './styles.js';

/**
 * The page's sign-in form: paste a key or token for the server the page is served by. The
 * credential stays in this tab's session storage, never in the URL. Emits `sign-in` (detail:
 * `{ token }`); the viewer checks it and sets `message` when the server refuses it.
 */
export class SignIn extends LitElement {
  static override properties = {
    server: {},
    message: {},
    busy: { type: Boolean },
  };

  declare server: string;
  declare message: string;
  declare busy: boolean;

  constructor() {
    super();
    this.server = '';
    this.message = '';
    this.busy = false;
  }

  static override styles = [
    base,
    css`
      :host {
        display: grid;
        place-items: center;
        padding: 2rem 1rem;
      }
      form {
        width: min(28rem, 100%);
        padding: 1.5rem;
        border: 1px solid var(--tk-border);
        border-radius: var(--tk-radius);
        background: var(--tk-surface);
      }
      h2 {
        margin: 0 0 0.5rem;
      }
      label {
        display: block;
        margin: 1rem 0 0.35rem;
        font-weight: 600;
      }
      input {
        width: 100%;
        font-family: var(--tk-mono);
      }
      .actions {
        margin-top: 1rem;
      }
      p {
        margin: 0.5rem 0 0;
      }
    `,
  ];

  focusInput(): void {
    this.renderRoot.querySelector('input')?.focus();
  }

  private submit(e: Event): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input');
    const token = input?.value.trim() ?? '';
    if (token === '') return;
    this.dispatchEvent(new CustomEvent('sign-in', { detail: { token } }));
  }

  override render() {
    return html`<form @submit=${this.submit} aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in</h2>
      <p class="muted">to read the audit events of <strong>${this.server}</strong>.</p>
      <label for="token">API key or access token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="off"
        required
        aria-describedby=${this.message ? 'sign-in-message' : nothing}
      />
      <p class="muted">It needs <code>events:read</code>. It is kept in this tab only, until you sign out or close it.</p>
      ${this.message ? html`<p id="sign-in-message" class="error" role="alert">${this.message}</p>` : nothing}
      <div class="actions">
        <button type="submit" class="primary" ?disabled=${this.busy}>Sign in</button>
      </div>
    </form>`;
  }
}

if (!customElements.get('trailkeep-sign-in')) customElements.define('trailkeep-sign-in', SignIn);
