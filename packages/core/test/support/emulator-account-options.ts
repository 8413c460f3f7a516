// Test support (not exported): the options that point an Account at an emulator (its authority,
// Graph URL, CA and clock) over a given token backend.
import type { Emulator } from '@o365/emulator';
import { MSGraphProtocol, type AccountOptions, type TokenBackend } from '@o365/core';

export function emulatorAccountOptions(emu: Emulator, tokenBackend: TokenBackend, extra: AccountOptions = {}): AccountOptions {
  return {
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    tokenBackend,
    ...extra,
  };
}
