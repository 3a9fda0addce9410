// Mutation testing of the engine (npm run test:mutation; docs/TESTING.md): StrykerJS changes one thing at a time in
// the model, the trainer, evaluation, the inspection code and the importer, and runs the unit tests beside that code
// against each change. A change no test notices is a test the suite lacks. Not part of npm test: it takes hours on
// two cores. One area at a time: npm run test:mutation -- --mutate 'core/evaluate/**/*.ts,!**/*.test.ts'.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: ['core/{model,train,evaluate,inspect,dataset}/**/*.ts', '!core/**/*.test.ts', '!core/dataset/test-corpus.ts'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
