import { readFileSync } from 'node:fs';
import { libraryConfig } from '@o365/tooling/tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// The binary is a second entry: bin/o365.js loads dist/main.js.
export default libraryConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  define: { __O365_CLI_VERSION__: JSON.stringify(version) },
});
