// ESLint (flat config): typescript-eslint with type information for TypeScript, eslint-config-prettier last so
// that formatting is Prettier's alone (`npm run lint` runs both; see .prettierrc).
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist.*/**',
      'node_modules/**',
      '.vscode-test/**',
      'artifacts/**',
      'test-results/**',
      'bench-results/**',
      'test/fixtures/**',
      'demo/**',
      'python/**',
      '**/*.d.ts',
    ],
  },
  // every file: the recommended rules (for .js/.mjs/.cjs too, without type information)
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // promises: every one awaited, returned, voided or caught; none passed where a void callback is expected
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (callback signatures, destructuring that drops a field)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // tests read untyped JSON (oracle files from scipy/numpy, CLI output): `any` is how they index into it
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // plain-Node scripts and CommonJS helpers
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
