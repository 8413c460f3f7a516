import { libraryConfig } from '@o365/tooling/tsup';

export default libraryConfig();
