// A self-signed certificate made with openssl, for local TLS servers in tests. It is kept in the
// folder it was made in: asking again for the same folder reuses it instead of generating anew.
// An EC P-256 key is generated in a few milliseconds, where RSA-2048 takes a noticeable fraction of
// a second; clients treat both the same.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type SelfSignedCert = {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
};

export type SelfSignedCertOptions = {
  commonName?: string;
  /** subjectAltName entries, e.g. `DNS:localhost`, `IP:127.0.0.1`. Clients check the host against these. */
  altNames?: string[];
  days?: number;
  /** File name prefix, so one folder can hold several certificates. */
  name?: string;
};

export async function createSelfSignedCert(dir: string, options: SelfSignedCertOptions = {}): Promise<SelfSignedCert> {
  const name = options.name ?? 'server';
  const certPath = path.join(dir, `${name}-cert.pem`);
  const keyPath = path.join(dir, `${name}-key.pem`);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const altNames = options.altNames ?? ['DNS:localhost', 'IP:127.0.0.1'];
    await execFileAsync('openssl', [
      'req', '-x509', '-nodes',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyPath, '-out', certPath,
      '-days', String(options.days ?? 3650),
      '-subj', `/CN=${options.commonName ?? 'localhost'}`,
      '-addext', `subjectAltName=${altNames.join(',')}`,
    ]);
  }
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}
