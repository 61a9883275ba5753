// amqp_collect.mjs - a consumer that survives RabbitMQ restarts and records every message id.
//
//   node amqp_collect.mjs AMQP_URL QUEUE OUT_FILE
//
// Declares the durable queue QUEUE bound to `walletflow.events` with "#", consumes it with
// manual acknowledgements (prefetch 1000), and appends "<message_id> <routing key>" to OUT_FILE
// for each message before acknowledging it, so a message that was on the wire when RabbitMQ
// went down comes again after the restart (a duplicate, never a loss). When the connection
// drops it reconnects every 250 ms. Prints "ready" once consuming. On SIGTERM it deletes the
// queue (reconnecting once if needed) and exits 0.
import amqp from 'amqplib';
import { appendFileSync } from 'node:fs';

const [url, queue, out] = process.argv.slice(2);
const EXCHANGE = 'walletflow.events';
const RETRY_MS = 250;
let connection = null;
let channel = null;
let announced = false;
let stopping = false;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Opens a connection and channel, declares and binds the queue; throws when RabbitMQ is away.
async function open() {
    const conn = await amqp.connect(url);
    conn.on('error', () => {}); // 'close' follows; reconnecting is its business
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
    // x-expires: should this process be killed before it deletes the queue, RabbitMQ drops it
    // after 5 idle minutes instead of filling it forever.
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-expires': 300000 } });
    await ch.bindQueue(queue, EXCHANGE, '#');
    return { conn, ch };
}

// Consumes until the connection closes, then tries again, until SIGTERM.
async function run() {
    while (!stopping) {
        try {
            ({ conn: connection, ch: channel } = await open());
        } catch {
            await sleep(RETRY_MS);
            continue;
        }
        const closed = new Promise((resolve) => connection.once('close', resolve));
        await channel.prefetch(1000);
        await channel.consume(queue, (msg) => {
            if (!msg) return;
            appendFileSync(out, `${msg.properties.messageId} ${msg.fields.routingKey}\n`);
            channel.ack(msg);
        });
        if (!announced) console.log('ready');
        announced = true;
        await closed;
        connection = channel = null;
        if (!stopping) console.log(`connection lost at ${new Date().toISOString()}; reconnecting`);
    }
}

process.on('SIGTERM', async () => {
    stopping = true;
    try {
        if (!channel) ({ conn: connection, ch: channel } = await open());
        await channel.deleteQueue(queue);
        await connection.close();
    } catch (err) {
        console.log(`could not delete ${queue}: ${err.message}`);
    }
    process.exit(0);
});
run();
