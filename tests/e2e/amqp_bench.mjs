// amqp_bench.mjs - the consumer side of amqp_bench.sh: when each benchmark event arrives.
//
//   node amqp_bench.mjs AMQP_URL RUN OUT_FILE
//
// Binds an exclusive queue to `walletflow.events` with "finance.money.deposited", consumes
// without acknowledgements (the consumer must not be the bottleneck), and for every message whose
// body.description is "amqp-bench-RUN-<phase>" appends "<phase> <received ms> <occurredAt ms>" to
// OUT_FILE (buffered, flushed every 100 ms). Prints "ready"; exits on SIGTERM after a flush.
import amqp from 'amqplib';
import { appendFileSync } from 'node:fs';

const [url, run, out] = process.argv.slice(2);
const prefix = `amqp-bench-${run}-`;
let lines = [];
const flush = () => {
    if (lines.length) appendFileSync(out, lines.join(''));
    lines = [];
};
setInterval(flush, 100);

const connection = await amqp.connect(url);
const channel = await connection.createChannel();
const { queue } = await channel.assertQueue('', { exclusive: true });
await channel.bindQueue(queue, 'walletflow.events', 'finance.money.deposited');
await channel.consume(queue, (msg) => {
    if (!msg) return;
    const now = Date.now();
    const body = JSON.parse(msg.content.toString('utf8'));
    if (typeof body.description === 'string' && body.description.startsWith(prefix))
        lines.push(`${body.description.slice(prefix.length)} ${now} ${Date.parse(body.occurredAt)}\n`);
}, { noAck: true });
console.log('ready');
process.on('SIGTERM', async () => {
    flush();
    await connection.close().catch(() => {});
    process.exit(0);
});
