import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', '.test-cache/', 'test-output/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  { files: ['scripts/**', 'bench/**', 'src/cli/**'], rules: { 'no-console': 'off' } },
  {
    files: ['*.js', '*.cjs', 'scripts/*.cjs'],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
  },
  // The dashboard page runs in the browser with Leaflet (L) and Chart.js loaded by script tags.
  {
    files: ['src/dashboard/public/**/*.js'],
    languageOptions: {
      globals: { ...globals.browser, L: 'readonly', Chart: 'readonly' },
      sourceType: 'script',
    },
  },
);
