import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { AWSSecretsBackend, type AWSSecretsBackendOptions } from '../src/index.js';
import { FakeSecretsManager, type FakeOptions } from './fake-secrets-manager.js';

/** Clients and backends built against one fake; `close()` releases them all and stops the fake. */
export class Harness {
  readonly #clients: SecretsManagerClient[] = [];
  readonly #backends: AWSSecretsBackend[] = [];

  private constructor(readonly fake: FakeSecretsManager) {}

  static async start(options?: FakeOptions): Promise<Harness> {
    return new Harness(await FakeSecretsManager.start(options));
  }

  /** Client configuration pointing at the fake (real SigV4 with the fake's test credentials). */
  config(overrides: SecretsManagerClientConfig = {}): SecretsManagerClientConfig {
    return {
      region: this.fake.region,
      endpoint: this.fake.url,
      credentials: this.fake.defaultCredentials,
      ...overrides,
    };
  }

  client(overrides: SecretsManagerClientConfig = {}): SecretsManagerClient {
    const client = new SecretsManagerClient(this.config(overrides));
    this.#clients.push(client);
    return client;
  }

  /** A backend that builds its own client from `clientConfig`, like an application would. */
  backend(secretName: string, options: Partial<AWSSecretsBackendOptions> = {}): AWSSecretsBackend {
    const backend = new AWSSecretsBackend({ secretName, clientConfig: this.config(), ...options });
    this.#backends.push(backend);
    return backend;
  }

  async close(): Promise<void> {
    for (const backend of this.#backends) backend.destroy();
    for (const client of this.#clients) client.destroy();
    await this.fake.stop();
  }
}

let counter = 0;
/** A secret name unique within the test run. */
export function uniqueName(prefix = 'o365/test'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
