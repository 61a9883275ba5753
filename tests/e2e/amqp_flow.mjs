// amqp_flow.mjs - real money flows through HTTP, read back from RabbitMQ by amqplib.
//
//   node amqp_flow.mjs BASE AMQP_URL
//
// Binds a fresh durable queue to `walletflow.events` with "#" and a second one to the three
// MassTransit fanout exchanges, then drives the HTTP API: three users register (one is made an
// Admin with `$WALLETFLOW admin grant`), Alice deposits, withdraws, opens a USD wallet and sends
// Bob money; the Admin suspends Bob's wallet, Alice's next transfer to it is refunded, the Admin
// reactivates it. Every event this causes must arrive with its routing key, its properties
// (message_id, type, timestamp, content type, app id, persistent) and its body, all derived from
// the HTTP answers (ids, amounts, balances, versions), not from the outbox. Then the outbox
// (psql) must agree: every row of these users and accounts that has the amqp destination
// arrived under its own message_id, and nothing else did. The MassTransit copies (users,
// accounts, transfers) are checked field by field. Duplicates are allowed, counted, printed.
import amqp from 'amqplib';
import { execFileSync } from 'node:child_process';
import { deepStrictEqual } from 'node:assert';
import { Wallet } from './wallet.mjs';

const [base, url] = process.argv.slice(2);
const EXCHANGE = 'walletflow.events';
const MT_NAMESPACE = 'WalletFlow.Contracts.Events';
const MT_TYPES = ['UserRegisteredIntegrationEvent', 'AccountCreatedIntegrationEvent',
                  'MoneyTransferredIntegrationEvent'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const WAIT_MS = 15000;
const w = new Wallet(base);
const ok = (text) => console.log(`ok - ${text}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let passed = 0;
const failures = [];
function check(name, fn) {
    try {
        fn();
        passed++;
    } catch (err) {
        failures.push(`${name}: ${err.message.split('\n').slice(0, 8).join(' ')}`);
    }
}
function expect(condition, text) {
    if (!condition) throw new Error(text);
}

// MassTransit's host address for the URL: rabbitmq://host[:port][/vhost] (5672 and "/" left out).
function addressBase(amqpUrl) {
    const u = new URL(amqpUrl);
    const vhost = decodeURIComponent(u.pathname.replace(/^\//, '')) || '/';
    const port = u.port && u.port !== '5672' ? `:${u.port}` : '';
    return `rabbitmq://${u.hostname}${port}${vhost === '/' ? '' : `/${encodeURIComponent(vhost)}`}`;
}

// ---- consumers first, so nothing the flow causes can be missed.
const connection = await amqp.connect(url);
const channel = await connection.createChannel();
const suffix = `${process.pid}-${Date.now()}`;
const topicQueue = `wf-e2e-flow-topic-${suffix}`;
const mtQueue = `wf-e2e-flow-masstransit-${suffix}`;
await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
const idle = { 'x-expires': 300000 }; // a failed run's queues go after 5 idle minutes
await channel.assertQueue(topicQueue, { durable: true, arguments: idle });
await channel.bindQueue(topicQueue, EXCHANGE, '#');
await channel.assertQueue(mtQueue, { durable: true, arguments: idle });
for (const type of MT_TYPES) {
    await channel.assertExchange(`${MT_NAMESPACE}:${type}`, 'fanout', { durable: true, autoDelete: false });
    await channel.bindQueue(mtQueue, `${MT_NAMESPACE}:${type}`, '');
}
const topic = [];
const masstransit = [];
const parse = (msg) => { try { return JSON.parse(msg.content.toString('utf8')); } catch { return null; } };
await channel.consume(topicQueue, (msg) => msg && topic.push({ msg, body: parse(msg) }), { noAck: true });
await channel.consume(mtQueue, (msg) => msg && masstransit.push({ msg, body: parse(msg) }), { noAck: true });
ok('amqplib: durable queues bound to walletflow.events (#) and the MassTransit fanouts');

// ---- the money flows, through HTTP.
const call = async (method, path, token, body) => {
    const r = await w.call(method, path, { token, body, headers: { 'idempotency-key': `flow-${Math.random()}` } });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
};
const alice = await w.register('alice');
const bob = await w.register('bob');
const carol = await w.register('carol');
const users = [alice, bob, carol];
const registered = users.map((u) => ({ ...u, first: 'Test', last: u.email.split('.')[0] }));
for (const u of users) u.account = await w.defaultAccount(u, 5000);
execFileSync(process.env.WALLETFLOW, ['admin', 'grant', carol.email], { stdio: 'pipe' });
const login = await w.call('POST', '/api/auth/login', { body: { email: carol.email, password: 'Str0ng!Passw0rd' } });
expect(login.status === 200 && login.json.user.role === 'Admin', `admin login ${login.status} ${login.text}`);
const admin = login.json.accessToken;
const a = alice.account.id, b = bob.account.id;
const deposit = await call('POST', `/api/accounts/${a}/deposit`, alice.token, { amount: '100.50', description: 'salary' });
const withdrawal = await call('POST', `/api/accounts/${a}/withdraw`, alice.token, { amount: '0.50' });
const usd = await call('POST', '/api/accounts', alice.token, { currency: 'USD' });
const sent = await call('POST', `/api/accounts/${a}/transfer`, alice.token,
                        { destinationAccountId: b, amount: '30.25', description: 'rent' });
// The credit lands through the outbox; Bob's wallet must have it before it is suspended.
for (const end = Date.now() + 5000; Date.now() < end; await sleep(20))
    if ((await w.call('GET', `/api/accounts/${b}`, { token: bob.token })).json.balance === 30.25) break;
await call('POST', `/api/accounts/${b}/suspend`, admin, { reason: 'e2e check' });
const bounced = await call('POST', `/api/accounts/${a}/transfer`, alice.token,
                           { destinationAccountId: b, amount: '1.00' });
let state;
for (const end = Date.now() + 5000; Date.now() < end; await sleep(20)) {
    state = (await w.call('GET', `/api/transfers/${bounced.id}`, { token: alice.token })).json;
    if (state.status === 'Refunded') break;
}
expect(state.status === 'Refunded', `transfer to a suspended wallet: ${JSON.stringify(state)}`);
await call('POST', `/api/accounts/${b}/reactivate`, admin);
ok('HTTP: 3 users, a deposit, a withdrawal, a USD wallet, a transfer, a suspension, a refunded transfer, a reactivation');

// ---- what RabbitMQ must carry: derived from the HTTP answers only.
const cents = (value) => Math.round(Number(value) * 100);
const money = (tx, extra) => ({ transactionId: tx.id, currency: 'ARS', amount: cents(tx.amount),
                                balanceAfter: cents(tx.balanceAfter), ...extra });
const expected = [
    ...registered.map((u) => ({ key: 'identity.user.registered', event: 'UserRegistered', match: { userId: u.userId },
                                body: { userId: u.userId, email: u.email, firstName: u.first, lastName: u.last } })),
    ...users.map((u) => ({ key: 'finance.account.opened', event: 'AccountOpened', match: { accountId: u.account.id },
                           body: { accountId: u.account.id, ownerId: u.userId, accountNumber: u.account.accountNumber,
                                   currency: 'ARS', accountVersion: 1 } })),
    { key: 'finance.account.opened', event: 'AccountOpened', match: { accountId: usd.id },
      body: { accountId: usd.id, ownerId: alice.userId, accountNumber: usd.accountNumber, currency: 'USD', accountVersion: 1 } },
    { key: 'finance.money.deposited', event: 'MoneyDeposited', match: { transactionId: deposit.id },
      body: money(deposit, { accountId: a, ownerId: alice.userId, description: 'salary', accountVersion: 2 }) },
    { key: 'finance.money.withdrawn', event: 'MoneyWithdrawn', match: { transactionId: withdrawal.id },
      body: money(withdrawal, { accountId: a, ownerId: alice.userId, accountVersion: 3 }) },
    { key: 'finance.transfer.sent', event: 'TransferSent', match: { transactionId: sent.id },
      body: money(sent, { accountId: a, ownerId: alice.userId, destinationAccountId: b, description: 'rent', accountVersion: 4 }) },
    { key: 'finance.transfer.received', event: 'TransferReceived', match: { transactionId: sent.id },
      body: { transactionId: sent.id, accountId: b, ownerId: bob.userId, sourceAccountId: a, amount: 3025,
              currency: 'ARS', balanceAfter: 3025, description: 'rent', accountVersion: 2 } },
    { key: 'finance.account.suspended', event: 'AccountSuspended', match: { accountId: b },
      body: { accountId: b, ownerId: bob.userId, reason: 'e2e check', accountVersion: 3 } },
    { key: 'finance.transfer.sent', event: 'TransferSent', match: { transactionId: bounced.id },
      body: money(bounced, { accountId: a, ownerId: alice.userId, destinationAccountId: b, accountVersion: 5 }) },
    { key: 'finance.transfer.refunded', event: 'TransferRefunded', match: { transactionId: bounced.id },
      body: { transactionId: bounced.id, accountId: a, ownerId: alice.userId, amount: 100, currency: 'ARS',
              balanceAfter: 6975, accountVersion: 6 } },
    { key: 'finance.account.reactivated', event: 'AccountReactivated', match: { accountId: b },
      body: { accountId: b, ownerId: bob.userId, accountVersion: 4 } },
];
const findTopic = (e) => topic.filter(({ msg, body }) => body && msg.fields.routingKey === e.key
    && Object.entries(e.match).every(([k, v]) => body[k] === v));

const mtExpected = [
    ...registered.map((u) => ({ type: 'UserRegisteredIntegrationEvent', match: { userId: u.userId },
        message: { userId: u.userId, email: u.email, firstName: u.first, lastName: u.last, currency: 'ARS' },
        time: 'registeredAt' })),
    ...[...users.map((u) => [u.account, u.userId, 'ARS']), [usd, alice.userId, 'USD']].map(([acc, owner, currency]) => ({
        type: 'AccountCreatedIntegrationEvent', match: { accountId: acc.id },
        message: { accountId: acc.id, ownerId: owner, accountNumber: acc.accountNumber, currency }, time: 'createdAt' })),
    ...[[sent, '30.25'], [bounced, '1.00']].map(([tx, amount]) => ({
        type: 'MoneyTransferredIntegrationEvent', match: { transactionId: tx.id },
        message: { sourceAccountId: a, destinationAccountId: b, transactionId: tx.id, amount, currency: 'ARS' },
        time: 'occurredAt' })),
];
const findMt = (e) => masstransit.filter(({ msg, body }) => body && body.message
    && msg.fields.exchange === `${MT_NAMESPACE}:${e.type}`
    && Object.entries(e.match).every(([k, v]) => body.message[k] === v));

const deadline = Date.now() + WAIT_MS;
while (Date.now() < deadline && !(expected.every((e) => findTopic(e).length > 0)
                                  && mtExpected.every((e) => findMt(e).length > 0)))
    await sleep(50);
await sleep(300); // late duplicates, and anything that should not have come

// ---- the topic messages.
let duplicates = 0;
for (const e of expected) {
    const copies = findTopic(e);
    const name = `${e.key} ${JSON.stringify(e.match)}`;
    check(`${name} arrived`, () => expect(copies.length >= 1, 'not received'));
    duplicates += Math.max(0, copies.length - 1);
    for (const { msg, body } of copies) check(name, () => {
        const p = msg.properties;
        expect(msg.fields.exchange === EXCHANGE, `exchange ${msg.fields.exchange}`);
        expect(UUID.test(p.messageId), `message_id ${p.messageId}`);
        expect(p.type === e.event, `type ${p.type}`);
        expect(p.contentType === 'application/json', `content_type ${p.contentType}`);
        expect(p.deliveryMode === 2, `delivery_mode ${p.deliveryMode}`);
        expect(p.appId === 'walletflow', `app_id ${p.appId}`);
        expect(ISO.test(body.occurredAt), `occurredAt ${body.occurredAt}`);
        expect(Math.abs(p.timestamp - Date.parse(body.occurredAt) / 1000) <= 2,
               `timestamp ${p.timestamp} vs occurredAt ${body.occurredAt}`);
        for (const [k, v] of Object.entries(e.body)) deepStrictEqual(body[k], v, `body.${k}`);
        for (const k of ['amount', 'balanceAfter'])
            if (k in e.body)
                deepStrictEqual(body[`${k}Display`], `${(e.body[k] / 100).toFixed(2)} ARS`, `${k}Display`);
        const copy = copies[0];
        deepStrictEqual(body, copy.body, 'a duplicate differs');
        expect(p.messageId === copy.msg.properties.messageId, 'a duplicate has another message_id');
    });
}
ok(`topic: ${expected.length} events (${duplicates} duplicates) with their routing keys, properties and bodies`);

// ---- the outbox agrees: same rows, same message ids, same payloads.
const psql = (sql) => execFileSync('psql', [process.env.WF_PG_URL, '-Atq', '-c', sql], { encoding: 'utf8' });
const ids = [...users.map((u) => u.userId), ...users.map((u) => u.account.id), usd.id];
const rows = JSON.parse(psql(`SELECT coalesce (json_agg (json_build_object ('id', message_id, 'type', type, 'payload', payload)), '[]')
    FROM outbox WHERE 'amqp' = ANY (destinations)
    AND (payload->>'accountId' = ANY ('{${ids.join(',')}}') OR payload->>'userId' = ANY ('{${ids.join(',')}}'))`));
const ours = new Set(ids);
const mine = topic.filter(({ body }) => body && (ours.has(body.accountId) || ours.has(body.userId)));
check('outbox rows', () => expect(rows.length === expected.length, `${rows.length} rows, ${expected.length} expected`));
const byId = new Map(mine.map(({ msg, body }) => [msg.properties.messageId, body]));
for (const row of rows) check(`outbox row ${row.type} ${row.id}`, () => {
    const body = byId.get(row.id);
    expect(body, 'no message with this message_id');
    for (const [k, v] of Object.entries(row.payload)) deepStrictEqual(body[k], v, `body.${k}`);
});
check('nothing but outbox rows', () => expect(byId.size === rows.length,
                                             `${byId.size} distinct message ids, ${rows.length} rows`));
ok(`outbox: ${rows.length} rows with the amqp destination, each received under its own message_id`);

// ---- the MassTransit copies.
const addresses = addressBase(url);
let mtDuplicates = 0;
for (const e of mtExpected) {
    const copies = findMt(e);
    const name = `${e.type} ${JSON.stringify(e.match)}`;
    check(`${name} arrived`, () => expect(copies.length >= 1, 'not received'));
    mtDuplicates += Math.max(0, copies.length - 1);
    const exchange = `${MT_NAMESPACE}:${e.type}`;
    for (const { msg, body } of copies) check(name, () => {
        const p = msg.properties;
        expect(msg.fields.routingKey === '', `routing key ${msg.fields.routingKey}`);
        expect(p.contentType === 'application/vnd.masstransit+json', `content_type ${p.contentType}`);
        expect(p.deliveryMode === 2, `delivery_mode ${p.deliveryMode}`);
        expect(UUID.test(body.messageId) && p.messageId === body.messageId, `messageId ${body.messageId} / ${p.messageId}`);
        expect(UUID.test(body.conversationId), `conversationId ${body.conversationId}`);
        for (const k of ['requestId', 'correlationId', 'initiatorId', 'responseAddress', 'faultAddress', 'expirationTime'])
            expect(k in body && body[k] === null, `${k} is not null`);
        expect(body.sourceAddress === `${addresses}/walletflow`, `sourceAddress ${body.sourceAddress}`);
        expect(body.destinationAddress === `${addresses}/${exchange}`, `destinationAddress ${body.destinationAddress}`);
        deepStrictEqual(body.messageType, [`urn:message:${exchange}`]);
        expect(ISO.test(body.sentTime) && Math.abs(Date.parse(body.sentTime) - Date.now()) < 60000,
               `sentTime ${body.sentTime}`);
        deepStrictEqual(body.headers, {});
        for (const k of ['machineName', 'processName', 'assembly', 'assemblyVersion', 'frameworkVersion',
                         'operatingSystemVersion'])
            expect(typeof body.host[k] === 'string' && body.host[k].length > 0, `host.${k}`);
        expect(Number.isInteger(body.host.processId), 'host.processId');
        const { [e.time]: when, ...rest } = body.message;
        expect(ISO.test(when), `message.${e.time} ${when}`);
        deepStrictEqual(rest, e.message, 'message');
        deepStrictEqual(body.messageId, copies[0].body.messageId, 'a duplicate has another messageId');
    });
}
// The MassTransit copy and the topic message of one event say the same time.
for (const e of mtExpected.filter((m) => m.type === 'MoneyTransferredIntegrationEvent')) {
    const [mt] = findMt(e), [tp] = topic.filter(({ body }) => body && body.transactionId === e.match.transactionId
                                                   && body.destinationAccountId);
    check('MassTransit time', () => expect(mt && tp && mt.body.message.occurredAt === tp.body.occurredAt, 'occurredAt'));
}
ok(`masstransit: ${mtExpected.length} envelopes (${mtDuplicates} duplicates), every field named by the contracts`);

await channel.deleteQueue(topicQueue);
await channel.deleteQueue(mtQueue);
await connection.close();
for (const f of failures.slice(0, 25)) console.log(`FAIL: ${f}`);
console.log(`topic: ${expected.length} events, ${duplicates} duplicates; masstransit: ${mtExpected.length} envelopes, `
            + `${mtDuplicates} duplicates; ${passed} checks passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
