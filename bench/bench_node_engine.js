#!/usr/bin/env node
/*
 * bench_node_engine.js - the npm package's AuthEngine (client/node)
 * against agauthd: operations per second of verify hits (the cache, in
 * this process), verify misses (tokens agauthd has not seen: its
 * socket), and signs; one at a time (await each, as a SocketCluster
 * handshake does) and pipelined (BENCH_DEPTH in flight).  In the same run,
 * the peers a SocketCluster worker uses today: ag-auth 2.1 (the default
 * authEngine) with SocketCluster's default string authKey and with a
 * KeyObject, fast-jwt with and without its cache, and the floor under a
 * miss: a bare ping to agauthd over the same connection.  Then the
 * targets as ratios.  A benchmark, never a test.
 *
 *   node bench/bench_node_engine.js      (make bench runs it)
 *
 *   AGAUTHD        the daemon (default build/agauthd)
 *   BENCH_SECONDS  seconds per repetition (default 1)
 *   BENCH_REPS     repetitions, median printed (default 3)
 *   BENCH_DEPTH    requests in flight when pipelined (default 64)
 *
 * Prints "<operation> <mode> <median ops/s> <min> <max>".
 */
'use strict';

process.env.AGAUTHD = process.env.AGAUTHD || 'build/agauthd';

const crypto = require('node:crypto');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const h = require('../tests/integration/harness');
const jwt = require('../tests/node_modules/jsonwebtoken');
const AgAuth = require('../tests/node_modules/ag-auth');
const { createVerifier, createSigner } = require('../tests/node_modules/fast-jwt');
const { AuthEngine } = require(path.join(h.ROOT, 'client', 'node'));

const SECONDS = Number(process.env.BENCH_SECONDS) || 1;
const REPS = Number(process.env.BENCH_REPS) || 3;
const DEPTH = Number(process.env.BENCH_DEPTH) || 64;

/* ops/s of `op(i)` (a promise, or a value) over SECONDS, `depth` at a
 * time */
async function rate(op, depth) {
	const end = performance.now() + SECONDS * 1000;
	let n = 0;
	const worker = async () => {
		while (performance.now() < end)
			await op(n++);
	};
	const t0 = performance.now();

	await Promise.all(Array.from({ length: depth }, worker));
	return n / ((performance.now() - t0) / 1000);
}

const medians = {};

async function measure(name, mode, op, depth) {
	const runs = [];

	await rate(op, depth);                 /* warm up */
	for (let i = 0; i < REPS; i++)
		runs.push(await rate(op, depth));
	runs.sort((a, b) => a - b);
	const f = (x) => x.toFixed(0).padStart(9);

	medians[`${name} ${mode}`] = runs[REPS >> 1];
	console.log(`${name.padEnd(24)} ${mode.padEnd(10)} ${f(runs[REPS >> 1])} ${f(runs[0])} ${f(runs[REPS - 1])}`);
}

/* "name: a / b = r (target)" from the medians */
function ratio(what, a, b, target, higher) {
	const r = medians[a] / medians[b];
	const met = higher ? r >= target : r <= target;

	console.log(`ratio ${what.padEnd(44)} ${r.toFixed(2).padStart(8)}  ` +
		    `(target ${higher ? '>=' : '<='} ${target}: ${met ? 'met' : 'NOT met'})`);
}

/* HS256 tokens agauthd has never seen, made with its secret */
function freshTokens(secret, kid, n) {
	const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
	const now = Math.floor(Date.now() / 1000);

	return Array.from({ length: n }, (_, i) => {
		const body = Buffer.from(JSON.stringify({ sub: `user-${i}`, iat: now,
							  exp: now + 86400 })).toString('base64url');
		const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');

		return `${head}.${body}.${sig}`;
	});
}

