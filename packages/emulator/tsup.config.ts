import { libraryConfig } from '@o365/tooling/tsup';

// The CLI is a second entry: bin/o365-emulator.js loads dist/cli.js.
export default libraryConfig({ entry: ['src/index.ts', 'src/cli.ts'] });
