#!/usr/bin/env node
/*
 * bench_storm.js - a reconnect storm: every client of a SocketCluster host
 * reconnects at once (after a server restart) and each handshake verifies
 * its token.  BENCH_STORM_TOKENS distinct HS256 tokens, as SocketCluster
 * issues them (lib/tokens.js), are verified by BENCH_STORM_WORKERS worker
 * processes, each its share, BENCH_DEPTH handshakes in flight per worker.
 * Timed: from "go" (every worker started, its tokens read, its engine
 * ready) to the last verify of the last worker; every result is checked
 * and any failure aborts the run.  Engines:
 *
 *   agauthd         the npm package's AuthEngine in each worker against
 *                   one agauthd (the release build, a temporary directory,
 *                   the authKey imported as its key).  The cold storm:
 *                   a fresh daemon, every token a miss (the daemon verifies
 *                   and fills its cache); "again": the same tokens at once
 *                   from the same processes, every token a cache hit,
 *                   with the processes' JIT as warm as fast-jwt's in its
 *                   warm storm; the warm storm: the same tokens from fresh
 *                   worker processes, every token a cache hit (a storm
 *                   after the workers restart).
 *   ag-auth         ag-auth 2.1 with the authKey string, as
 *                   socketcluster-server uses it by default; on the first
 *                   BENCH_STORM_PEER_TOKENS tokens only (it is slow;
 *                   tokens/s is the comparable figure).
 *   fast-jwt-cache  fast-jwt's verifier with a cache as large as a
 *                   worker's share: the cold storm, then the warm one in
 *                   the same processes.
 *   jsonwebtoken    (BENCH_STORM_JWT=1) jsonwebtoken 9 directly, on the
 *                   peer subset.
 *
 * Each repetition uses a fresh daemon and fresh worker processes.
 *
 *   node bench/bench_storm.js
 *
 *   AGAUTHD                  the daemon (default build/agauthd)
 *   BENCH_REPS               repetitions (default 3)
 *   BENCH_QUICK              1: small sizes (bench/run.sh's quick run):
 *                            the defaults in brackets below
 *   BENCH_STORM_TOKENS       tokens in the storm (default 100000 [20000])
 *   BENCH_STORM_WORKERS      worker processes (default 4)
 *   BENCH_STORM_PEER_TOKENS  tokens ag-auth and jsonwebtoken verify
 *                            (default 20000 [2000], at most
 *                            BENCH_STORM_TOKENS)
 *   BENCH_STORM_JWT          1: jsonwebtoken too
 *   BENCH_DEPTH              verifies in flight per worker (default 64)
 *
 * Prints, over the repetitions (median, min, max):
 *
 *   storm <engine>[_cold|_again|_warm]_tokens_per_s ...  all workers together
 *   storm <engine>[_cold|_again|_warm]_wall_us ...       go to the last verify
 *   storm-ratio agauthd_<storm>_per_<peer> ...    tokens/s, per repetition
 *
 * Other lines start with '#'; bench/results.js judges the target
 * (agauthd >= 20x ag-auth).  A benchmark, never a test.
 */
'use strict';

const { BenchDaemon, cacheSize, tmpdir } = require('./lib/daemon');
const figures = require('./lib/figures');
const { Fleet } = require('./lib/fleet');
const { envInt, quick } = require('./lib/settings');
const tokens = require('./lib/tokens');

const REPS = envInt('BENCH_REPS', 3, 1, 101);
const TOKENS = envInt('BENCH_STORM_TOKENS', quick(20000, 100000), 1, 10000000);
const WORKERS = envInt('BENCH_STORM_WORKERS', 4, 1, 256);
const PEER_TOKENS = envInt('BENCH_STORM_PEER_TOKENS', Math.min(quick(2000, 20000), TOKENS), 1, TOKENS);
const DEPTH = envInt('BENCH_DEPTH', 64, 1, 256);
const WITH_JWT = process.env.BENCH_STORM_JWT === '1';
/* slots of the daemon's cache per token: enough that a bucket of 8
 * overflows about never (half a token per bucket on average), so that
 * the warm storms are all hits (docs/cache.md); pages of the cache are
 * committed only as they are written */
const SLOTS_PER_TOKEN = 16;

const key = tokens.authKey();
const iat = Math.floor(Date.now() / 1000);
const rates = {};                  /* name -> tokens/s per repetition */
const walls = {};                  /* name -> µs per repetition */

