export { runTokenBackendConformance } from './run-conformance.js';
export {
  checkTokenBackendConformance,
  getConformanceCheck,
  type ConformanceResult,
} from './check-conformance.js';
export { conformanceChecks, makeLargeData, UNICODE_SAMPLE, type ConformanceCheck } from './checks.js';
export { ConformanceError } from './conformance-error.js';
export type {
  BackendFactory,
  ConditionalWritesDelegation,
  DataSizeLimit,
  TokenBackendConformanceOptions,
} from './conformance-options.js';
export { runPartitionedTokenBackendConformance } from './run-partition-conformance.js';
export {
  partitionChecks,
  type PartitionCheck,
  type PartitionedConformanceOptions,
} from './partition-checks.js';
export { startRefreshChild, assertFreshBuild, type RefreshChild, type RefreshChildOptions } from './refresh-child.js';
