// SASL SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) client mechanisms on
// node:crypto. @xmpp/client's own SCRAM runs its thousands of PBKDF2 rounds
// through WebCrypto one HMAC at a time (over a second per login); this one
// takes milliseconds. Channel binding is not used ('n,,').
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

type Hash = 'sha1' | 'sha256';

// @xmpp/sasl base64-encodes responses with btoa (latin1 strings): carry UTF-8 as latin1.
const toWire = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const fromWire = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

function scram(name: string, hash: Hash) {
  const size = hash === 'sha1' ? 20 : 32;
  class Scram {
    static readonly mechName = name;
    readonly name = name;
    readonly clientFirst = true;
    private stage = 0;
    private nonce = randomBytes(18).toString('base64');
    private clientFirstBare = '';
    private serverFirst = '';
    private serverSignature: Buffer | undefined;

    response(cred: { username?: string | null; password?: string | null }): string {
      if (this.stage === 0) {
        this.stage = 1;
        this.clientFirstBare = `n=${saslName(cred.username ?? '')},r=${this.nonce}`;
        return toWire(`n,,${this.clientFirstBare}`);
      }
      if (this.stage === 1) {
        const attrs = new Map(this.serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
        const r = attrs.get('r') ?? '';
        const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
        const iterations = Number(attrs.get('i'));
        if (!r.startsWith(this.nonce) || !salt.length || !Number.isInteger(iterations) || iterations < 1) throw new Error('SCRAM: the server sent an invalid challenge');
        const salted = pbkdf2Sync((cred.password ?? '').normalize('NFKC'), salt, iterations, size, hash);
        const clientKey = createHmac(hash, salted).update('Client Key').digest();
        const storedKey = createHash(hash).update(clientKey).digest();
        const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${r}`;
        const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
        const signature = createHmac(hash, storedKey).update(authMessage).digest();
        const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
        this.serverSignature = createHmac(hash, createHmac(hash, salted).update('Server Key').digest()).update(authMessage).digest();
        this.stage = 2;
        return toWire(`${withoutProof},p=${proof.toString('base64')}`);
      }
      return '';
    }

    challenge(chal: string): this {
      const text = fromWire(chal);
      if (this.stage === 1) this.serverFirst = text;
      else if (this.stage === 2) {
        const v = /(?:^|,)v=([^,]*)/.exec(text)?.[1];
        if (!v || !this.serverSignature || !timingSafeEqual(Buffer.from(v, 'base64'), this.serverSignature)) throw new Error('SCRAM: the server could not prove it knows the password');
      }
      return this;
    }
  }
  Object.defineProperty(Scram.prototype, 'name', { value: name });
  return Scram;
}

export const ScramSha1 = scram('SCRAM-SHA-1', 'sha1');
export const ScramSha256 = scram('SCRAM-SHA-256', 'sha256');
