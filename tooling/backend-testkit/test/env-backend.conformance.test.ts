import { EnvTokenBackend } from '@o365/core';
import { runTokenBackendConformance } from '@o365/backend-testkit';

runTokenBackendConformance({
  name: 'EnvTokenBackend',
  createBackend: (key) => new EnvTokenBackend({ envVarName: `O365_KIT_${key.toUpperCase().replace(/-/g, '_')}` }),
  createUnreachableBackend: { notApplicable: 'process.env lives in this process; there is no service to lose' },
});
