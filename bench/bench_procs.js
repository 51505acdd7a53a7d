#!/usr/bin/env node
/*
 * bench_procs.js - many client processes on one agauthd at once: for N
 * worker processes (BENCH_PROCS, default 1,2,4,8), the operations per
 * second of all of them together, each verifying BENCH_DEPTH at a time
 * (lib/fleet.js; timed from "go" to the last verify, start-up excluded;
 * every result checked, any failure aborts):
 *
 *   agauthd miss  the npm package's AuthEngine in each process, on
 *                 BENCH_PROCS_TOKENS tokens the daemon has never seen
 *                 (shared among the N; another set for each N)
 *   agauthd hit   the same processes again on the same tokens, now in
 *                 the daemon's cache, BENCH_PROCS_HIT_ROUNDS times over
 *   ag-auth       ag-auth 2.1 with SocketCluster's default authKey string
 *                 in each process, on BENCH_PROCS_PEER_TOKENS tokens
 *
 * Each repetition starts a fresh daemon (the release build, a temporary
 * directory, the authKey imported as its key).
 *
 *   node bench/bench_procs.js
 *
 *   AGAUTHD                  the daemon (default build/agauthd)
 *   BENCH_REPS               repetitions (default 3)
 *   BENCH_PROCS              process counts (default 1,2,4,8)
 *   BENCH_QUICK              1: small sizes (bench/run.sh's quick run):
 *                            the defaults in brackets below
 *   BENCH_PROCS_TOKENS       misses per N, all processes together
 *                            (default 40000 [8000])
 *   BENCH_PROCS_HIT_ROUNDS   passes over them as hits (default 5 [2])
 *   BENCH_PROCS_PEER_TOKENS  ag-auth verifies per N (default 2000 [400])
 *   BENCH_DEPTH              verifies in flight per process (default 64)
 *
 * Prints, over the repetitions (median, min, max), for each N:
 *
 *   procs agauthd_miss_p<N>_ops ...
 *   procs agauthd_hit_p<N>_ops ...
 *   procs ag-auth_p<N>_ops ...
 *   procs-ratio agauthd_<miss|hit>_p<N>_per_ag-auth ...   per repetition
 *
 * Other lines start with '#'.  A benchmark, never a test.
 */
'use strict';

const { BenchDaemon, cacheSize, tmpdir } = require('./lib/daemon');
const figures = require('./lib/figures');
const { Fleet } = require('./lib/fleet');
const { envInt, envInts, quick } = require('./lib/settings');
const tokens = require('./lib/tokens');

const REPS = envInt('BENCH_REPS', 3, 1, 101);
const PROCS = envInts('BENCH_PROCS', [1, 2, 4, 8], 1, 256);
const TOKENS = envInt('BENCH_PROCS_TOKENS', quick(8000, 40000), 1, 10000000);
const HIT_ROUNDS = envInt('BENCH_PROCS_HIT_ROUNDS', quick(2, 5), 1, 1000);
const PEER_TOKENS = envInt('BENCH_PROCS_PEER_TOKENS', Math.min(quick(400, 2000), TOKENS), 1, TOKENS);
const DEPTH = envInt('BENCH_DEPTH', 64, 1, 256);
/* cache slots per token: no bucket of 8 overflows (docs/cache.md) */
const SLOTS_PER_TOKEN = 8;

const key = tokens.authKey();
const iat = Math.floor(Date.now() / 1000);
const ops = {};                    /* name -> ops/s per repetition */

function record(name, r) {
	(ops[name] = ops[name] || []).push(r.ops / r.seconds);
	return `${name} ${(r.ops / r.seconds).toFixed(0)}/s`;
}

/* the init messages of n workers sharing users from .. from + count - 1 */
function inits(files, kind, n, from, count, extra = {}) {
	return tokens.split(from, count, n).map((s) => ({
		kind, key, depth: DEPTH, from: s.from, file: files.slice(s.from, s.to), ...extra,
	}));
}

async function repetition(files, rep) {
	const d = await BenchDaemon.start({ authKey: key,
					    cacheSize: cacheSize(TOKENS * PROCS.length, SLOTS_PER_TOKEN) });
	const out = [];

	/* each N its own tokens: its misses are misses */
	for (const [k, n] of PROCS.entries()) {
		const [miss, hit] = await Fleet.measure(
			inits(files, 'agauthd', n, k * TOKENS, TOKENS, { socket: d.sock }), [1, HIT_ROUNDS]);

		out.push(record(`agauthd_miss_p${n}`, miss), record(`agauthd_hit_p${n}`, hit));
	}
	const s = await d.stats();

	await d.stop();
	for (const n of PROCS) {
		const [ag] = await Fleet.measure(inits(files, 'ag-auth', n, 0, PEER_TOKENS), [1]);

		out.push(record(`ag-auth_p${n}`, ag));
	}
	console.log(`# rep ${rep}: ${out.join(', ')}; the daemon verified ${s.verifies} ` +
		    `(${TOKENS * PROCS.length} misses expected), ${s.cache_evictions} evictions`);
}

async function main() {
	const t0 = Date.now();
	const all = tokens.make(key, 0, TOKENS * PROCS.length, iat);

	tokens.check(key, all, 0, iat);
	const files = new tokens.TokenFiles(tmpdir('procs'), all);

	console.log(figures.machine());
	console.log(`# procs: N = ${PROCS.join(', ')} worker processes on one agauthd, ${DEPTH} ` +
		    `verifies in flight each; per N: ${TOKENS} misses, then ${TOKENS * HIT_ROUNDS} ` +
		    `hits on them, ${PEER_TOKENS} ag-auth verifies; ${REPS} repetitions, each on a fresh daemon`);
	for (let rep = 1; rep <= REPS; rep++)
		await repetition(files, rep);
	for (const n of PROCS)
		for (const what of [`agauthd_miss_p${n}`, `agauthd_hit_p${n}`, `ag-auth_p${n}`])
			figures.line('procs', `${what}_ops`, ops[what]);
	for (const n of PROCS)
		for (const what of ['miss', 'hit'])
			figures.ratio('procs', `agauthd_${what}_p${n}_per_ag-auth`,
				      ops[`agauthd_${what}_p${n}`], ops[`ag-auth_p${n}`]);
	console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
}

main().catch((e) => {
	console.error(`bench_procs: ${e.stack || e}`);
	process.exit(1);
});
