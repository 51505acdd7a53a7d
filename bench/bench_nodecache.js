#!/usr/bin/env node
/*
 * bench_nodecache.js - cache hits in Node with a million tokens cached:
 * the Node side of what build/bench_cache measures in C.  One agauthd's
 * cache is filled with BENCH_NODE_CACHE_TOKENS distinct tokens (as
 * SocketCluster issues them, lib/tokens.js) by BENCH_NODE_CACHE_FILLERS
 * worker processes verifying them, 256 in flight each; then in this
 * process, each call awaited as a handshake awaits it:
 *
 *   hit_hot          AuthEngine.verifyToken of one token, again and again
 *   hit_random_<n>   AuthEngine.verifyToken of a token drawn at random
 *                    from those the cache holds (of the n put in: a
 *                    bucket that overflowed evicted a few; they are left
 *                    out so that every call is a hit, and counted)
 *   fast-jwt-cache_hit_hot, fast-jwt-cache_hit_random_<n>
 *                    fast-jwt's verifier with a cache of
 *                    BENCH_NODE_CACHE_FASTJWT tokens (default: all n),
 *                    filled by verifying every token once, on the same
 *                    token and the same random draws
 *
 * Every result is checked (its username); the daemon's verify count
 * proves that the timed calls were all hits.
 *
 *   node bench/bench_nodecache.js
 *
 *   AGAUTHD                   the daemon (default build/agauthd)
 *   BENCH_SECONDS             seconds per measurement (default 1)
 *   BENCH_REPS                repetitions, interleaved (default 3)
 *   BENCH_QUICK               1: 100000 tokens by default (bench/run.sh's
 *                             quick run)
 *   BENCH_NODE_CACHE_TOKENS   tokens cached (default 1000000)
 *   BENCH_NODE_CACHE_SLOTS    daemon cache slots per token (default 2;
 *                             [cache] size = tokens x slots x 512 bytes)
 *   BENCH_NODE_CACHE_FILLERS  processes filling the cache (default 2)
 *   BENCH_NODE_CACHE_FASTJWT  fast-jwt's cache size (default: all tokens)
 *
 * Prints (ops/s: median, min, max over the repetitions):
 *
 *   node-cache hit_hot_ops ...
 *   node-cache hit_random_<n>_ops ...
 *   node-cache fast-jwt-cache_hit_hot_ops ...
 *   node-cache fast-jwt-cache_hit_random_<n>_ops ...
 *   node-cache-ratio hit_<hot|random_<n>>_per_fast-jwt-cache ...
 *
 * where <n> is the token count (1m, 100k, ...).  Other lines start with
 * '#'.  A benchmark, never a test.
 */
'use strict';

const { performance } = require('node:perf_hooks');

const { BenchDaemon, cacheSize, tmpdir } = require('./lib/daemon');
const figures = require('./lib/figures');
const { Fleet } = require('./lib/fleet');
const { pipelineFor } = require('./lib/pipeline');
const { envInt, envNumber, quick } = require('./lib/settings');
const tokens = require('./lib/tokens');
const verifiers = require('./lib/verifiers');

const SECONDS = envNumber('BENCH_SECONDS', 1, 0.01, 3600);
const REPS = envInt('BENCH_REPS', 3, 1, 101);
const TOKENS = envInt('BENCH_NODE_CACHE_TOKENS', quick(100000, 1000000), 1, 10000000);
const SLOTS = envNumber('BENCH_NODE_CACHE_SLOTS', 2, 1, 64);
const FILLERS = envInt('BENCH_NODE_CACHE_FILLERS', 2, 1, 64);
const FASTJWT = envInt('BENCH_NODE_CACHE_FASTJWT', TOKENS, 1, 100000000);
const FILL_DEPTH = 256;            /* [limits] max_inflight's default */
const DRAWS = 1 << 20;             /* random draws, used in turn */
const WARMUP = Math.min(SECONDS, 0.25);

const key = tokens.authKey();
const iat = Math.floor(Date.now() / 1000);

