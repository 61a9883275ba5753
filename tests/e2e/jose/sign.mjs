// sign.mjs - make an HS256 access token with jose, shaped like WalletFlow's,
// for the other direction of the interop check (jose signs, wf_jwt verifies).
//
//   node sign.mjs SECRET ISSUER AUDIENCE SUB [TTL_SECONDS]
//
// SECRET as in verify.mjs ("" reads WF_JWT_SECRET). Prints the token.
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';

const [secretArgument, issuer, audience, sub, ttlText] = process.argv.slice(2);
const secret = secretArgument || process.env.WF_JWT_SECRET;
if (!secret || !issuer || !audience || !sub) {
  console.error('usage: node sign.mjs SECRET ISSUER AUDIENCE SUB [TTL_SECONDS]');
  process.exit(2);
}
const ttl = Number(ttlText || 900);
const now = Math.floor(Date.now() / 1000);

const token = await new SignJWT({
  email: 'jose@example.com',
  firstName: 'Jos\u00e9',
  lastName: 'Signer',
  role: 'User',
})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(sub)
  .setJti(randomUUID())
  .setIssuer(issuer)
  .setAudience(audience)
  .setIssuedAt(now)
  .setNotBefore(now)
  .setExpirationTime(now + ttl)
  .sign(new TextEncoder().encode(secret));
console.log(token);
