import { libraryConfig } from '@o365/tooling/tsup';

// The binary is a second entry: bin/o365.js loads dist/main.js.
export default libraryConfig({ entry: ['src/index.ts', 'src/main.ts'] });
