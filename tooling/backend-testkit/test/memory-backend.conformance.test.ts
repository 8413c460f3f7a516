import { runTokenBackendConformance } from '@o365/backend-testkit';
import { memoryFactory } from './memory-store.js';

runTokenBackendConformance({
  name: 'MemoryTokenBackend',
  createBackend: memoryFactory(),
  createUnreachableBackend: { notApplicable: 'the value lives in this process memory; there is no service to lose' },
});
