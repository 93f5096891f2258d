// What opening a panel does when panels of its kind are already open (no vscode import: unit-tested). A panel
// opened as a *preview* behaves like VS Code's preview editors: the next preview open shows its state in the same
// tab, and the preview is kept (pinned) once the user works in it or opens its state from anywhere else.

/** reveal: the panel with this key is open; retarget: reuse the preview panel; create: open a new panel */
export type OpenAction = 'reveal' | 'retarget' | 'create';

export interface OpenSituation {
  /** a panel with the requested key is open */
  readonly keyOpen: boolean;
  /** that panel (when open) is the preview panel */
  readonly keyIsPreview: boolean;
  /** a preview panel is open (with any key) */
  readonly previewOpen: boolean;
  /** the caller asks for a preview */
  readonly preview: boolean;
}

export interface OpenDecision {
  readonly action: OpenAction;
  /** the preview panel stops being a preview (it is kept) */
  readonly pin: boolean;
  /** the panel opened or retargeted is (still) the preview */
  readonly asPreview: boolean;
}

export function decideOpen(s: OpenSituation): OpenDecision {
  if (s.keyOpen) {
    // opening a previewed state from anywhere else keeps its page; another preview click leaves it a preview
    const pin = s.keyIsPreview && !s.preview;
    return { action: 'reveal', pin, asPreview: s.keyIsPreview && !pin };
  }
  if (s.preview && s.previewOpen) {
    return { action: 'retarget', pin: false, asPreview: true };
  }
  return { action: 'create', pin: false, asPreview: s.preview };
}
