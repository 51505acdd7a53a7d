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
 * Then the same storm with ES256 and with RS256 tokens
 * (BENCH_STORM_ASYM_TOKENS of each, signed with a key pair node makes
 * for this run, the daemon and every peer given the same key): agauthd
 * cold (a fresh daemon, one crypto thread per CPU, its private key
 * imported without kid), ag-auth with the public key's PEM (on the
 * first BENCH_STORM_PEER_TOKENS), and fast-jwt without its cache; for
 * RS256 also the repeat storm, the same tokens again from the same
 * processes, every one a cache hit.
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
 *   BENCH_STORM_ASYM_TOKENS  tokens of each asymmetric storm (default
 *                            16000 [2000], at most BENCH_STORM_TOKENS;
 *                            node signs them first, RS256 at a few
 *                            thousand a second)
 *   BENCH_STORM_ALGS         the storms to run (default "HS256 ES256
 *                            RS256")
 *   BENCH_DEPTH              verifies in flight per worker (default 64)
 *
 * Prints, over the repetitions (median, min, max):
 *
 *   storm <engine>[_cold|_again|_warm]_tokens_per_s ...  all workers together
 *   storm <engine>[_cold|_again|_warm]_wall_us ...       go to the last verify
 *   storm <storm>_worker_cpu_us_per_token ...   CPU time (user and system)
 *                       of the workers together, µs per token: each
 *                       worker's process.cpuUsage() from its go to its
 *                       last verify, summed
 *   storm <storm>_daemon_cpu_us_per_token ...   agauthd's storms: the
 *                       daemon's, every thread of it, from /proc just
 *                       before the go to just after the last verify
 *                       (lib/cpu.js)
 *   storm <storm>_cpu_us_per_token ...          agauthd's storms: the two
 *                       together
 *   storm <storm>_cpu_busy ...    (workers' + daemon's CPU time) /
 *                       (wall_us × the CPUs this process may use):
 *                       1.00 is every CPU busy with the storm
 *                       throughout; below, idle or taken by other
 *                       processes (the workers' CPU includes checking
 *                       each result, the same for every engine)
 *   storm <storm>_machine_busy ...   the share of the CPUs' time busy
 *                       meanwhile with any process (/proc/stat, in 10 ms
 *                       ticks: rough in a short storm): 1.00 and a lower
 *                       cpu_busy, the rest went to other processes
 *   storm-ratio agauthd_<storm>_per_<peer> ...    tokens/s, per repetition
 *
 * the asymmetric ones with their algorithm first ("es256_agauthd_cold",
 * "rs256_fast-jwt_cold", "rs256_agauthd_repeat"), and
 *
 *   storm-ratio rs256_agauthd_repeat_per_cold ...
 *
 * The CPU figures (2 decimals) are what explains a CPU-bound storm's
 * tokens/s: on a saturated machine tokens/s is about CPUs / the CPU
 * µs per token.  The "# rep" lines give each repetition's figures.
 *
 * Other lines start with '#'; bench/results.js judges the targets
 * (HS256: agauthd >= 20x ag-auth; issue 14's ES256 and RS256 ones).  A
 * benchmark, never a test.
 */
'use strict';

const os = require('node:os');

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
const ASYM_TOKENS = envInt('BENCH_STORM_ASYM_TOKENS', Math.min(quick(2000, 16000), TOKENS), 1, TOKENS);
const ALGS = (process.env.BENCH_STORM_ALGS || 'HS256 ES256 RS256').split(/\s+/).filter(Boolean);
/* slots of the daemon's cache per token: enough that a bucket of 8
 * overflows about never (half a token per bucket on average), so that
 * the warm storms are all hits (docs/cache.md); pages of the cache are
 * committed only as they are written */
const SLOTS_PER_TOKEN = 16;
const CPUS = os.availableParallelism();

const key = tokens.authKey();
const iat = Math.floor(Date.now() / 1000);
const rates = {};                  /* name -> tokens/s per repetition */
const walls = {};                  /* name -> µs per repetition */
/* name -> CPU µs per token of the workers, of the daemon, of both, the
 * share of the machine's CPU time they used, and the share any process
 * used, per repetition */
const cpus = {};

/* the init messages of `WORKERS` workers sharing the first n tokens */
function inits(files, kind, n, extra = {}) {
	return tokens.split(0, n, WORKERS).map((s) => ({
		kind, key, depth: DEPTH, from: s.from, file: files.slice(s.from, s.to), ...extra,
	}));
}

/* the same for a storm of `pair`'s tokens: peers get its public key */
function asymInits(files, kind, n, pair, extra = {}) {
	return inits(files, kind, n, { key: pair.pub, alg: pair.alg, ...extra });
}

function record(name, { ops, seconds, workerCpu, daemonCpu, machineBusy }) {
	const both = workerCpu + (daemonCpu || 0);
	const c = cpus[name] = cpus[name] || { worker: [], daemon: [], total: [], busy: [], machine: [] };
	let text = `workers ${(workerCpu * 1e6 / ops).toFixed(1)}`;

	(rates[name] = rates[name] || []).push(ops / seconds);
	(walls[name] = walls[name] || []).push(seconds * 1e6);
	c.worker.push(workerCpu * 1e6 / ops);
	if (daemonCpu !== undefined) {
		c.daemon.push(daemonCpu * 1e6 / ops);
		c.total.push(both * 1e6 / ops);
		text += ` + daemon ${(daemonCpu * 1e6 / ops).toFixed(1)}`;
	}
	c.busy.push(both / (seconds * CPUS));
	c.machine.push(machineBusy);
	return `${name} ${(seconds * 1000).toFixed(0)} ms (${(ops / seconds).toFixed(0)}/s; ` +
	       `CPU µs/token: ${text}; CPUs ${(100 * both / (seconds * CPUS)).toFixed(0)}% busy ` +
	       `with it, ${(100 * machineBusy).toFixed(0)}% in all)`;
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
		await step('agauthd_cold', f.storm(1, d));
		await step('agauthd_again', f.storm(1, d));
	} finally {
		await f.close();
	}
	const s = await step('agauthd_warm', Fleet.measure(all, [1], d).then((r) => r[0]));

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

/*
 * One repetition of an asymmetric storm: agauthd cold (and, for RS256,
 * the repeat storm: the same tokens from the same processes, all hits),
 * then ag-auth and fast-jwt without its cache.
 */
async function asym(pair, files, rep) {
	const a = pair.alg.toLowerCase();
	const d = await BenchDaemon.start({ pair, threads: 0,
					    cacheSize: cacheSize(ASYM_TOKENS, SLOTS_PER_TOKEN) });
	const f = await Fleet.start(asymInits(files, 'agauthd', ASYM_TOKENS, pair, { socket: d.sock }));
	const out = [];

	try {
		out.push(record(`${a}_agauthd_cold`, await f.storm(1, d)));
		if (pair.alg === 'RS256')
			out.push(record(`${a}_agauthd_repeat`, await f.storm(1, d)));
	} finally {
		await f.close();
	}
	await d.stop();
	const [ag] = await Fleet.measure(asymInits(files, 'ag-auth', Math.min(PEER_TOKENS, ASYM_TOKENS),
						   pair), [1]);
	const [fj] = await Fleet.measure(asymInits(files, 'fast-jwt', ASYM_TOKENS, pair), [1]);

	out.push(record(`${a}_ag-auth`, ag), record(`${a}_fast-jwt_cold`, fj));
	console.log(`# rep ${rep}: ${pair.alg}: ${out.join(', ')}`);
}

function report() {
	for (const name of Object.keys(rates)) {
		const c = cpus[name];

		figures.line('storm', `${name}_tokens_per_s`, rates[name]);
		figures.line('storm', `${name}_wall_us`, walls[name]);
		figures.line('storm', `${name}_worker_cpu_us_per_token`, c.worker, 2);
		if (c.daemon.length) {
			figures.line('storm', `${name}_daemon_cpu_us_per_token`, c.daemon, 2);
			figures.line('storm', `${name}_cpu_us_per_token`, c.total, 2);
		}
		figures.line('storm', `${name}_cpu_busy`, c.busy, 2);
		figures.line('storm', `${name}_machine_busy`, c.machine, 2);
	}
	/* (a storm BENCH_STORM_ALGS left out has no ratios) */
	const r = (a, b) => rates[a] && rates[b] &&
		figures.ratio('storm', `${a}_per_${b}`, rates[a], rates[b]);
	r('agauthd_cold', 'ag-auth');
	r('agauthd_warm', 'ag-auth');
	r('agauthd_cold', 'fast-jwt-cache_cold');
	r('agauthd_again', 'fast-jwt-cache_warm');
	r('agauthd_warm', 'fast-jwt-cache_warm');
	for (const a of ['es256', 'rs256']) {
		r(`${a}_agauthd_cold`, `${a}_ag-auth`);
		r(`${a}_agauthd_cold`, `${a}_fast-jwt_cold`);
	}
	if (rates.rs256_agauthd_repeat)
		figures.ratio('storm', 'rs256_agauthd_repeat_per_cold', rates.rs256_agauthd_repeat,
			      rates.rs256_agauthd_cold);
}

/* An asymmetric storm's key pair and token files, made once a run. */
function asymSet(alg) {
	const t0 = Date.now();
	const pair = tokens.keyPair(alg);
	const all = tokens.make(pair, 0, ASYM_TOKENS, iat);

	tokens.check(pair, all, 0, iat);
	console.log(`# ${alg} storm: ${ASYM_TOKENS} tokens (${all[0].length} bytes each), signed ` +
		    `in ${((Date.now() - t0) / 1000).toFixed(1)} s with a key node made for this run; ` +
		    `agauthd with one crypto thread per CPU; fast-jwt without cache`);
	return { pair, files: new tokens.TokenFiles(tmpdir(`storm-${alg}`), all) };
}

async function main() {
	const t0 = Date.now();
	const hs = ALGS.includes('HS256');
	const all = tokens.make(key, 0, hs ? TOKENS : 1, iat);

	tokens.check(key, all, 0, iat);
	const files = new tokens.TokenFiles(tmpdir('storm'), all);
	const sets = ALGS.filter((a) => a !== 'HS256').map(asymSet);

	console.log(figures.machine());
	console.log(`# storm: ${TOKENS} tokens (${all[0].length} bytes each) over ${WORKERS} worker ` +
		    `processes, ${DEPTH} verifies in flight each; ${REPS} repetitions, ` +
		    'each on a fresh daemon and fresh processes');
	console.log(`# ag-auth${WITH_JWT ? ' and jsonwebtoken' : ''} verify the first ${PEER_TOKENS} tokens ` +
		    'only (BENCH_STORM_PEER_TOKENS): their tokens/s is the comparable figure, not wall_us');
	console.log(`# fast-jwt-cache: a cache of ${Math.ceil(TOKENS / WORKERS)} tokens per process ` +
		    '(its share); warm = the same processes again');
	for (let rep = 1; rep <= REPS; rep++) {
		if (hs) {
			await agauthd(files, rep);
			await peers(files, rep);
		}
		for (const { pair, files: f } of sets)
			await asym(pair, f, rep);
	}
	report();
	console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
}

main().catch((e) => {
	console.error(`bench_storm: ${e.stack || e}`);
	process.exit(1);
});
