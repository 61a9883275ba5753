// identity_storm.mjs - a storm of concurrent registrations.
//
//   node identity_storm.mjs BASE_URL COUNT TAG PASSWORD
//
// Sends COUNT registrations at once (emails storm-TAG-N@example.com) and
// prints one JSON object: {"statuses": {"201": n, "503": m, ...},
// "retryAfterMissing": k}. A request with no answer within 15 s counts as
// status "timeout". (identity.sh times GET /health meanwhile from another
// process, so this client's own event loop does not colour the timings.)
const [base, countText, tag, password] = process.argv.slice(2);
const count = Number(countText);
if (!base || !count || !tag || !password) {
  console.error('usage: node identity_storm.mjs BASE_URL COUNT TAG PASSWORD');
  process.exit(2);
}

const statuses = {};
let retryAfterMissing = 0;

async function register(index) {
  const body = JSON.stringify({
    email: `storm-${tag}-${index}@example.com`,
    firstName: 'Storm',
    lastName: `User${index}`,
    password,
  });
  let status = 'timeout';
  try {
    const response = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15000),
    });
    status = String(response.status);
    if ((response.status === 503 || response.status === 429) && !response.headers.get('retry-after')) {
      retryAfterMissing++;
    }
    await response.arrayBuffer();
  } catch (error) {
    status = error.name === 'TimeoutError' ? 'timeout' : 'error';
  }
  statuses[status] = (statuses[status] || 0) + 1;
}

await Promise.all(Array.from({ length: count }, (_, index) => register(index)));
console.log(JSON.stringify({ statuses, retryAfterMissing }));
