// Imported first by src/extension.ts: the moment the extension bundle started to evaluate, so the reported
// activation time covers loading the bundle as well as activate().
export const bundleLoadStart = performance.now();
