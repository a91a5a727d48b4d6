/**
 * Import rules, checked in CI (`npm run depcruise`, after lint): imports point down, with no cycle between
 * files, nor between the folders of src/ (checked on the graph collapsed to src/<folder>; see
 * package.json's "depcruise" script). Type-only imports count: a cycle of types is still a cycle of
 * knowledge. See docs/architecture.md for the layers.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle between files (or, on the collapsed graph, between folders of src/): one side must not know the other.',
      from: {},
      to: { circular: true },
    },
  ],
  /** Imports left out of the folder check, each with its reason. None today: keep it that way. */
  folderCycleExceptions: [],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/ui/public/' },
  },
};
