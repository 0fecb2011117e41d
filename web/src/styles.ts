import { css } from 'lit';

/**
 * The theme: every colour, font and radius the viewer uses, each overridable by the host page
 * with a documented `--trailkeep-*` custom property (docs/viewer.md), which crosses the shadow
 * boundary as custom properties do. Defaults are `light-dark()` pairs, so one `color-scheme`
 * (from the `theme` attribute, or the system's preference under `auto`) picks the palette; a
 * host may set its own pairs the same way. Contrast of every text colour on its background is at
 * least 4.5:1 in both palettes (checked by axe-core in the tests).
 */
export const theme = css`
  :host {
    color-scheme: light dark;
    --tk-bg: var(--trailkeep-bg, light-dark(#ffffff, #0f1419));
    --tk-surface: var(--trailkeep-surface, light-dark(#f6f8fa, #161b22));
    --tk-fg: var(--trailkeep-fg, light-dark(#1f2328, #e6edf3));
    --tk-muted: var(--trailkeep-muted, light-dark(#59636e, #9198a1));
    --tk-border: var(--trailkeep-border, light-dark(#d1d9e0, #3d444d));
    --tk-accent: var(--trailkeep-accent, light-dark(#0969da, #4493f8));
    --tk-accent-fg: var(--trailkeep-accent-fg, light-dark(#ffffff, #0f1419));
    --tk-hover: var(--trailkeep-hover, light-dark(#eef3f8, #1c2330));
    --tk-selected: var(--trailkeep-selected, light-dark(#ddf4ff, #1f3048));
    --tk-danger: var(--trailkeep-danger, light-dark(#cf222e, #ff7b72));
    --tk-success: var(--trailkeep-success, light-dark(#1a7f37, #3fb950));
    --tk-warning: var(--trailkeep-warning, light-dark(#9a6700, #d29922));
    --tk-removed: var(--trailkeep-removed, light-dark(#ffebe9, #3c1618));
    --tk-added: var(--trailkeep-added, light-dark(#dafbe1, #12261e));
    --tk-focus: var(--trailkeep-focus, light-dark(#0969da, #4493f8));
    --tk-font: var(--trailkeep-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --tk-mono: var(--trailkeep-mono-font, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --tk-font-size: var(--trailkeep-font-size, 14px);
    --tk-radius: var(--trailkeep-radius, 6px);
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
`;

/** What every component shares: box sizing, controls, the focus ring, text for screen readers only. */
export const base = css`
  :host {
    font-family: var(--tk-font);
    font-size: var(--tk-font-size);
    color: var(--tk-fg);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  :focus-visible {
    outline: 2px solid var(--tk-focus);
    outline-offset: 2px;
  }
  button,
  input,
  select {
    font: inherit;
    color: inherit;
  }
  button,
  select,
  input {
    min-height: 2.25rem;
    padding: 0.25rem 0.75rem;
    border: 1px solid var(--tk-border);
    border-radius: var(--tk-radius);
    background: var(--tk-surface);
  }
  button,
  select {
    cursor: pointer;
  }
  button:hover,
  select:hover {
    background: var(--tk-hover);
  }
  button.primary {
    background: var(--tk-accent);
    border-color: var(--tk-accent);
    color: var(--tk-accent-fg);
  }
  button.primary:hover {
    filter: brightness(1.08);
  }
  button.link {
    border: none;
    background: none;
    padding: 0;
    min-height: 0;
    color: var(--tk-accent);
    text-decoration: underline;
  }
  input {
    padding-inline: 0.5rem;
    background: var(--tk-bg);
  }
  code,
  pre {
    font-family: var(--tk-mono);
  }
  a {
    color: var(--tk-accent);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
  .error {
    color: var(--tk-danger);
  }
  .muted {
    color: var(--tk-muted);
  }
`;
