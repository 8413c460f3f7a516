import { Account, MSGraphProtocol, type TokenBackend } from '@o365/core';
import { startEmulator } from '@o365/emulator';
import type { ConformanceCheck } from './conformance-check.js';
import { check, cleanup, describeError, loadStored, uniqueKey } from './check-helpers.js';
import { ConformanceError } from './conformance-error.js';

/**
 * Sign in with `Account` against the emulator on the backend, start a NEW `Account` on a new backend
 * instance with the same key (a restart): still signed in, Graph works; then move the emulator's
 * clock 2 h: the next Graph call refreshes and the backend holds a new version with new data.
 */
export const endToEndCheck: ConformanceCheck = {
  id: 'end-to-end',
  title: () =>
    'end to end with Account and @o365/emulator: sign in, restart on a new instance still signed in, refresh persisted',
  applies: (o) => o.endToEnd !== false,
  weight: 2,
  async run(options) {
    const id = 'end-to-end';
    const emu = await startEmulator();
    const key = uniqueKey(options.name);
    const accounts: Account[] = [];
    try {
      const newAccount = async (backend?: TokenBackend) => {
        const account = new Account([emu.defaults.publicClientId], {
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
          tenantId: emu.defaults.tenantId,
          authorityHost: emu.authorityHost,
          protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
          tls: { ca: emu.ca },
          tokenBackend: backend ?? (await options.createBackend(key)),
          clock: { now: () => emu.clock.now() },
        });
        accounts.push(account);
        return account;
      };

      const first = await newAccount();
      const signedIn = await first.authenticate({ requestedScopes: ['User.Read'] });
      check(id, signedIn === true, `authenticate() resolved ${String(signedIn)}, expected true`);
      const afterSignIn = await loadStored(id, await options.createBackend(key), 'load after sign-in');
      check(id, afterSignIn !== undefined, 'nothing was stored in the backend after authenticate()');

      const restarted = await newAccount();
      check(
        id,
        (await restarted.isAuthenticated()) === true,
        'a new Account on a new backend instance with the same key is not authenticated',
      );
      const user = await restarted.getCurrentUser().catch((error: unknown) => {
        throw new ConformanceError(id, `getCurrentUser() after the restart failed: ${describeError(error)}`, {
          cause: error,
        });
      });
      const upn = (user.userPrincipalName ?? user.mail ?? '').toLowerCase();
      check(
        id,
        upn === emu.defaults.username.toLowerCase(),
        `getCurrentUser() returned ${upn || 'no user principal name'}, expected ${emu.defaults.username}`,
      );

      const refreshesBefore = emu.requests().filter((r) => r.grantType === 'refresh_token').length;
      emu.clock.advance(2 * 3600);
      await restarted.getCurrentUser().catch((error: unknown) => {
        throw new ConformanceError(
          id,
          `getCurrentUser() after the clock moved 2 h failed: ${describeError(error)}`,
          { cause: error },
        );
      });
      const refreshes =
        emu.requests().filter((r) => r.grantType === 'refresh_token').length - refreshesBefore;
      check(
        id,
        refreshes >= 1,
        'no refresh_token request reached the emulator after its clock moved past the token expiry',
      );
      const afterRefresh = await loadStored(id, await options.createBackend(key), 'load after refresh');
      check(id, afterRefresh !== undefined, 'the backend is empty after the refresh');
      check(
        id,
        afterRefresh.version !== afterSignIn.version,
        'the refresh was not persisted: the backend still holds the version written at sign-in',
      );
      check(
        id,
        afterRefresh.data !== afterSignIn.data,
        'the backend holds a new version but the same data as at sign-in',
      );

      const third = await newAccount();
      check(
        id,
        (await third.isAuthenticated()) === true,
        'an Account started after the refresh is not authenticated',
      );
    } finally {
      await Promise.allSettled(accounts.map((a) => a.close()));
      await cleanup(options, key);
      await emu.stop();
    }
  },
};