/* 1m, 250k, 1234 */
function label(n) {
	if (n % 1000000 === 0)
		return `${n / 1000000}m`;
	return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

const secs = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

/* the cache filled with every token, by FILLERS processes */
async function fill(d, files) {
	const t0 = performance.now();
	const [r] = await Fleet.measure(tokens.split(0, TOKENS, FILLERS).map((s) => ({
		kind: 'agauthd', key, socket: d.sock, depth: FILL_DEPTH, from: s.from,
		file: files.slice(s.from, s.to),
	})), [1]);
	const s = await d.stats();

	console.log(`# filled: ${TOKENS} verifies by ${FILLERS} processes in ${secs(t0)} s ` +
		    `(${(r.ops / r.seconds).toFixed(0)}/s once started); ${s.cache_entries} entries ` +
		    `in ${s.cache_slots} slots, ${s.cache_evictions} evictions, ${s.cache_skipped} skipped`);
}

/* indices of the tokens the cache holds: a lookup in the engine's own
 * mapping (its internal Cache; a hit is the payload's text) */
function resident(engine, all) {
	const json = JSON.stringify(verifiers.options());
	const held = [];

	for (let i = 0; i < all.length; i++)
		if (typeof engine.cache.lookup(all[i], json) === 'string')
			held.push(i);
	return Int32Array.from(held);
}

/* the checked call: op's result for token index idx(i) */
function measured(op, idx, all) {
	return {
		op: (i) => op(all[idx(i)]),
		check: (i, p) => {
			if (!p || p.username !== tokens.userName(idx(i)))
				throw new Error(`token ${idx(i)}: got ${JSON.stringify(p)}`);
		},
	};
}

async function main() {
	const t0 = performance.now();
	const all = tokens.make(key, 0, TOKENS, iat);
	const n = label(TOKENS);

	tokens.check(key, all, 0, iat);
	console.log(figures.machine());
	console.log(`# node-cache: ${TOKENS} tokens (${all[0].length} bytes each) made in ${secs(t0)} s; ` +
		    `${REPS} x ${SECONDS} s per measurement, each call awaited`);
	const size = cacheSize(TOKENS, SLOTS);
	const d = await BenchDaemon.start({ authKey: key, cacheSize: size });

	console.log(`# agauthd [cache] size = ${size}, slot = 512`);
	await fill(d, new tokens.TokenFiles(tmpdir('node-cache'), all));
	const agauthd = await verifiers.make('agauthd', { socket: d.sock });
	const held = resident(agauthd.engine, all);
	const draws = Int32Array.from({ length: DRAWS }, () => held[Math.floor(Math.random() * held.length)]);

	console.log(`# the cache holds ${held.length} of the ${TOKENS} tokens: the random draws are among those`);
	const t1 = performance.now();
	const fj = await verifiers.make('fast-jwt-cache', { key, cacheSize: FASTJWT });

	for (let i = 0; i < TOKENS; i++)
		if (fj.verify(all[i]).username !== tokens.userName(i))
			throw new Error(`fast-jwt: token ${i}`);
	console.log(`# fast-jwt cache of ${FASTJWT} tokens filled with all ${TOKENS} in ${secs(t1)} s ` +
		    `(it holds ${fj.verify.cache.size})`);

	const hot = () => held[0];
	const random = (i) => draws[i & (DRAWS - 1)];
	const cases = [
		['hit_hot', measured(agauthd.verify, hot, all)],
		[`hit_random_${n}`, measured(agauthd.verify, random, all)],
		['fast-jwt-cache_hit_hot', measured(fj.verify, hot, all)],
		[`fast-jwt-cache_hit_random_${n}`, measured(fj.verify, random, all)],
	];
	const rates = cases.map(() => []);
	const before = await d.stats();

	for (const [, c] of cases)
		await pipelineFor(WARMUP, 1, c.op, c.check);
	for (let rep = 0; rep < REPS; rep++)
		for (const [k, [, c]] of cases.entries())
			rates[k].push(await pipelineFor(SECONDS, 1, c.op, c.check));
	const after = await d.stats();

	console.log(`# the daemon verified ${after.verifies - before.verifies} while measured ` +
		    '(0: every AuthEngine call was a cache hit)');
	for (const [k, [name]] of cases.entries())
		figures.line('node-cache', `${name}_ops`, rates[k]);
	figures.ratio('node-cache', 'hit_hot_per_fast-jwt-cache', rates[0], rates[2]);
	figures.ratio('node-cache', `hit_random_${n}_per_fast-jwt-cache`, rates[1], rates[3]);
	await agauthd.close();
	await d.stop();
	console.log(`# ${secs(t0)} s in all`);
}

main().catch((e) => {
	console.error(`bench_nodecache: ${e.stack || e}`);
	process.exit(1);
});
