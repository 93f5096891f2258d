import * as assert from 'assert';
import { decideOpen } from '../../src/platform/panelPolicy';

// The panel host's preview pages (VS Code's preview editors): which panel an open goes to.
describe('panel host: opening with and without preview', () => {
  const none = { keyOpen: false, keyIsPreview: false, previewOpen: false };

  it('a first open creates a panel, a preview when asked', () => {
    assert.deepStrictEqual(decideOpen({ ...none, preview: false }), { action: 'create', pin: false, asPreview: false });
    assert.deepStrictEqual(decideOpen({ ...none, preview: true }), { action: 'create', pin: false, asPreview: true });
  });

  it('the next preview open re-targets the preview panel; a plain open leaves it alone and opens its own', () => {
    const previewOpen = { ...none, previewOpen: true };
    assert.deepStrictEqual(decideOpen({ ...previewOpen, preview: true }), {
      action: 'retarget',
      pin: false,
      asPreview: true,
    });
    assert.deepStrictEqual(decideOpen({ ...previewOpen, preview: false }), {
      action: 'create',
      pin: false,
      asPreview: false,
    });
  });

  it("opening the preview's own key from elsewhere keeps (pins) it; a preview click on it leaves it a preview", () => {
    const same = { keyOpen: true, keyIsPreview: true, previewOpen: true };
    assert.deepStrictEqual(decideOpen({ ...same, preview: false }), { action: 'reveal', pin: true, asPreview: false });
    assert.deepStrictEqual(decideOpen({ ...same, preview: true }), { action: 'reveal', pin: false, asPreview: true });
  });

  it('a key open in a kept panel is revealed, with or without preview, and never pins the preview', () => {
    for (const preview of [true, false]) {
      for (const previewOpen of [true, false]) {
        assert.deepStrictEqual(decideOpen({ keyOpen: true, keyIsPreview: false, previewOpen, preview }), {
          action: 'reveal',
          pin: false,
          asPreview: false,
        });
      }
    }
  });
});
