// eslint.config.mjs: lint rules, including the folder import boundaries from docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noEnv = {
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'env', message: 'Read configuration through a loadXConfig(env) function.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'bin/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      ...noEnv,
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'knex', 'koa', '@temporalio/*', '../../store/*', '../../api/*'] },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      ...noEnv,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '../store/*', '../connectors/*', '../api/*'],
              message: 'Workflows stay deterministic.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['store/**/*.ts', 'connectors/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../api/*', '../workflows/*', '../activities/*'] }] },
  },
  {
    files: ['hr/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['../api/*', '../activities/*', '../connectors/*', '../worker/*', '../workflows/*', '../cli/*'] },
      ],
    },
  },
  {
    files: ['api/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../activities/*', '../connectors/*', '../worker/*'] }] },
  },
  {
    // SQL and the raw database handle stay inside store/ (issue 14: a PostgreSQL store must be able to stand behind
    // the named methods); transactions are `stores.atomically`, consistent reads `stores.readConsistently`.
    files: ['api/**/*.ts', 'activities/**/*.ts', 'hr/**/*.ts', 'cli/**/*.ts', 'worker/**/*.ts', 'runtime/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='db'][object.name='stores']",
          message: 'Use a named store method (SQL stays inside store/).',
        },
        {
          selector: "MemberExpression[property.name='db'][object.property.name='stores']",
          message: 'Use a named store method (SQL stays inside store/).',
        },
        {
          selector: 'ImportDeclaration[source.value=/store\\/transact$/]',
          message: 'Use stores.atomically.',
        },
      ],
    },
  },
  {
    // Runnable examples for our users: plain JavaScript for Node.js, no type information.
    files: ['examples/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: globals.node,
      sourceType: 'module',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off', // JSON bodies from real HTTP responses
    },
  },
);
