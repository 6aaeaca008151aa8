/**
 * What only this repository's cleanup handler (and tests) use: the lifecycle record, the
 * reserved keys and the purge with a cutoff. Not published: `@secrets-store/core/internal` has
 * only the `source` export condition, which `scripts/published-manifest.mjs` drops when the
 * package is packed, so it is no semver promise. The handler reaches it at bundle time (esbuild
 * with `conditions: ['source']`), and infra ships that bundle.
 */
export { LIFECYCLE_RECORD_KEY, RESERVED_KEY_PREFIX, UNINSTALL_MARKER_KEY } from './keys.ts';
export {
  type AdvanceResult,
  advanceLifecycle,
  advanceLifecycleInput,
  LIFECYCLE_ATTRIBUTE,
  type LifecycleEvent,
  type LifecycleRecord,
  type LifecycleTransition,
  parseLifecycleRecord,
  readLifecycle,
  readLifecycleInput,
} from './lifecycleRecord.ts';
export {
  type PurgeWrittenBeforeOptions,
  type PurgeWrittenBeforeResult,
  purgeWrittenBefore,
} from './purgeWrittenBefore.ts';
