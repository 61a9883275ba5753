// verify.mjs - verify a WalletFlow access token with jose's jwtVerify.
//
//   node verify.mjs TOKEN SECRET ISSUER AUDIENCE
//
// SECRET is the HS256 key as text (its UTF-8 bytes are the key); pass "" to read
// it from the environment variable WF_JWT_SECRET instead, which keeps it out of
// process listings. Prints the verified payload as JSON and exits 0; on refusal
// prints jose's error code (ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWT_EXPIRED,
// ERR_JWT_CLAIM_VALIDATION_FAILED, ...) on stderr and exits 1; exits 2 on usage.
import { jwtVerify } from 'jose';

const [token, secretArgument, issuer, audience] = process.argv.slice(2);
const secret = secretArgument || process.env.WF_JWT_SECRET;
if (!token || !secret || !issuer || !audience) {
  console.error('usage: node verify.mjs TOKEN SECRET ISSUER AUDIENCE');
  process.exit(2);
}

try {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), {
    issuer,
    audience,
    algorithms: ['HS256'],
    requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti'],
  });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
} catch (error) {
  console.error(error.code || error.message);
  process.exit(1);
}
