/**
 * The viewer's one script: `<script type="module" src="…/viewer/trailkeep-viewer.js">` defines
 * `<trailkeep-viewer>` (viewer.ts) with everything it needs, styles included.
 */
export { TrailkeepViewer } from './viewer.js';
