// Replaced at build time by esbuild's `define` with package.json's version.
declare const __MLSIGHT_VERSION__: string | undefined;
export const VERSION: string = typeof __MLSIGHT_VERSION__ === 'string' ? __MLSIGHT_VERSION__ : '0.0.0-dev';
