// Profiles on disk: `<configDir>/profiles/<name>.json` (settings, never a secret) and
// `<configDir>/tokens/<name>.json` (the token cache, through FileSystemTokenBackend).
// Directories 0700, files 0600.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSystemTokenBackend, type TokenBackend } from '@o365/core';
import { openTokenStore, type OpenedTokenStore } from './token-stores.js';
import { UsageError } from './exit-codes.js';

/** The sign-in flows of `o365 login`. */
export const FLOWS = ['device', 'password', 'secret', 'certificate', 'browser', 'code'] as const;
/** One of {@link FLOWS}. */
export type Flow = (typeof FLOWS)[number];

/** What `<configDir>/profiles/<name>.json` holds. No secret is ever part of it. */
export interface Profile {
  version: 1;
  name: string;
  clientId: string;
  tenantId: string;
  flow: Flow;
  scopes: string[];
  /** The signed-in user (delegated flows). */
  username?: string;
  /** Identity host other than Microsoft's global cloud (an emulator, a national cloud). */
  authorityHost?: string;
  /** Graph root other than `https://graph.microsoft.com/`. */
  graphUrl?: string;
  /** PEM file of an extra CA to trust. */
  caFile?: string;
  /** Made with `--emulator`: only valid for the emulator of that process. */
  emulator?: boolean;
  /** `--flow secret`: the environment variable the secret is read from when a new app token is needed. */
  secretEnv?: string;
  /** `--flow certificate`: the PEM file (private key + certificate). */
  certificateFile?: string;
  /** `--token-store`: where the token cache lives when not in the config directory (`redis://...`, `s3://...`). */
  tokenStore?: string;
  createdAt: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a profile name (it becomes a file name). */
export function checkProfileName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`invalid profile name "${name.slice(0, 64)}": use letters, digits, '.', '_' or '-' (at most 64, not starting with '.')`);
  }
  return name;
}

/**
 * The default config directory: `$XDG_CONFIG_HOME/o365`, else `~/.config/o365`; `%APPDATA%\o365` on Windows.
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const appData = env['APPDATA'];
    if (appData) return join(appData, 'o365');
  }
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg) return join(xdg, 'o365');
  const home = env['HOME'] ?? env['USERPROFILE'];
  if (!home) throw new UsageError('cannot find a config directory: set HOME or XDG_CONFIG_HOME, or pass --config-dir');
  return join(home, '.config', 'o365');
}

/** The files of one config directory. */
export class ConfigStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  get profilesDir(): string {
    return join(this.dir, 'profiles');
  }

  get tokensDir(): string {
    return join(this.dir, 'tokens');
  }

  profileFile(name: string): string {
    return join(this.profilesDir, `${checkProfileName(name)}.json`);
  }

  tokenFile(name: string): string {
    return join(this.tokensDir, `${checkProfileName(name)}.json`);
  }

  readonly #opened: OpenedTokenStore[] = [];

  /**
   * The token backend of a profile: its file in the config directory (made 0700 before anything
   * is written), or the store its `tokenStore` names (closed by {@link ConfigStore.close}).
   */
  async tokenBackend(name: string, tokenStore?: string): Promise<TokenBackend> {
    if (tokenStore !== undefined && tokenStore !== 'file') {
      const opened = await openTokenStore(tokenStore, checkProfileName(name));
      this.#opened.push(opened);
      return opened.backend;
    }
    await this.#privateDir(this.dir);
    await this.#privateDir(this.tokensDir);
    return new FileSystemTokenBackend({ tokenPath: this.tokensDir, tokenFilename: `${checkProfileName(name)}.json` });
  }

  /** Lets go of the connections of the token stores opened by this command. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#opened.splice(0).map((o) => o.close()));
  }

  async #privateDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }

  /** The profile, or undefined when there is none of that name. */
  async read(name: string): Promise<Profile | undefined> {
    let text: string;
    try {
      text = await readFile(this.profileFile(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<Profile>;
    if (parsed.version !== 1 || typeof parsed.clientId !== 'string' || typeof parsed.flow !== 'string') {
      throw new UsageError(`the profile file ${this.profileFile(name)} is not an o365 profile; remove it or run o365 logout --profile ${name}`);
    }
    return { scopes: [], tenantId: 'common', ...parsed, name } as Profile;
  }

  /** Writes a profile atomically, mode 0600, in a 0700 directory. */
  async write(profile: Profile): Promise<void> {
    await this.#privateDir(this.dir);
    await this.#privateDir(this.profilesDir);
    const file = this.profileFile(profile.name);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600);
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  /** Names of every profile, sorted. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.profilesDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter((n) => NAME.test(n))
      .sort();
  }

  /** Removes a profile's settings and tokens. Resolves whether anything was there. */
  async remove(name: string): Promise<boolean> {
    const profile = await this.read(name).catch(() => undefined);
    const backend = await this.tokenBackend(name, profile?.tokenStore);
    const hadTokens = (await backend.load().catch(() => undefined)) !== undefined;
    await backend.delete();
    await rm(this.profileFile(name), { force: true });
    return profile !== undefined || hadTokens;
  }
}
