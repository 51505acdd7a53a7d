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
 * Like with like: each side verifies the same payload with the same
 * options and is awaited the same way (fast-jwt's synchronous value too,
 * the cheapest way to use it); tokens come as a SocketCluster worker gets
 * them, strings JSON.parse made; the loop reads the clock once per BATCH
 * operations, so that neither side pays for it; the two cases of a ratio
 * run back to back; no miss repeats a token.  Besides the repeated hit
 * (the same token again), a first hit: a token another engine (worker)
 * had agauthd verify just before, which this process has not seen.
 *
 *   node bench/bench_node_engine.js      (make bench runs it)
 *
 *   AGAUTHD        the daemon (default build/agauthd)
 *   BENCH_SECONDS  seconds per repetition (default 1)
 *   BENCH_REPS     repetitions, median printed (default 3)
 *   BENCH_DEPTH    requests in flight when pipelined (default 64)
 *   BENCH_NODE_PKG the package measured (default client/node; another
 *                  build of it, to compare)
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
const { AuthEngine } = require(path.resolve(h.ROOT, process.env.BENCH_NODE_PKG || 'client/node'));

const SECONDS = Number(process.env.BENCH_SECONDS) || 1;
const REPS = Number(process.env.BENCH_REPS) || 3;
const DEPTH = Number(process.env.BENCH_DEPTH) || 64;
/* each case runs this long once before its repetitions */
const WARMUP = Math.min(SECONDS, 0.25);
/* fresh tokens per second of measured misses, sequential and pipelined
 * together; each of the two stops at half of it, so that none repeats (a
 * repeat would be a hit) */
const MISSES_PER_S = 160000;
/* tokens another engine has agauthd cache for each run of the first hit,
 * which stops there */
const FIRST_HITS = 50000;
/* operations between two looks at the clock */
const BATCH = 64;

/* ops/s of `op(i)` (a promise, or a value) over `seconds`, `depth` at a
 * time, or until `limit` operations */
async function rate(op, depth, seconds, limit) {
	const end = performance.now() + seconds * 1000;
	let n = 0;
	const worker = async () => {
		while (n < limit && performance.now() < end) {
			for (let i = 0; i < BATCH && n < limit; i++)
				await op(n++);
		}
	};
	const t0 = performance.now();

	await Promise.all(Array.from({ length: depth }, worker));
	return n / ((performance.now() - t0) / 1000);
}

/* name -> { op, depth, limit, around, runs: ops/s per repetition, in
 * order } */
const cases = new Map();
const untimed = { before: async () => {}, after: async () => {} };

/* limit(seconds): the most operations a run of that long may make;
 * around.before() and around.after() are awaited on either side of each
 * run, untimed */
function add(name, op, depth, { limit = () => Infinity, around = untimed } = {}) {
	cases.set(name, { op, depth, limit, around, runs: [] });
}

async function run(c, seconds) {
	await c.around.before();
	const r = await rate(c.op, c.depth, seconds, c.limit(seconds));

	await c.around.after();
	return r;
}

