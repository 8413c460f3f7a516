import { libraryConfig } from '@o365/tooling/tsup';

// Two entry points sharing one copy of every module (splitting), so an error class imported
// from `@o365/core/backend` is the same class as the one `@o365/core` exports.
export default libraryConfig({ entry: ['src/index.ts', 'src/backend.ts'], splitting: true });
