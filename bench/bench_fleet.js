'use strict';
/*
 * bench_fleet.js - the fleet's propagation: a redis-server on loopback
 * TCP (BENCH_FLEET_UNIX=1: its Unix socket) and three daemons (the
 * release build) with [cluster], then build/bench_fleet between host a
 * and host b: ms from the reply to a revoke on a to the moment b's cache
 * stops answering for the token.  Then the revoke rate on a with the
 * cluster on.  Each repetition starts a fresh Redis and fresh daemons.
 *
 *   node bench/bench_fleet.js [N]        (make build/bench_fleet first)
 *
 *   BENCH_REPS    repetitions (default 3)
 *   BENCH_QUICK   1: 100 subjects and 500 revokes (else N, default 500,
 *                 and 2000)
 *
 * Prints, over the repetitions (median, min, max; bench/lib/figures.js):
 *
 *   fleet propagation_{p50,p90,p99,max}_us   a's reply to b's refusal
 *   fleet revokes_per_s                      revokes answered on a, one
 *                                            at a time
 *
 * bench/results.js judges issue 15's target (p99 <= 50 ms).  A
 * benchmark, never a test.
 */
const path = require('node:path');
const fs = require('node:fs');
const { execFile } = require('node:child_process');

process.env.AGAUTHD = process.env.AGAUTHD || 'build/agauthd';
const h = require('../tests/integration/harness');
const { Redis } = require('../tests/integration/redis');

const figures = require('./lib/figures');

const QUICK = process.env.BENCH_QUICK === '1';
const N = Number(process.argv[2]) || (QUICK ? 100 : 500);
const RATE_N = QUICK ? 500 : 2000;
const REPS = Number(process.env.BENCH_REPS) || 3;

/* one repetition: {propagation: {p50_ms, ...}, revokes_per_s} */
async function once() {
	const unix = process.env.BENCH_FLEET_UNIX === '1';
	const redis = await Redis.start({ tcp: !unix });
	const key = path.join(h.tmpdir('fleet'), 'cluster.key');
	h.keygen('cluster', key);
	const first = h.setup();
	const material = fs.readFileSync(first.keys.hs1.file);
	const ds = [];
	try {
		for (const name of ['a', 'b', 'c']) {
			const env = h.setup({
				keys: [{ name: 'hs1', type: 'hs256', state: 'primary', material }],
				conf: { cluster: { redis: unix ? redis.sock : `127.0.0.1:${redis.port}`, key, name } },
			});
			ds.push({ env, d: await h.Daemon.start(env) });
		}
		const admin = await ds[0].d.client();
		for (const { d } of ds) {
			const c = await d.client();
			await h.waitFor(async () => (await c.call('stats')).cluster_connected === true,
					{ timeout: 10000, what: 'connected' });
		}
		/* not spawnSync: the daemons' logs must be read meanwhile, or
		 * their stderr fills and they wait on it */
		const out = await new Promise((resolve, reject) => {
			execFile(path.join(h.ROOT, 'build/bench_fleet'), [ds[0].env.sock, ds[1].env.sock, String(N)],
				 { encoding: 'utf8', timeout: 600000 },
				 (err, stdout, stderr) => (err ? reject(new Error(`bench_fleet: ${stderr}`)) : resolve(stdout)));
		});
		const prop = JSON.parse(out);
		/* revokes answered per second on a, one at a time (each fsyncs
		 * the log and the outbox) */
		const t0 = process.hrtime.bigint();
		for (let i = 0; i < RATE_N; i++)
			h.ok(await admin.call('revoke', { jti: `rate-${i}` }));
		const s = Number(process.hrtime.bigint() - t0) / 1e9;
		console.log(`# ${unix ? 'unix' : 'tcp'}: ${JSON.stringify(prop)}, ` +
			    `${Math.round(RATE_N / s)} revokes/s`);
		return { propagation: prop, revokes_per_s: RATE_N / s };
	} finally {
		for (const { d } of ds)
			await d.stop();
		await redis.stop();
	}
}

async function main() {
	const runs = [];

	console.log(figures.machine());
	for (let i = 0; i < REPS; i++)
		runs.push(await once());
	for (const p of ['p50', 'p90', 'p99', 'max'])
		figures.line('fleet', `propagation_${p}_us`,
			     runs.map((r) => r.propagation[`${p}_ms`] * 1000));
	figures.line('fleet', 'revokes_per_s', runs.map((r) => r.revokes_per_s));
}

main().catch((e) => { console.error(e); process.exit(1); });