/* the init messages of `WORKERS` workers sharing the first n tokens */
function inits(files, kind, n, extra = {}) {
	return tokens.split(0, n, WORKERS).map((s) => ({
		kind, key, depth: DEPTH, from: s.from, file: files.slice(s.from, s.to), ...extra,
	}));
}

function record(name, { ops, seconds }) {
	(rates[name] = rates[name] || []).push(ops / seconds);
	(walls[name] = walls[name] || []).push(seconds * 1e6);
	return `${name} ${(seconds * 1000).toFixed(0)} ms (${(ops / seconds).toFixed(0)}/s)`;
}

/* against a fresh daemon: the cold storm, the same again in the same
 * processes (all hits, their JIT warm: as fast-jwt's warm storm), and the
 * warm storm from fresh processes; what the daemon verified in each */
async function agauthd(files, rep) {
	const d = await BenchDaemon.start({ authKey: key, cacheSize: cacheSize(TOKENS, SLOTS_PER_TOKEN) });
	const all = inits(files, 'agauthd', TOKENS, { socket: d.sock });
	const f = await Fleet.start(all);
	let verified = (await d.stats()).verifies;
	const out = [];
	const step = async (name, storm) => {
		const r = record(name, await storm);
		const s = await d.stats();

		out.push(`${r}, the daemon verified ${s.verifies - verified}`);
		verified = s.verifies;
		return s;
	};

	try {
		await step('agauthd_cold', f.storm(1));
		await step('agauthd_again', f.storm(1));
	} finally {
		await f.close();
	}
	const s = await step('agauthd_warm', Fleet.measure(all, [1]).then((r) => r[0]));

	await d.stop();
	console.log(`# rep ${rep}: ${out.join('; ')} (every other verify a cache hit); ` +
		    `${s.cache_entries} entries, ${s.cache_evictions} evictions`);
}

async function peers(files, rep) {
	const [ag] = await Fleet.measure(inits(files, 'ag-auth', PEER_TOKENS), [1]);
	const [fjCold, fjWarm] = await Fleet.measure(inits(files, 'fast-jwt-cache', TOKENS,
		{ cacheSize: Math.ceil(TOKENS / WORKERS) }), [1, 1]);
	const out = [record('ag-auth', ag), record('fast-jwt-cache_cold', fjCold),
		     record('fast-jwt-cache_warm', fjWarm)];

	if (WITH_JWT)
		out.push(record('jsonwebtoken', (await Fleet.measure(inits(files, 'jsonwebtoken', PEER_TOKENS), [1]))[0]));
	console.log(`# rep ${rep}: ${out.join(', ')}`);
}

function report() {
	for (const name of Object.keys(rates)) {
		figures.line('storm', `${name}_tokens_per_s`, rates[name]);
		figures.line('storm', `${name}_wall_us`, walls[name]);
	}
	const r = (a, b) => figures.ratio('storm', `${a}_per_${b}`, rates[a], rates[b]);
	r('agauthd_cold', 'ag-auth');
	r('agauthd_warm', 'ag-auth');
	r('agauthd_cold', 'fast-jwt-cache_cold');
	r('agauthd_again', 'fast-jwt-cache_warm');
	r('agauthd_warm', 'fast-jwt-cache_warm');
}

async function main() {
	const t0 = Date.now();
	const all = tokens.make(key, 0, TOKENS, iat);

	tokens.check(key, all, 0, iat);
	const files = new tokens.TokenFiles(tmpdir('storm'), all);

	console.log(figures.machine());
	console.log(`# storm: ${TOKENS} tokens (${all[0].length} bytes each) over ${WORKERS} worker ` +
		    `processes, ${DEPTH} verifies in flight each; ${REPS} repetitions, ` +
		    'each on a fresh daemon and fresh processes');
	console.log(`# ag-auth${WITH_JWT ? ' and jsonwebtoken' : ''} verify the first ${PEER_TOKENS} tokens ` +
		    'only (BENCH_STORM_PEER_TOKENS): their tokens/s is the comparable figure, not wall_us');
	console.log(`# fast-jwt-cache: a cache of ${Math.ceil(TOKENS / WORKERS)} tokens per process ` +
		    '(its share); warm = the same processes again');
	for (let rep = 1; rep <= REPS; rep++) {
		await agauthd(files, rep);
		await peers(files, rep);
	}
	report();
	console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
}

main().catch((e) => {
	console.error(`bench_storm: ${e.stack || e}`);
	process.exit(1);
});
