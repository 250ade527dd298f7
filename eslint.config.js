import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='test'][callee.property.name='only']", message: 'No .only' },
        { selector: "CallExpression[callee.object.name='it'][callee.property.name='only']", message: 'No .only' },
        { selector: "CallExpression[callee.object.name='describe'][callee.property.name='only']", message: 'No .only' },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
  },
  {
    // The engine runs in plain Node: Electron must never be imported there.
    files: ['electron/engine/**', 'electron/host/**', 'electron/cli/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] },
  },
  {
    // The renderer gets nothing of Node: only the contract.
    files: ['renderer/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['node:*', 'electron', '**/electron/**'] }] },
  },
);
