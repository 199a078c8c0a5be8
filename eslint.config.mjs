// @ts-check
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/out-tsc/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/*.mjs',
      '**/vitest.config.ts',
      'vitest.config.ts',
      'vitest.shared.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          // Lazy loading matters to bundlers; this is server code loaded by Node.
          checkDynamicDependenciesExceptions: ['.*'],
          depConstraints: [
            { sourceTag: 'type:kit', onlyDependOnLibsWithTags: ['type:kit'] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:kit', 'type:core'] },
            { sourceTag: 'type:provider', onlyDependOnLibsWithTags: ['type:kit', 'type:core'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:tool', 'type:kit', 'type:core'] },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:kit', 'type:core', 'type:tool', 'type:provider'],
            },
          ],
        },
      ],
    },
  },
  {
    // client-node's generated API code costs the agent ~90 MB of RSS and ~0.85 s of start-up: the
    // runtime code may use its object types, never its values (core's KubeClient sends requests).
    files: ['packages/core/src/**/*.ts', 'packages/provider-kit/src/**/*.ts', 'providers/*/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@kubernetes/client-node',
              message:
                'Only `import type` from client-node in runtime code (its API code costs ~90 MB RSS); send requests with KubeClient.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // z.enum's inferred type lists its values in an order that changes between builds, and with it the
    // declarations and API reports of the published packages; enumSchema keeps the order as written.
    files: ['packages/*/src/**/*.ts', 'providers/*/src/**/*.ts'],
    ignores: ['packages/provider-kit/src/plugin/enum-schema.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name='enum']",
          message:
            'Use enumSchema from @vkubelet/provider-kit: z.enum makes the API report change from build to build.',
        },
      ],
    },
  },
  {
    // Command entry points: plain JavaScript that any Node.js parses (they check the version before
    // loading the TypeScript build), outside every tsconfig.
    files: ['**/bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly' },
    },
  },
  {
    // Tests (and benchmarks) may use the test tooling; the libraries themselves may not.
    files: ['**/tests/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          // Lazy loading matters to bundlers; this is server code loaded by Node.
          checkDynamicDependenciesExceptions: ['.*'],
          depConstraints: [
            { sourceTag: 'type:kit', onlyDependOnLibsWithTags: ['type:kit', 'type:tool'] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:kit', 'type:core', 'type:tool'] },
            { sourceTag: 'type:provider', onlyDependOnLibsWithTags: ['type:kit', 'type:core', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:tool', 'type:kit', 'type:core'] },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:kit', 'type:core', 'type:tool', 'type:provider'],
            },
          ],
        },
      ],
    },
  },
);
