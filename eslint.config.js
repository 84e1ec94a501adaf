import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-e2e',
      'node_modules',
      'public/models',
      'test-results',
      'playwright-report',
      'bench/results',
      '.gpu',
    ],
  },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ['**/*.{ts,tsx}'],
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.browser, ...globals.worker } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.node, ...globals.browser } },
  },
  // React never talks to a worker directly: only the bridge class (ML worker) and the list parser
  // (URL-list worker) may call postMessage.
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    ignores: ['src/ui/bridge.ts', 'src/ui/data/list-parser.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { property: 'postMessage', message: 'Send commands through WorkerBridge (src/ui/bridge.ts).' },
      ],
    },
  },
);
