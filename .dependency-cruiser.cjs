/**
 * Import rules for src/, checked by `npm run lint` (dependency-cruiser, with the folder-level check in
 * scripts/depcruise-report.cjs, since dependency-cruiser's own rules work on files):
 * - no import cycle between files (type-only imports included);
 * - no two folders of src/ that depend on each other, directly or through others (the reporter);
 * - from outside a folder, only its index.ts is imported (a feature's door);
 * - the CLI never imports an HTTP router.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other, directly or through others.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'through-index',
      severity: 'error',
      comment: "Another folder's files are reached through its index.ts.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'root-through-index',
      severity: 'error',
      comment: "A top-level file reaches a folder's files through its index.ts.",
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/', pathNot: '^src/[^/]+/index\\.ts$' },
    },
    {
      name: 'cli-not-http',
      severity: 'error',
      comment: 'Operator commands call domain functions, never an HTTP router.',
      from: { path: '^src/cli/' },
      to: { path: '(^src/http/|routes\\.ts$|^src/app\\.ts$)' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
