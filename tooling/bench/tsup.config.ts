import { libraryConfig } from '@o365/tooling/tsup';

// Private, imported by the benches only (ESM, run with tsx): no CommonJS build.
export default libraryConfig({ format: ['esm'] });