async function main() {
	const env = h.setup({ conf: { daemon: { log_level: 'warning', threads: 0 } } });
	const d = await h.Daemon.start(env);
	const e = new AuthEngine({ socketPath: env.sock });
	const { secret, kid } = env.keys.hs1;
	const authToken = { username: 'alice', channels: ['a', 'b'] };
	const opts = { algorithms: ['HS256'] };

	await h.waitFor(() => e.cacheAttached, { what: 'the cache attached' });
	const hot = await e.signToken(authToken, null, { expiresIn: 86400 });
	const fresh = freshTokens(secret, kid, 600000);
	let next = 0;
	const miss = () => e.verifyToken(fresh[next++ % fresh.length], null, opts);

	console.log(`# node ${process.version}, ${require('node:os').cpus()[0].model}, ` +
		    `${require('node:os').cpus().length} CPUs; ${REPS} x ${SECONDS} s, median, min, max ops/s`);
	console.log('# operation               mode        median       min       max');
	await measure('verify hit (cache)', 'sequential', () => e.verifyToken(hot, null, opts), 1);
	await measure('verify hit (cache)', `depth ${DEPTH}`, () => e.verifyToken(hot, null, opts), DEPTH);
	await measure('verify miss (agauthd)', 'sequential', miss, 1);
	await measure('verify miss (agauthd)', `depth ${DEPTH}`, miss, DEPTH);
	await measure('sign HS256 (agauthd)', 'sequential',
		      () => e.signToken(authToken, null, { expiresIn: 86400 }), 1);
	await measure('sign HS256 (agauthd)', `depth ${DEPTH}`,
		      () => e.signToken(authToken, null, { expiresIn: 86400 }), DEPTH);
	await measure('ping (agauthd)', 'sequential', () => e.conn.request('ping', {}), 1);
	/* ag-auth as socketcluster-server calls it: an authKey string (the
	 * default: jsonwebtoken tries it as a PEM first, every time), and a
	 * KeyObject; awaited, as a handshake awaits it */
	const ag = new AgAuth();
	/* socketcluster-server makes its authKey as 32 random bytes in hex */
	const keyString = crypto.randomBytes(32).toString('hex');
	const keyObject = crypto.createSecretKey(Buffer.from(keyString));
	const agHot = await ag.signToken(authToken, keyString, { expiresIn: 86400 });

	for (const [what, key] of [['string key', keyString], ['KeyObject', keyObject]]) {
		await measure('ag-auth verify', what, () => ag.verifyToken(agHot, key, opts), 1);
		await measure('ag-auth sign', what,
			      () => ag.signToken(authToken, key, { expiresIn: 86400 }), 1);
	}
	/* fast-jwt, synchronous, with and without its verified-token cache */
	const fjPlain = createVerifier({ key: keyString, algorithms: ['HS256'] });
	const fjCache = createVerifier({ key: keyString, algorithms: ['HS256'], cache: true });
	const fjSign = createSigner({ key: keyString, expiresIn: 86400000 });

	await measure('fast-jwt verify', 'no cache', () => fjPlain(agHot), 1);
	await measure('fast-jwt verify', 'cache hit', () => fjCache(agHot), 1);
	await measure('fast-jwt sign', 'sequential', () => fjSign(authToken), 1);
	/* the targets */
	ratio('hit / fast-jwt cache hit', 'verify hit (cache) sequential',
	      'fast-jwt verify cache hit', 3, true);
	ratio('miss / ag-auth (string key)', 'verify miss (agauthd) sequential',
	      'ag-auth verify string key', 10, true);
	ratio('miss latency / ping latency', 'ping (agauthd) sequential',
	      'verify miss (agauthd) sequential', 1.3, false);
	ratio('sign / ag-auth (string key)', 'sign HS256 (agauthd) sequential',
	      'ag-auth sign string key', 10, true);
	ratio('hit / ag-auth (KeyObject)', 'verify hit (cache) sequential',
	      'ag-auth verify KeyObject', 1, true);
	if (next > fresh.length)
		console.log(`# verify miss: ${next} verifies over ${fresh.length} tokens: ` +
			    'some repeated, and were hits');
	const s = await e.stats();

	console.log(`# agauthd stats: cache_hits ${s.cache_hits}, cache_misses ${s.cache_misses}, ` +
		    `verifies ${s.verifies}, signs ${s.signs}`);
	await e.close();
	await d.stop();
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
