import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

/** An RSA key pair in PEM form plus its `KeyObject`s. */
export interface RsaKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * A self-signed X.509 certificate with its key and thumbprints.
 *
 * @example
 * ```ts
 * const cert: GeneratedCertificate = await emulatorAppCertificate();
 * ```
 */
export interface GeneratedCertificate {
  /** PEM of the certificate. */
  certificate: string;
  /** PEM (PKCS#8) of the private key. */
  privateKey: string;
  /** SHA-1 of the DER, upper-case hex (what Entra shows and msal-node's `thumbprint` expects). */
  thumbprint: string;
  /** SHA-256 of the DER, upper-case hex (msal-node's `thumbprintSha256`). */
  thumbprintSha256: string;
}

function generateRsa(): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicKeyPem, privateKeyPem) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({
          privateKeyPem,
          publicKeyPem,
          privateKey: createPrivateKey(privateKeyPem),
          publicKey: createPublicKey(publicKeyPem),
        });
      },
    );
  });
}

/** Thumbprints of a PEM certificate (SHA-1 and SHA-256 of its DER, upper-case hex). */
export function certificateThumbprints(certificatePem: string): { sha1: string; sha256: string } {
  const der = pemToDer(certificatePem);
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

/** The DER bytes of the first PEM block in `pem`. */
export function pemToDer(pem: string): Buffer {
  const match = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(pem);
  if (!match?.[1]) throw new TypeError('not a PEM block');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

function selfSignedCertificate(
  keys: RsaKeyPair,
  commonName: string,
  options: { serverAuth: boolean; days: number },
): GeneratedCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  // Positive serial: a leading 0x00..0x7f byte keeps it from being read as negative.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + options.days * 24 * 3600 * 1000);
  const attrs = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'o365-ts emulator' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: options.serverAuth, critical: true },
    {
      name: 'keyUsage',
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: options.serverAuth,
      critical: true,
    },
    { name: 'subjectKeyIdentifier' },
  ];
  if (options.serverAuth) {
    extensions.push(
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    );
  } else {
    extensions.push({ name: 'extKeyUsage', clientAuth: true });
  }
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  const certificate = forge.pki.certificateToPem(cert);
  const { sha1, sha256 } = certificateThumbprints(certificate);
  return { certificate, privateKey: keys.privateKeyPem, thumbprint: sha1, thumbprintSha256: sha256 };
}

/** Everything the emulator generates at start: TLS identity, token signing key, default app certificate. */
export interface CryptoMaterial {
  tls: GeneratedCertificate;
  signing: RsaKeyPair & { kid: string; x5t: string; certificate: string };
  appCertificate: GeneratedCertificate;
}

let shared: Promise<CryptoMaterial> | undefined;

/** Environment variable naming a directory where generated keys are kept across processes. */
export const KEY_CACHE_ENV = 'O365_EMULATOR_KEY_CACHE';
const CACHE_FILE = 'o365-emulator-keys-v1.json';
const MIN_REMAINING_VALIDITY_MS = 24 * 3600 * 1000;

interface CachedMaterial {
  tls: GeneratedCertificate;
  signing: { privateKeyPem: string; publicKeyPem: string; kid: string; x5t: string; certificate: string };
  appCertificate: GeneratedCertificate;
}

function fromCache(value: unknown): CryptoMaterial | undefined {
  const c = value as Partial<CachedMaterial> | null;
  if (!c?.tls?.certificate || !c.signing?.privateKeyPem || !c.appCertificate?.certificate) return undefined;
  // Regenerate well before the TLS certificate expires.
  const validTo = Date.parse(new X509Certificate(c.tls.certificate).validTo);
  if (!(validTo - Date.now() > MIN_REMAINING_VALIDITY_MS)) return undefined;
  return {
    tls: c.tls,
    appCertificate: c.appCertificate,
    signing: {
      ...c.signing,
      privateKey: createPrivateKey(c.signing.privateKeyPem),
      publicKey: createPublicKey(c.signing.publicKeyPem),
    },
  };
}

/**
 * Reads the keys from `dir`, or generates them and writes them there (atomically, mode 0600).
 * A missing, unreadable, corrupt or nearly expired cache is replaced.
 */
export async function loadOrCreateMaterial(dir: string): Promise<CryptoMaterial> {
  const file = join(dir, CACHE_FILE);
  try {
    const cached = fromCache(JSON.parse(await readFile(file, 'utf8')) as unknown);
    if (cached) return cached;
  } catch {
    // Absent or unreadable: fall through and regenerate.
  }
  const material = await generateMaterial();
  const { privateKey: _p, publicKey: _k, ...signing } = material.signing;
  const record: CachedMaterial = { tls: material.tls, signing, appCertificate: material.appCertificate };
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
  await rename(tmp, file);
  return material;
}

async function generateMaterial(): Promise<CryptoMaterial> {
  const [tlsKeys, signingKeys, appKeys] = await Promise.all([generateRsa(), generateRsa(), generateRsa()]);
  const tls = selfSignedCertificate(tlsKeys, '127.0.0.1', { serverAuth: true, days: 30 });
  const signingCert = selfSignedCertificate(signingKeys, 'o365-emulator token signing', { serverAuth: false, days: 30 });
  const appCertificate = selfSignedCertificate(appKeys, 'o365-emulator default confidential app', {
    serverAuth: false,
    days: 365,
  });
  const x5t = Buffer.from(signingCert.thumbprint, 'hex').toString('base64url');
  return {
    tls,
    // Like Entra, the key id is the base64url SHA-1 thumbprint of the signing certificate.
    signing: { ...signingKeys, kid: x5t, x5t, certificate: signingCert.certificate },
    appCertificate,
  };
}

/**
 * Keys are generated once per process and shared by every emulator in it: RSA generation is the
 * slow part of a start, and test files start many emulators. With `O365_EMULATOR_KEY_CACHE` set
 * to a directory, they are also kept there for the next processes.
 */
export function getCryptoMaterial(): Promise<CryptoMaterial> {
  const dir = process.env[KEY_CACHE_ENV];
  shared ??= (dir ? loadOrCreateMaterial(dir) : generateMaterial()).catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}
