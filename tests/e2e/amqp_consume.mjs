// amqp_consume.mjs - WalletFlow's RabbitMQ events, read by an independent client (amqplib).
//
//   node amqp_consume.mjs AMQP_URL ROWS_FILE TIMEOUT_MS
//
// Declares a durable queue bound to `walletflow.events` with "#" and one bound to the three
// MassTransit fanout exchanges (declared with MassTransit's own arguments: durable fanout, so a
// mismatch with what the bridge declared would fail here), prints "ready", then waits for
// ROWS_FILE (written by wf_amqp_send: one expected row per line) and consumes until every row
// arrived as often as it was acknowledged, or TIMEOUT_MS passed. Each message is checked against
// its row: routing key, properties, body fields and display strings; for MassTransit, the
// envelope and every field of the message contract. Messages of other runs are ignored.
// Prints "N passed, M failed" and the duplicate counts; exit 0 only when nothing failed.
import amqp from 'amqplib';
import { existsSync, readFileSync } from 'node:fs';
import { deepStrictEqual } from 'node:assert';

const [url, rowsFile, timeoutText] = process.argv.slice(2);
const timeoutMs = Number(timeoutText || 30000);
const EXCHANGE = 'walletflow.events';
const MT_NAMESPACE = 'WalletFlow.Contracts.Events';
const MT_TYPES = ['UserRegisteredIntegrationEvent', 'AccountCreatedIntegrationEvent',
                  'MoneyTransferredIntegrationEvent'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let passed = 0;
const failures = [];
function check (name, fn) {
    try {
        fn ();
        passed++;
    } catch (err) {
        failures.push (`${name}: ${err.message.split ('\n').slice (0, 6).join (' ')}`);
    }
}
function expect (condition, text) {
    if (!condition)
        throw new Error (text);
}

// "100.50" for 10050 minor units of a 2-digit currency (the e2e rows use ARS).
const scaled = (minor) => `${Math.trunc (minor / 100)}.${String (Math.abs (minor) % 100).padStart (2, '0')}`;

// The MassTransit message contract expected for a row.
function masstransitMessage (row) {
    const p = row.payload;
    if (row.type === 'UserRegistered')
        return { userId: p.userId, email: p.email, firstName: p.firstName, lastName: p.lastName,
                 currency: 'ARS', registeredAt: p.occurredAt };
    if (row.type === 'AccountOpened')
        return { accountId: p.accountId, ownerId: p.ownerId, accountNumber: p.accountNumber,
                 currency: p.currency, createdAt: p.occurredAt };
    return { sourceAccountId: p.accountId, destinationAccountId: p.destinationAccountId,
             transactionId: p.transactionId, amount: scaled (p.amount), currency: p.currency,
             occurredAt: p.occurredAt };
}

function checkTopic (row, msg) {
    const { fields, properties } = msg;
    expect (fields.exchange === EXCHANGE, `exchange ${fields.exchange}`);
    expect (fields.routingKey === row.routingKey, `routing key ${fields.routingKey}`);
    expect (properties.contentType === 'application/json', `content type ${properties.contentType}`);
    expect (properties.deliveryMode === 2, `delivery mode ${properties.deliveryMode}`);
    expect (properties.type === row.type, `type ${properties.type}`);
    expect (properties.appId === 'walletflow', `app id ${properties.appId}`);
    const nowS = Date.now () / 1000;
    expect (Math.abs (properties.timestamp - nowS) < 3600, `timestamp ${properties.timestamp}`);
    const body = JSON.parse (msg.content.toString ('utf8'));
    for (const [key, value] of Object.entries (row.payload))
        deepStrictEqual (body[key], value, `body.${key}`);
    for (const key of ['amount', 'balanceAfter'])
        if (key in row.payload) {
            expect (Number.isInteger (body[key]), `${key} is not an integer`);
            expect (body[`${key}Display`] === `${scaled (row.payload[key])} ARS`,
                    `${key}Display ${body[`${key}Display`]}`);
        }
}

function checkMasstransit (row, msg) {
    const { fields, properties } = msg;
    expect (fields.exchange === row.masstransitExchange, `exchange ${fields.exchange}`);
    expect (properties.contentType === 'application/vnd.masstransit+json',
            `content type ${properties.contentType}`);
    expect (properties.deliveryMode === 2, `delivery mode ${properties.deliveryMode}`);
    const envelope = JSON.parse (msg.content.toString ('utf8'));
    expect (envelope.messageId === row.masstransitId, `messageId ${envelope.messageId}`);
    expect (UUID.test (envelope.conversationId), `conversationId ${envelope.conversationId}`);
    for (const key of ['requestId', 'correlationId', 'initiatorId', 'responseAddress',
                       'faultAddress', 'expirationTime'])
        expect (key in envelope && envelope[key] === null, `${key} is not null`);
    expect (/^rabbitmq:\/\/[^/]+\/walletflow$/.test (envelope.sourceAddress),
            `sourceAddress ${envelope.sourceAddress}`);
    expect (envelope.destinationAddress.endsWith (`/${row.masstransitExchange}`),
            `destinationAddress ${envelope.destinationAddress}`);
    deepStrictEqual (envelope.messageType, [`urn:message:${row.masstransitExchange}`]);
    expect (!Number.isNaN (Date.parse (envelope.sentTime)) && envelope.sentTime.endsWith ('Z'),
            `sentTime ${envelope.sentTime}`);
    deepStrictEqual (envelope.headers, {});
    for (const key of ['machineName', 'processName', 'assembly', 'assemblyVersion',
                       'frameworkVersion', 'operatingSystemVersion'])
        expect (typeof envelope.host[key] === 'string', `host.${key}`);
    expect (Number.isInteger (envelope.host.processId), 'host.processId');
    deepStrictEqual (envelope.message, masstransitMessage (row));
}

const connection = await amqp.connect (url);
const channel = await connection.createChannel ();
const suffix = `${process.pid}-${Date.now ()}`;
await channel.assertExchange (EXCHANGE, 'topic', { durable: true });
const topicQueue = `wf-e2e-amqp-topic-${suffix}`;
await channel.assertQueue (topicQueue, { durable: true });
await channel.bindQueue (topicQueue, EXCHANGE, '#');
const mtQueue = `wf-e2e-amqp-masstransit-${suffix}`;
await channel.assertQueue (mtQueue, { durable: true });
for (const type of MT_TYPES) {
    const exchange = `${MT_NAMESPACE}:${type}`;
    await channel.assertExchange (exchange, 'fanout', { durable: true, autoDelete: false });
    await channel.bindQueue (mtQueue, exchange, '');
}
const received = { topic: new Map (), masstransit: new Map () };
const consume = (queue, kind) => channel.consume (queue, (msg) => {
    if (msg === null) // the broker cancelled the consumer (its queue was deleted)
        return;
    const id = msg.properties.messageId;
    if (!received[kind].has (id))
        received[kind].set (id, []);
    received[kind].get (id).push (msg);
}, { noAck: true });
const consumers = [await consume (topicQueue, 'topic'), await consume (mtQueue, 'masstransit')];
console.log ('ready');

const deadline = Date.now () + timeoutMs;
const sleep = (ms) => new Promise ((resolve) => setTimeout (resolve, ms));
while (!existsSync (rowsFile) && Date.now () < deadline)
    await sleep (50);
const rows = existsSync (rowsFile)
    ? readFileSync (rowsFile, 'utf8').trim ().split ('\n').map ((line) => JSON.parse (line))
    : [];
check ('rows file', () => expect (rows.length > 0, `no rows in ${rowsFile}`));
const published = rows.filter ((row) => row.routingKey);
const complete = () =>
    published.every ((row) => (received.topic.get (row.messageId) || []).length >= row.copies)
    && rows.filter ((row) => row.masstransitId).every (
        (row) => (received.masstransit.get (row.masstransitId) || []).length >= row.copies);
while (!complete () && Date.now () < deadline)
    await sleep (50);
await sleep (300); // late duplicates, and anything that should not have come

let duplicates = 0, mtDuplicates = 0, mtCount = 0;
for (const row of rows) {
    const copies = received.topic.get (row.messageId) || [];
    if (!row.routingKey) {
        check (`${row.type} ${row.messageId} not published`,
               () => expect (copies.length === 0, `${copies.length} copies`));
        continue;
    }
    check (`${row.type} ${row.messageId} arrived`,
           () => expect (copies.length >= row.copies, `${copies.length} of ${row.copies} copies`));
    duplicates += Math.max (0, copies.length - row.copies);
    copies.forEach ((msg, i) => check (`${row.type} ${row.messageId} copy ${i}`,
                                       () => checkTopic (row, msg)));
    if (!row.masstransitId)
        continue;
    const mt = received.masstransit.get (row.masstransitId) || [];
    mtCount += mt.length;
    check (`${row.type} MassTransit ${row.masstransitId} arrived`,
           () => expect (mt.length >= row.copies, `${mt.length} of ${row.copies} copies`));
    mtDuplicates += Math.max (0, mt.length - row.copies);
    mt.forEach ((msg, i) => check (`${row.type} MassTransit ${row.masstransitId} copy ${i}`,
                                   () => checkMasstransit (row, msg)));
}
for (const { consumerTag } of consumers)
    await channel.cancel (consumerTag);
await channel.deleteQueue (topicQueue);
await channel.deleteQueue (mtQueue);
await connection.close ();
for (const failure of failures.slice (0, 20))
    console.log (`FAIL: ${failure}`);
console.log (`topic: ${published.length} rows, ${duplicates} duplicates; masstransit: ${mtCount} `
             + `messages, ${mtDuplicates} duplicates`);
console.log (`${passed} passed, ${failures.length} failed`);
process.exit (failures.length === 0 ? 0 : 1);
