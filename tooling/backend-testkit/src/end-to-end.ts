import type { TokenBackend } from '@o365/core';
import type { ConformanceCheck } from './checks.js';
import { check, cleanup, describeError, loadStored, uniqueKey } from './check-helpers.js';
import { ConformanceError } from './conformance-error.js';

// The end-to-end check loads @o365/emulator and Account at run time, so the kit's other checks work
// (and third parties can run them) without either. These are the parts of their API it uses.
interface Emulator {
  authorityHost: string;
  graphUrl: string;
  ca: string;
  defaults: { tenantId: string; publicClientId: string; username: string; password: string };
  clock: { now(): number; advance(seconds: number): void };
  requests(): Array<{ path: string; grantType?: string; status: number }>;
  stop(): Promise<void>;
}
interface EmulatorModule {
  startEmulator(options?: unknown): Promise<Emulator>;
}
interface UserLike {
  userPrincipalName?: string;
  mail?: string;
  displayName?: string;
}
interface AccountLike {
  authenticate(options: { requestedScopes: string[] }): Promise<boolean>;
  isAuthenticated(): Promise<boolean>;
  getCurrentUser(): Promise<UserLike>;
}
interface CoreModule {
  Account: new (credentials: [string], options: Record<string, unknown>) => AccountLike;
  MSGraphProtocol: new (options: { graphUrl: string }) => unknown;
}

async function loadModules(): Promise<{ emulator: EmulatorModule; core: CoreModule }> {
  // A variable specifier: type-checking the kit must not need the emulator's build.
  const emulatorPackage = '@o365/emulator';
  const emulator = (await import(emulatorPackage)) as Partial<EmulatorModule>;
  const core = (await import('@o365/core')) as unknown as Partial<CoreModule>;
  if (typeof emulator.startEmulator !== 'function') {
    throw new ConformanceError('end-to-end', '@o365/emulator does not export startEmulator (is it installed and built?)');
  }
  if (typeof core.Account !== 'function' || typeof core.MSGraphProtocol !== 'function') {
    throw new ConformanceError('end-to-end', 'this @o365/core does not export Account and MSGraphProtocol');
  }
  return { emulator: emulator as EmulatorModule, core: core as CoreModule };
}

/**
 * Sign in with `Account` against the emulator on the backend, start a NEW `Account` on a new backend
 * instance with the same key (a restart): still signed in, Graph works; then move the emulator's
 * clock 2 h: the next Graph call refreshes and the backend holds a new version with new data.
 */
export const endToEndCheck: ConformanceCheck = {
  id: 'end-to-end',
  title: () => 'end to end with Account and @o365/emulator: sign in, restart on a new instance still signed in, refresh persisted',
  applies: (o) => o.endToEnd !== false,
  weight: 2,
  async run(options) {
    const id = 'end-to-end';
    const { emulator, core } = await loadModules();
    const emu = await emulator.startEmulator();
    const key = uniqueKey(options.name);
    try {
      const newAccount = async (backend?: TokenBackend) =>
        new core.Account([emu.defaults.publicClientId], {
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
          tenantId: emu.defaults.tenantId,
          authorityHost: emu.authorityHost,
          protocol: new core.MSGraphProtocol({ graphUrl: emu.graphUrl }),
          tls: { ca: emu.ca },
          tokenBackend: backend ?? (await options.createBackend(key)),
          clock: { now: () => emu.clock.now() },
        });

      const first = await newAccount();
      const signedIn = await first.authenticate({ requestedScopes: ['User.Read'] });
      check(id, signedIn === true, `authenticate() resolved ${String(signedIn)}, expected true`);
      const afterSignIn = await loadStored(id, await options.createBackend(key), 'load after sign-in');
      check(id, afterSignIn !== undefined, 'nothing was stored in the backend after authenticate()');

      const restarted = await newAccount();
      check(id, (await restarted.isAuthenticated()) === true, 'a new Account on a new backend instance with the same key is not authenticated');
      const user = await restarted.getCurrentUser().catch((error: unknown) => {
        throw new ConformanceError(id, `getCurrentUser() after the restart failed: ${describeError(error)}`, { cause: error });
      });
      const upn = (user.userPrincipalName ?? user.mail ?? '').toLowerCase();
      check(id, upn === emu.defaults.username.toLowerCase(), `getCurrentUser() returned ${upn || 'no user principal name'}, expected ${emu.defaults.username}`);

      const refreshesBefore = emu.requests().filter((r) => r.grantType === 'refresh_token').length;
      emu.clock.advance(2 * 3600);
      await restarted.getCurrentUser().catch((error: unknown) => {
        throw new ConformanceError(id, `getCurrentUser() after the clock moved 2 h failed: ${describeError(error)}`, { cause: error });
      });
      const refreshes = emu.requests().filter((r) => r.grantType === 'refresh_token').length - refreshesBefore;
      check(id, refreshes >= 1, 'no refresh_token request reached the emulator after its clock moved past the token expiry');
      const afterRefresh = await loadStored(id, await options.createBackend(key), 'load after refresh');
      check(id, afterRefresh !== undefined, 'the backend is empty after the refresh');
      check(id, afterRefresh.version !== afterSignIn.version, 'the refresh was not persisted: the backend still holds the version written at sign-in');
      check(id, afterRefresh.data !== afterSignIn.data, 'the backend holds a new version but the same data as at sign-in');

      const third = await newAccount();
      check(id, (await third.isAuthenticated()) === true, 'an Account started after the refresh is not authenticated');
    } finally {
      await cleanup(options, key);
      await emu.stop();
    }
  },
};
