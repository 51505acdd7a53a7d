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
 * miss: a bare ping to agauthd over the same connection.  The repetitions
 * of all of them are interleaved (rep 1 of each, rep 2 of each, ...), so
 * that the figures compared see the same machine conditions, and each
 * ratio is taken per repetition.  A benchmark, never a test.
 *
 *   node bench/bench_node_engine.js      (make bench runs it)
 *
 *   AGAUTHD        the daemon (default build/agauthd)
 *   BENCH_SECONDS  seconds per repetition (default 1)
 *   BENCH_REPS     repetitions, median printed (default 3)
 *   BENCH_DEPTH    requests in flight when pipelined (default 64)
 *
 * Prints "node <name> <median ops/s> <min> <max>" and
 * "node-ratio <name> <median> <min> <max>"; other lines start with '#'.
 */
'use strict';

process.env.AGAUTHD = process.env.AGAUTHD || 'build/agauthd';

const crypto = require('node:crypto');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const h = require('../tests/integration/harness');
const AgAuth = require('../tests/node_modules/ag-auth');
const { createVerifier, createSigner } = require('../tests/node_modules/fast-jwt');
const { AuthEngine } = require(path.join(h.ROOT, 'client', 'node'));

const SECONDS = Number(process.env.BENCH_SECONDS) || 1;
const REPS = Number(process.env.BENCH_REPS) || 3;
const DEPTH = Number(process.env.BENCH_DEPTH) || 64;
/* each case runs this long once before its repetitions */
const WARMUP = Math.min(SECONDS, 0.25);
/* fresh tokens per second of measured misses, sequential and pipelined
 * together: more than agauthd answers on this machine, so that none
 * repeats (a repeat would be a hit) */
const MISSES_PER_S = 160000;

/* ops/s of `op(i)` (a promise, or a value) over `seconds`, `depth` at a
 * time */
async function rate(op, depth, seconds) {
	const end = performance.now() + seconds * 1000;
	let n = 0;
	const worker = async () => {
		while (performance.now() < end)
			await op(n++);
	};
	const t0 = performance.now();

	await Promise.all(Array.from({ length: depth }, worker));
	return n / ((performance.now() - t0) / 1000);
}

/* name -> { op, depth, runs: ops/s per repetition, in order } */
const cases = new Map();

function add(name, op, depth) {
	cases.set(name, { op, depth, runs: [] });
}

/* warms every case up, then runs repetition r of each for r = 1..REPS */
async function measureAll() {
	for (const c of cases.values())
		await rate(c.op, c.depth, WARMUP);
	for (let r = 0; r < REPS; r++)
		for (const c of cases.values())
			c.runs.push(await rate(c.op, c.depth, SECONDS));
}

/* "<subject> <name> <median> <min> <max>", columns aligned */
function report(subject, name, values, decimals) {
	const v = [...values].sort((a, b) => a - b);
	const f = (x) => x.toFixed(decimals).padStart(10);

	console.log(`${subject.padEnd(10)} ${name.padEnd(34)} ` +
		    `${f(v[v.length >> 1])} ${f(v[0])} ${f(v[v.length - 1])}`);
}

/* a / b per repetition, as node-ratio <name> */
function ratio(name, a, b) {
	const ra = cases.get(a).runs, rb = cases.get(b).runs;

	report('node-ratio', name, ra.map((x, i) => x / rb[i]), 3);
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
	const signOpts = { expiresIn: 86400 };

	await h.waitFor(() => e.cacheAttached, { what: 'the cache attached' });
	const hot = await e.signToken(authToken, null, signOpts);
	const fresh = freshTokens(secret, kid,
				  Math.ceil((REPS * SECONDS + WARMUP) * MISSES_PER_S));
	let next = 0;
	const miss = () => e.verifyToken(fresh[next++ % fresh.length], null, opts);
	const hit = () => e.verifyToken(hot, null, opts);
	const sign = () => e.signToken(authToken, null, signOpts);

	/* AuthEngine: one call at a time (awaited, as a handshake awaits
	 * it), and DEPTH in flight */
	for (const [name, op] of [['verify_hit', hit], ['verify_miss', miss],
				  ['sign_hs256', sign]]) {
		add(`${name}_seq_ops`, op, 1);
		add(`${name}_pipelined_ops`, op, DEPTH);
	}
	add('ping_seq_ops', () => e.conn.request('ping', {}), 1);
	/* ag-auth as socketcluster-server calls it: an authKey string (the
	 * default: jsonwebtoken tries it as a PEM first, every time), and a
	 * KeyObject; awaited, as a handshake awaits it */
	const ag = new AgAuth();
	/* socketcluster-server makes its authKey as 32 random bytes in hex */
	const keyString = crypto.randomBytes(32).toString('hex');
	const keyObject = crypto.createSecretKey(Buffer.from(keyString));
	const agHot = await ag.signToken(authToken, keyString, signOpts);

	for (const [what, key] of [['string_key', keyString], ['keyobject', keyObject]]) {
		add(`ag-auth_verify_${what}_ops`, () => ag.verifyToken(agHot, key, opts), 1);
		add(`ag-auth_sign_${what}_ops`, () => ag.signToken(authToken, key, signOpts), 1);
	}
	/* fast-jwt, synchronous, with and without its verified-token cache */
	const fjPlain = createVerifier({ key: keyString, algorithms: ['HS256'] });
	const fjCache = createVerifier({ key: keyString, algorithms: ['HS256'], cache: true });
	const fjSign = createSigner({ key: keyString, expiresIn: 86400000 });

	add('fast-jwt_verify_ops', () => fjPlain(agHot), 1);
	add('fast-jwt-cache_verify_hit_ops', () => fjCache(agHot), 1);
	add('fast-jwt_sign_ops', () => fjSign(authToken), 1);

	console.log(`# node ${process.version}, ${require('node:os').cpus()[0].model}, ` +
		    `${require('node:os').cpus().length} CPUs; ${REPS} x ${SECONDS} s, ` +
		    `interleaved; pipelined: ${DEPTH} in flight`);
	console.log(`# ${'subject'.padEnd(8)} ${'name'.padEnd(34)} ` +
		    `${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}`);
	await measureAll();
	for (const [name, c] of cases)
		report('node', name, c.runs, 0);
	/* rates, so that each is agauthd's figure over its peer's, except
	 * the latency of a miss over that of a bare ping */
	ratio('hit_per_fast-jwt_cache_hit', 'verify_hit_seq_ops', 'fast-jwt-cache_verify_hit_ops');
	ratio('hit_per_ag-auth_keyobject', 'verify_hit_seq_ops', 'ag-auth_verify_keyobject_ops');
	ratio('miss_per_ag-auth_string_key', 'verify_miss_seq_ops', 'ag-auth_verify_string_key_ops');
	ratio('miss_latency_per_ping_latency', 'ping_seq_ops', 'verify_miss_seq_ops');
	ratio('sign_per_ag-auth_string_key', 'sign_hs256_seq_ops', 'ag-auth_sign_string_key_ops');
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