/* warms every case up, then runs repetition r of each for r = 1..REPS */
async function measureAll() {
	for (const c of cases.values())
		await run(c, WARMUP);
	for (let r = 0; r < REPS; r++)
		for (const c of cases.values())
			c.runs.push(await run(c, SECONDS));
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

/* s as a worker gets it: out of JSON.parse (a handshake message) */
function asReceived(s) {
	return JSON.parse(JSON.stringify(s));
}

/* HS256 tokens agauthd has never seen, made with its secret */
function freshTokens(secret, kid, n, tag) {
	const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
	const now = Math.floor(Date.now() / 1000);

	return asReceived(Array.from({ length: n }, (_, i) => {
		const body = Buffer.from(JSON.stringify({ sub: `user-${tag}${i}`, iat: now,
							  exp: now + 86400 })).toString('base64url');
		const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');

		return `${head}.${body}.${sig}`;
	}));
}

async function main() {
	/* info: the harness waits for agauthd's ready line */
	const env = h.setup({ conf: { daemon: { log_level: 'info', threads: 0 } } });
	const d = await h.Daemon.start(env);
	const e = new AuthEngine({ socketPath: env.sock });
	/* another worker's engine: it has agauthd cache tokens e has not seen */
	const other = new AuthEngine({ socketPath: env.sock });
	const { secret, kid } = env.keys.hs1;
	const authToken = { username: 'alice', channels: ['a', 'b'] };
	const opts = { algorithms: ['HS256'] };
	const signOpts = { expiresIn: 86400 };

	await h.waitFor(() => e.cacheAttached, { what: 'the cache attached' });
	const hot = asReceived(await e.signToken(authToken, null, signOpts));
	const fresh = freshTokens(secret, kid,
				  Math.ceil((REPS * SECONDS + WARMUP) * MISSES_PER_S), 'm');
	const seen = freshTokens(secret, kid, FIRST_HITS * (REPS + 1), 's');
	let next = 0, nextSeen = 0, from = 0, verifies = 0, firstAsked = 0, firstMissed = 0;
	const miss = () => e.verifyToken(fresh[next++ % fresh.length], null, opts);
	const hit = () => e.verifyToken(hot, null, opts);
	const firstHit = () => e.verifyToken(seen[nextSeen++], null, opts);
	const sign = () => e.signToken(authToken, null, signOpts);
	const misses = { limit: (seconds) => Math.floor(seconds * MISSES_PER_S / 2) };
	/* before a run of the first hit: its tokens verified by the other
	 * engine (the misses evict older ones); after: how many went to
	 * agauthd all the same */
	const firstHits = {
		limit: () => FIRST_HITS,
		around: {
			before: async () => {
				for (let i = from; i < from + FIRST_HITS; i += DEPTH)
					await Promise.all(seen.slice(i, i + DEPTH)
						.map((t) => other.verifyToken(t, null, opts)));
				verifies = (await e.stats()).verifies;
				nextSeen = from;
			},
			after: async () => {
				firstAsked += nextSeen - from;
				firstMissed += (await e.stats()).verifies - verifies;
				from += FIRST_HITS;
			},
		},
	};
	/* ag-auth as socketcluster-server calls it: an authKey string (the
	 * default: jsonwebtoken tries it as a PEM first, every time), and a
	 * KeyObject; awaited, as a handshake awaits it */
	const ag = new AgAuth();
	/* socketcluster-server makes its authKey as 32 random bytes in hex */
	const keyString = crypto.randomBytes(32).toString('hex');
	const keyObject = crypto.createSecretKey(Buffer.from(keyString));
	const agHot = asReceived(await ag.signToken(authToken, keyString, signOpts));
	/* fast-jwt, synchronous, with and without its verified-token cache */
	const fjPlain = createVerifier({ key: keyString, algorithms: ['HS256'] });
	const fjCache = createVerifier({ key: keyString, algorithms: ['HS256'], cache: true });
	const fjSign = createSigner({ key: keyString, expiresIn: 86400000 });

	/* AuthEngine: one call at a time (awaited, as a handshake awaits
	 * it), and DEPTH in flight; each ratio's two cases back to back */
	add('verify_hit_seq_ops', hit, 1);
	add('fast-jwt-cache_verify_hit_ops', () => fjCache(agHot), 1);
	add('ag-auth_verify_keyobject_ops', () => ag.verifyToken(agHot, keyObject, opts), 1);
	add('ping_seq_ops', () => e.conn.request('ping', {}), 1);
	add('verify_miss_seq_ops', miss, 1, misses);
	add('ag-auth_verify_string_key_ops', () => ag.verifyToken(agHot, keyString, opts), 1);
	add('sign_hs256_seq_ops', sign, 1);
	add('ag-auth_sign_string_key_ops', () => ag.signToken(authToken, keyString, signOpts), 1);
	add('ag-auth_sign_keyobject_ops', () => ag.signToken(authToken, keyObject, signOpts), 1);
	add('verify_first_hit_seq_ops', firstHit, 1, firstHits);
	add('verify_hit_pipelined_ops', hit, DEPTH);
	add('verify_miss_pipelined_ops', miss, DEPTH, misses);
	add('sign_hs256_pipelined_ops', sign, DEPTH);
	add('fast-jwt_verify_ops', () => fjPlain(agHot), 1);
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
	console.log(`# verify first hit: ${firstMissed} of ${firstAsked} went to agauthd all ` +
		    'the same (evicted before they were asked)');
	const s = await e.stats();

	console.log(`# agauthd stats: cache_hits ${s.cache_hits}, cache_misses ${s.cache_misses}, ` +
		    `verifies ${s.verifies}, signs ${s.signs}`);
	await Promise.all([e.close(), other.close()]);
	await d.stop();
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
