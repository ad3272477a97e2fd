/**
 * A throwaway self-signed certificate for loopback HTTPS (the demo, the TLS tests and benchmarks),
 * made with the `openssl` command line: no key material is ever checked in. It names localhost and
 * 127.0.0.1, so clients that verify (curl --cacert, NODE_EXTRA_CA_CERTS) accept it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface CertificateFiles {
  /** PEM certificate. */
  readonly certificate: string;
  /** PEM private key, unencrypted. */
  readonly key: string;
}

export interface SelfSignedOptions {
  /** @default 'localhost' */
  readonly commonName?: string;
  /** @default 2 */
  readonly days?: number;
  /** The openssl executable. @default 'openssl' (from PATH) */
  readonly openssl?: string;
}

/** The `openssl req` arguments for an RSA-2048 key and a self-signed certificate for CN=`commonName`. */
export function selfSignedCertArgs(files: CertificateFiles, commonName = 'localhost', days = 2): string[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days}`);
  if (!/^[A-Za-z0-9.-]+$/.test(commonName)) throw new RangeError(`commonName must be a host name, got '${commonName}'`);
  return [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-days', String(days),
    '-subj', `/CN=${commonName}`,
    // A subjectAltName lets verifying clients (curl --cacert) accept it on loopback too.
    '-addext', `subjectAltName=DNS:${commonName},IP:127.0.0.1`,
    '-keyout', files.key,
    '-out', files.certificate,
  ];
}

/** Writes `cert.pem` and `key.pem` into `dir` (which must exist). */
export function selfSignedCertificate(dir: string, o: SelfSignedOptions = {}): Promise<CertificateFiles> {
  const files = { certificate: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  const cmd = o.openssl ?? 'openssl';
  const args = selfSignedCertArgs(files, o.commonName, o.days);
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve(files);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new Error(`cannot run ${cmd}: install the openssl package: npm run setup`));
      }
      reject(new Error(`${cmd} ${args.join(' ')} failed (${err.message.split('\n')[0]}): ${stderr.trim()}`));
    });
  });
}
