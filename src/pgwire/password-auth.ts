/**
 * Password authentication as Postgres does it: SCRAM-SHA-256 (RFC 5802/7677, the default since
 * Postgres 14), or MD5 for old clients (`--pg-auth md5`). Each connection runs one exchange; the
 * password never crosses the wire in either.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { authenticationMd5, authenticationSasl, authenticationSaslStep } from './backend-messages.js';
import { PgError, SQLSTATE } from './pg-error.js';

export type AuthMethod = 'scram-sha-256' | 'md5';
export const AUTH_METHODS: readonly AuthMethod[] = ['scram-sha-256', 'md5'];

const SCRAM = 'SCRAM-SHA-256';
const ITERATIONS = 4096;

/** The server's SCRAM secrets, derived once from the password (as Postgres stores them). */
export interface ScramSecret {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function scramSecret(password: string): ScramSecret {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  return {
    salt,
    storedKey: createHash('sha256').update(hmac(salted, 'Client Key')).digest(),
    serverKey: hmac(salted, 'Server Key'),
  };
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

export interface Step {
  /** Messages to send to the client. */
  reply: Buffer[];
  /** True once the client proved it knows the password. */
  done: boolean;
}

/** One connection's password exchange: `begin` asks, each PasswordMessage ('p') is a `step`. */
export interface PasswordExchange {
  begin(): Buffer;
  step(body: Buffer): Step;
}

function failed(user: string): PgError {
  return new PgError(SQLSTATE.invalidPassword, `password authentication failed for user "${user}"`, {
    severity: 'FATAL',
  });
}

export function md5Exchange(user: string, password: string): PasswordExchange {
  const salt = randomBytes(4);
  return {
    begin: () => authenticationMd5(salt),
    step(body) {
      const given = body.subarray(0, body.indexOf(0)).toString('utf8');
      if (!equal(given, md5Password(user, password, salt))) throw failed(user);
      return { reply: [], done: true };
    },
  };
}

export function scramExchange(user: string, secret: ScramSecret): PasswordExchange {
  let clientFirstBare: string | null = null;
  let serverFirst = '';
  let nonce = '';
  let gs2Header = '';
  const protocol = (message: string): PgError =>
    new PgError(SQLSTATE.protocolViolation, `malformed SCRAM message: ${message}`, { severity: 'FATAL' });
  return {
    begin: () => authenticationSasl([SCRAM]),
    step(body) {
      if (clientFirstBare === null) {
        // SASLInitialResponse: mechanism, length, client-first-message "n,,n=user,r=nonce"
        const end = body.indexOf(0);
        if (body.subarray(0, end).toString() !== SCRAM) {
          throw new PgError(SQLSTATE.invalidAuthorization, 'only SCRAM-SHA-256 is offered', {
            severity: 'FATAL',
          });
        }
        const message = body.subarray(end + 5).toString('utf8');
        const match = /^([ny]),(?:a=[^,]*)?,(.*)$/.exec(message);
        if (!match) throw protocol('channel binding is not offered here');
        gs2Header = message.slice(0, message.length - (match[2] as string).length);
        clientFirstBare = match[2] as string;
        const clientNonce = /(?:^|,)r=([^,]+)/.exec(clientFirstBare)?.[1];
        if (!clientNonce) throw protocol('no client nonce');
        nonce = clientNonce + randomBytes(18).toString('base64');
        serverFirst = `r=${nonce},s=${secret.salt.toString('base64')},i=${ITERATIONS}`;
        return { reply: [authenticationSaslStep(11, serverFirst)], done: false };
      }
      // SASLResponse: client-final-message "c=<gs2 header>,r=nonce,p=proof"
      const final = body.toString('utf8');
      const match = /^c=([^,]*),r=([^,]*),(?:.*,)?p=([^,]+)$/.exec(final);
      if (!match) throw protocol('bad client-final-message');
      if (match[1] !== Buffer.from(gs2Header).toString('base64') || match[2] !== nonce) throw failed(user);
      const withoutProof = final.slice(0, final.lastIndexOf(',p='));
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const signature = createHmac('sha256', secret.storedKey).update(authMessage).digest();
      const proof = Buffer.from(match[3] as string, 'base64');
      if (proof.length !== signature.length) throw failed(user);
      const clientKey = Buffer.from(proof.map((b, i) => b ^ (signature[i] as number)));
      const stored = createHash('sha256').update(clientKey).digest();
      if (!timingSafeEqual(stored, secret.storedKey)) throw failed(user);
      const serverSignature = createHmac('sha256', secret.serverKey).update(authMessage).digest('base64');
      return { reply: [authenticationSaslStep(12, `v=${serverSignature}`)], done: true };
    },
  };
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The MD5 exchange: 'md5' + md5(md5(password + user) + salt), in hex. */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return `md5${createHash('md5')
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest('hex')}`;
}
