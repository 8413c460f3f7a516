import { libraryConfig } from '@o365/tooling/tsup';

// The CLI is a second entry: `bin` points at dist/cli.js.
export default libraryConfig({ entry: ['src/index.ts', 'src/cli.ts'] });
