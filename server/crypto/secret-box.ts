// AES-256-GCM for mailbox passwords at rest. The stored form names the key it was sealed with
// (a short fingerprint), so a changed SECRET_KEY is reported as such instead of as garbage.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors';

const VERSION = 'v1';
const IV_BYTES = 12;

export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, keyFingerprint(key), iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
}

export function open(sealed: string, key: Buffer): string {
  const [version, fingerprint, iv, tag, ciphertext] = sealed.split(':');
  if (version !== VERSION || !ciphertext) {
    throw new AppError('SECRET_KEY_MISMATCH', 'A stored mailbox password is in an unknown format.');
  }
  if (fingerprint !== keyFingerprint(key)) {
    throw new AppError(
      'SECRET_KEY_MISMATCH',
      'This mailbox password was saved with a different SECRET_KEY. Restore the previous key, or re-enter the password.',
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new AppError('SECRET_KEY_MISMATCH', 'A stored mailbox password could not be decrypted (tampered or corrupt).', {
      cause: err,
    });
  }
}
