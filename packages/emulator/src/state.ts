import type { EmulatorClock } from './clock.js';
import type { CryptoMaterial } from './crypto-material.js';
import type { Directory } from './directory.js';
import type { FaultRegistry } from './faults.js';
import type { GrantStore } from './identity/grants.js';
import type { RequestLog } from './request-log.js';

/** Tunables of one emulator. */
export interface EmulatorSettings {
  deviceCodeInterval: number;
  deviceCodeExpiresIn: number;
  maxBodyBytes: number;
  /** Time a client has to send a whole request (headers and body), ms. */
  requestTimeoutMs: number;
  /** The `IDENTITY_HEADER` secret the App Service managed identity endpoint expects. */
  identityHeader: string;
}

/** Everything a handler needs: shared by the identity platform and Graph. */
export interface EmulatorState {
  /** `https://127.0.0.1:PORT`, set once listening. */
  url: string;
  directory: Directory;
  clock: EmulatorClock;
  crypto: CryptoMaterial;
  grants: GrantStore;
  faults: FaultRegistry;
  log: RequestLog;
  settings: EmulatorSettings;
}
