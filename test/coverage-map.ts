/**
 * tap's coverage map (package.json "tap"."coverage-map"): which files count
 * for coverage when a test file runs. Every test counts for every file under
 * src/ and nothing else, so the report and its thresholds measure src/ only:
 * - not dist/: tests that spawn the built CLI run dist/*.js (no source maps),
 *   which would otherwise be listed and counted as a second copy of src/;
 * - not test helpers or fixtures, and not node_modules.
 * tap hands this list to every process a test starts (through the
 * environment), so children's coverage is filtered the same way.
 * Returned as a glob, resolved by tap against the project root.
 */
export default function coverageMap(_testFile: string): string[] {
  return ['src/**/*.ts']
}
