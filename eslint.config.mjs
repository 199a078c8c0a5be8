// @ts-check
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// client-node's generated API code costs the agent ~90 MB of RSS and ~0.85 s of start-up: the
// runtime code may use its object types, never its values (core's KubeClient sends requests).
const CLIENT_NODE_TYPES_ONLY = {
  name: '@kubernetes/client-node',
  message:
    'Only `import type` from client-node in runtime code (its API code costs ~90 MB RSS); send requests with KubeClient.',
  allowTypeImports: true,
};

// The guide's "one way to do each thing", for what a linter can see. Restated in every
// no-restricted-syntax block below: a later block's options replace an earlier one's.
const ONE_WAY_SYNTAX = [
  {
    selector:
      "MemberExpression[property.name='message'] > TSAsExpression.object[typeAnnotation.typeName.name='Error']",
    message: 'Use errorMessage(err) from @vkubelet/provider-kit: a thrown non-Error has no .message.',
  },
  {
    selector:
      "ConditionalExpression[test.operator='instanceof'][test.right.name='Error'][consequent.property.name='message']",
    message: 'Use errorMessage(err) from @vkubelet/provider-kit.',
  },
  {
    selector: 'PrivateIdentifier',
    message: 'Use TypeScript `private` (`private readonly` when never reassigned), not ECMAScript #private.',
  },
];

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
          paths: [CLIENT_NODE_TYPES_ONLY],
        },
      ],
    },
  },
  {
    // What an idle agent loads is its memory: these imports cost it megabytes it does not need.
    // provider-kit's streaming code is part of core's kubelet API server, so it is held to the same.
    files: ['packages/core/src/**/*.ts', 'packages/provider-kit/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            CLIENT_NODE_TYPES_ONLY,
            ...['node:http', 'http'].map(name => ({
              name,
              message:
                "Use process.getBuiltinModule('node:http'): an ESM import of node:http makes Node load its bundled undici (~14 MB RSS).",
              allowTypeImports: true,
            })),
            {
              name: 'ws',
              message:
                'Load ws with import() on first use: an agent nobody streams through never needs it (~13 MB RSS).',
              allowTypeImports: true,
            },
            {
              name: 'undici',
              message: "Use kube/undici-parts.js: undici's index loads all of undici (~12 MB RSS more).",
              allowTypeImports: true,
            },
            {
              name: 'prom-client',
              message:
                "Use metrics/prom-client-parts.js: prom-client's index and CPU collector cost ~15 MB RSS more.",
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // One way to read a caught value's message (a thrown string has no .message) and one private-field
    // style (TypeScript's private readonly).
    files: ['packages/*/src/**/*.ts', 'providers/*/src/**/*.ts', 'tools/*/src/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ONE_WAY_SYNTAX] },
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
        ...ONE_WAY_SYNTAX,
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
  {
    // The soak's backend adapters drive a real provider's backend and read it back through the
    // provider's own inventory (CRI: criInventory), as e2e does; the rest of the soak stays a tool.
    files: ['tools/soak/src/backend/**/*.ts', 'tools/soak/tests/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          checkDynamicDependenciesExceptions: ['.*'],
          depConstraints: [
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: ['type:tool', 'type:kit', 'type:core', 'type:provider'],
            },
          ],
        },
      ],
    },
  },
);
