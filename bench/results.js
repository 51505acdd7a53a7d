#!/usr/bin/env node
'use strict';
/*
 * results.js - bench/RESULTS.md from the lines bench/run.sh collected.
 *
 *   node bench/results.js RAW >bench/RESULTS.md
 *
 * RAW holds every line the benchmarks printed, each after the label of
 * its run in bench/run.sh's list ("daemon daemon hs256_verify_d1_p50_us
 * 19.6 18.9 21.0"), and run.sh's own "meta <key> <value...>" lines (the
 * machine, versions, settings).  The tables below find each figure by
 * "<label> <subject> <name>"; a figure no run printed shows as "-" and its
 * target as "not measured", and a figure printed that no table names is
 * listed at the end of its run's table, so a renamed line is never lost.
 *
 * Each figure is the median over the repetitions with their spread
 * (min-max).  A ratio with a spread is one a benchmark took per
 * repetition from measurements run back to back; one without is the
 * ratio of the two medians.  Every ratio is agauthd's figure over its
 * peer's, in the unit shown: above 1 means more ops/s, or more time.
 *
 * The targets are the performance issue's; this file is the only place
 * they are written down.  RESULTS.md is made whole each time: why a
 * target is not met is written by hand in bench/NOTES.md, which it links
 * to.
 */
const fs = require('node:fs');

const raw = process.argv[2];

if (!raw) {
	process.stderr.write('usage: node bench/results.js RAW >RESULTS.md\n');
	process.exit(2);
}

/* ---------------------------------------------------------- the lines */

const figs = new Map();         /* "label subject name" -> { med, min, max } */
const meta = new Map();         /* key -> [value, ...] */
const notes = [];               /* "label: # ..." lines worth keeping */
const used = new Set();         /* keys some table showed */

for (const line of fs.readFileSync(raw, 'utf8').split('\n')) {
	const f = line.trim().split(/\s+/);

	if (f[0] === 'meta' && f.length > 1) {
		if (!meta.has(f[1]))
			meta.set(f[1], []);
		meta.get(f[1]).push(f.slice(2).join(' '));
	} else if (f.length > 1 && f[1].startsWith('#')) {
		const text = f.slice(1).join(' ').replace(/^#\s*/, '');

		/* what a benchmark warns about belongs beside its figures */
		if (/warning|repeated/i.test(text))
			notes.push(`${f[0]}: ${text}`);
	} else if (f.length === 6 && f.slice(3).every((x) => x !== '' && isFinite(x))) {
		const [med, min, max] = f.slice(3).map(Number);

		figs.set(f.slice(0, 3).join(' '), { med, min, max });
	}
}

const m1 = (key, def = '') => (meta.get(key) || [def])[0];

/* label -> { reps, secs, status, cmd } of each run, and label -> why of
 * each run skipped ("meta run <label> <reps> <s> <status> <command>",
 * "meta skipped <label> <why>") */
const runs = new Map((meta.get('run') || []).map((s) => {
	const [label, reps, secs, status, ...cmd] = s.split(' ');

	return [label, { reps, secs, status, cmd: cmd.join(' ') }];
}));
const skips = new Map((meta.get('skipped') || []).map((s) => {
	const [label, ...why] = s.split(' ');

	return [label, why.join(' ')];
}));

/* ----------------------------------------------------------- formats */

function get(key) {
	if (!key)
		return undefined;
	used.add(key);
	return figs.get(key);
}

/* the unit of a figure, from its name (ops/s when it says nothing) */
function unitOf(key) {
	const [, subject, name] = key.split(' ');

	if (subject.endsWith('-ratio'))
		return 'ratio';
	if (name.endsWith('_us') || name.endsWith('_us_per_token'))
		return 'µs';
	if (name.endsWith('_busy'))
		return '%';
	if (name.endsWith('_ns'))
		return 'ns';
	if (name.endsWith('_kib'))
		return 'MiB';
	if (name.endsWith('_bytes'))
		return 'bytes';
	return '/s';
}

function num(x, unit) {
	switch (unit) {
	case 'µs': case 'ns':
		return x.toLocaleString('en-US', { maximumFractionDigits: x < 100 ? 1 : 0,
						   minimumFractionDigits: x < 100 ? 1 : 0 });
	case 'MiB':
		return (x / 1024).toFixed(1);
	case 'ratio':
		return x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : x >= 0.1 ? 2 : 3);
	case '%':                    /* a fraction, shown in percent */
		return (100 * x).toFixed(0);
	default:
		return Math.round(x).toLocaleString('en-US');
	}
}

function withUnit(s, unit) {
	switch (unit) {
	case 'ratio': return `${s}×`;
	case '/s': return `${s}/s`;
	case '%': return `${s}%`;
	default: return `${s} ${unit}`;
	}
}

/* "median unit (min–max)", or "-" */
function cell(v, unit) {
	if (!v)
		return '-';
	const s = withUnit(num(v.med, unit), unit);

	return v.min === v.max ? s : `${s} (${num(v.min, unit)}–${num(v.max, unit)})`;
}

/* a rate as the time per call (µs): the median maps to the median, the
 * spread turns over */
const latency = (v) => v && { med: 1e6 / v.med, min: 1e6 / v.max, max: 1e6 / v.min };
/* the ratio of two medians: no spread */
const ofMedians = (a, b) => ({ med: a.med / b.med, min: a.med / b.med, max: a.med / b.med });
/* a paired ratio the other way round */
const invert = (v) => v && { med: 1 / v.med, min: 1 / v.max, max: 1 / v.min };

/* ------------------------------------------------------------ tables */

/*
 * A row: { what, ours, peerName, peer, ratio, invert, latency }: keys of
 * agauthd's figure, of its peer's, and of the benchmark's paired ratio
 * (the ratio of the medians when it has none); `invert` when that ratio
 * is peer over agauthd, `latency` to show two rates as times per call.
 */
function row(r) {
	let ours = get(r.ours), peer = get(r.peer);
	let ratio = r.ratio ? get(r.ratio) : ours && peer && ofMedians(ours, peer);
	let unit = r.ours ? unitOf(r.ours) : 'ratio';

	if (r.ratio && r.invert)
		ratio = invert(ratio);
	if (r.latency) {
		ours = latency(ours);
		peer = latency(peer);
		unit = 'µs';
	}
	return `| ${r.what} | ${r.ours ? cell(ours, unit) : ''} | ${r.peerName || ''} | ` +
	       `${r.peer ? cell(peer, unit) : ''} | ${r.ratio || r.peer ? cell(ratio, 'ratio') : ''} |`;
}

const HEAD = '| measurement | agauthd | peer | peer\'s figure | agauthd / peer |\n|---|---|---|---|---|';

/* the figures of `labels` no row showed, one row each */
function leftovers(labels) {
	const out = [];

	for (const key of figs.keys()) {
		if (used.has(key) || !labels.includes(key.split(' ')[0]))
			continue;
		used.add(key);
		/* the label too where the subject does not say which run */
		const [label, subject] = key.split(' ');
		const what = subject.replace(/-ratio$/, '') === label ?
			key.slice(label.length + 1) : key;

		out.push(`| ${what} | ${cell(figs.get(key), unitOf(key))} | | | |`);
	}
	return out;
}

/* "<label>: why" of the runs of `labels` that skipped or failed */
function troubles(labels) {
	return labels.flatMap((l) => {
		if (skips.has(l))
			return [`${l}: ${skips.get(l)}`];
		if (!runs.has(l))
			return [`${l}: not run`];
		if (runs.get(l).status !== '0')
			return [`${l}: failed (exit status ${runs.get(l).status}); ` +
				'its figures are those it printed before'];
		return [];
	});
}

/* sub: a companion table of other columns, { title, text, head, rows,
 * row }: row(r) makes a line of it, null when none of r's figures was
 * printed; a companion without lines is left out */
const table = (title, text, labels, rows, sub) => ({ title, text, labels, rows, sub });

/*
 * The sections: "## title", what it measures, its rows, then what else its
 * runs printed, then its companion table.  Every section's rows are made
 * before any leftovers, so that a figure two sections share lands in the
 * one that names it.
 */
function sections(list) {
	const rows = list.map((t) => t.rows.map(row));
	const subs = list.map((t) => (t.sub ? t.sub.rows.map(t.sub.row).filter(Boolean) : []));

	return list.map((t, i) => {
		const lines = [`## ${t.title}`, '', t.text, ''];
		const trouble = troubles(t.labels);

		if (t.labels.some((l) => runs.has(l)))
			lines.push(HEAD, ...rows[i], ...leftovers(t.labels), '');
		if (subs[i].length)
			lines.push(`### ${t.sub.title}`, '', t.sub.text, '', t.sub.head, ...subs[i], '');
		if (trouble.length)
			lines.push(`Not measured, or only in part: ${trouble.join('; ')}.`, '');
		return lines.join('\n');
	});
}

/* ---------------------------------------------------- (a) the engine */

const E = (s, n) => `engine ${s} ${n}`;
const engineRows = [];

for (const alg of ['hs256', 'rs256', 'es256', 'ps256']) {
	const A = alg.toUpperCase();

	for (const [peerName, lib] of [['jsonwebtoken', 'jsonwebtoken'], ['fast-jwt', 'fast-jwt']])
		engineRows.push({ what: `${A} sign`, ours: E('engine', `${alg}_sign`), peerName,
				  peer: E(lib, `${alg}_sign`) });
	for (const [peerName, lib] of [['jsonwebtoken', 'jsonwebtoken'], ['fast-jwt', 'fast-jwt'],
				       ['fast-jwt with its cache (a hit)', 'fast-jwt-cache']])
		engineRows.push({ what: `${A} verify`, ours: E('engine', `${alg}_verify`), peerName,
				  peer: E(lib, `${alg}_verify`) });
}
for (const [what, name] of [['ES256 verify', 'es256_verify'], ['RS256 sign', 'rs256_sign']])
	engineRows.push({ what: `${what}, 2 threads at once`, ours: E('engine', `${name}_2threads`),
			  peerName: '1 thread, same repetition', peer: E('engine', name),
			  ratio: E('engine-ratio', `${name}_2threads_per_1`) });

/* --------------------------------------------------- (b) the daemon */

const D = (n) => `daemon daemon ${n}`;
const DR = (n) => `daemon daemon-ratio ${n}`;
const daemonRows = [
	...['p50', 'p99', 'p999'].map((p) => ({
		what: `HS256 verify round trip, depth 1, ${p}`, ours: D(`hs256_verify_d1_${p}_us`),
		peerName: 'libev echo of the same frame', peer: D(`echo_d1_${p}_us`),
		ratio: DR(`verify_per_echo_${p}`),
	})),
	{ what: 'time agauthd adds to the echo, p50', ours: D('hs256_verify_d1_added_p50_us') },
	{ what: 'the ratio if agauthd added one in-process verify to the echo, p50',
	  ratio: DR('echo_plus_engine_verify_per_echo_p50') },
	...['c1', 'c2'].map((c) => ({
		what: `HS256 verify, depth 32 pipelined, ${c[1]} connection${c[1] > 1 ? 's' : ''}`,
		ours: D(`hs256_verify_d32_${c}_ops`),
		peerName: 'the engine\'s HS256 verify of the same token in process, 1 core',
		peer: D('engine_hs256_verify_ops'), ratio: DR(`verify_d32_${c}_per_engine_verify`),
	})),
	{ what: 'the daemon\'s CPU time per verify, depth 32, 1 connection',
	  ours: D('daemon_cpu_per_verify_d32_c1_us') },
	{ what: 'HS256 verify, depth 32 pipelined, 1 connection', ours: D('hs256_verify_d32_c1_ops'),
	  peerName: 'the HMAC agauthd computes (libcrypto SHA-256, pre-keyed), alone, 1 core',
	  peer: D('hmac_sha256_agauthd_ops'), ratio: DR('verify_d32_c1_per_agauthd_hmac') },
];

/* ------------------------------------------------- (c) Node AuthEngine */

const N = (n) => `node node ${n}`;
const NR = (n) => `node node-ratio ${n}`;
const nodeRows = [
	{ what: 'verify, cache hit', ours: N('verify_hit_seq_ops'),
	  peerName: 'fast-jwt with its cache (a hit)', peer: N('fast-jwt-cache_verify_hit_ops'),
	  ratio: NR('hit_per_fast-jwt_cache_hit') },
	{ what: 'verify, cache hit', ours: N('verify_hit_seq_ops'), peerName: 'ag-auth, KeyObject',
	  peer: N('ag-auth_verify_keyobject_ops'), ratio: NR('hit_per_ag-auth_keyobject') },
	{ what: 'verify, cache hit, first in this worker (another one had it verified)',
	  ours: N('verify_first_hit_seq_ops') },
	{ what: 'verify, miss (agauthd\'s socket)', ours: N('verify_miss_seq_ops'),
	  peerName: 'ag-auth, string authKey (the default)', peer: N('ag-auth_verify_string_key_ops'),
	  ratio: NR('miss_per_ag-auth_string_key') },
	{ what: 'verify, miss', ours: N('verify_miss_seq_ops'), peerName: 'fast-jwt without cache',
	  peer: N('fast-jwt_verify_ops') },
	{ what: 'verify, miss: time per call', ours: N('verify_miss_seq_ops'),
	  peerName: 'bare ping to agauthd, same connection', peer: N('ping_seq_ops'),
	  ratio: NR('miss_latency_per_ping_latency'), latency: true },
	{ what: 'sign HS256', ours: N('sign_hs256_seq_ops'),
	  peerName: 'ag-auth, string authKey (the default)', peer: N('ag-auth_sign_string_key_ops'),
	  ratio: NR('sign_per_ag-auth_string_key') },
	{ what: 'sign HS256', ours: N('sign_hs256_seq_ops'), peerName: 'ag-auth, KeyObject',
	  peer: N('ag-auth_sign_keyobject_ops') },
	{ what: 'sign HS256', ours: N('sign_hs256_seq_ops'), peerName: 'fast-jwt',
	  peer: N('fast-jwt_sign_ops') },
	{ what: 'verify, cache hit, 64 in flight', ours: N('verify_hit_pipelined_ops') },
	{ what: 'verify, miss, 64 in flight', ours: N('verify_miss_pipelined_ops') },
	{ what: 'sign HS256, 64 in flight', ours: N('sign_hs256_pipelined_ops') },
];

/* ------------------------------------------------------ (d) cache hits */

const C = (n) => `cache cache ${n}`;
const CR = (n) => `cache cache-ratio ${n}`;
const NC = (n) => `node-cache node-cache ${n}`;
const verifyPeer = 'in-process HS256 verify (engine)';
const cacheRows = [
	{ what: 'C hit, hot (the same token)', ours: C('hit_hot_ns'), peerName: verifyPeer,
	  peer: C('engine_hs256_verify_ns'), ratio: CR('hit_hot_per_hs256_verify') },
	{ what: 'C hit, hot, an RS256 token', ours: C('hit_hot_rs256_ns'), peerName: verifyPeer,
	  peer: C('engine_hs256_verify_ns'), ratio: CR('hit_hot_rs256_per_hs256_verify') },
	{ what: 'C hit, random in over 1M entries', ours: C('hit_random_ns'), peerName: verifyPeer,
	  peer: C('engine_hs256_verify_ns'), ratio: CR('hit_random_per_hs256_verify') },
	{ what: 'C hit, random', ours: C('hit_random_ns'), peerName: 'one random read of the mapping',
	  peer: C('random_line_read_ns'), ratio: CR('hit_random_per_line_read') },
	{ what: 'C hits, random, 2 reader processes', ours: C('random_2_processes_ops'),
	  peerName: '1 reader process', peer: C('random_1_process_ops'), ratio: CR('two_readers_per_one') },
	{ what: 'Node hit, hot', ours: NC('hit_hot_ops'), peerName: 'fast-jwt with its cache, hot',
	  peer: NC('fast-jwt-cache_hit_hot_ops') },
	{ what: 'Node hit, random in 1M entries', ours: NC('hit_random_1m_ops'),
	  peerName: 'fast-jwt with its cache, random in 1M', peer: NC('fast-jwt-cache_hit_random_1m_ops') },
];

/* ------------------------------------------------ (e) signs in flight */

const loadRows = [];

for (const [label, A] of [['daemon', 'RS256'], ['daemon-es256', 'ES256']]) {
	for (const p of ['p50', 'p99', 'p999'])
		loadRows.push({
			what: `HS256 verify, depth 1, ${p}, ${A} signs in flight`,
			ours: `${label} daemon hs256_verify_d1_signload_${p}_us`,
			peerName: 'idle, same repetition', peer: `${label} daemon hs256_verify_d1_${p}_us`,
			ratio: `${label} daemon-ratio verify_${p}_signload_per_idle`,
		});
	loadRows.push({ what: `${A} signs completed meanwhile`,
			ours: `${label} daemon signs_under_load_ops` });
}

/* ------------------------------------------- (f), (g), (h) and targets */

const procsRows = [
	{ what: 'HS256 verify misses, 4 client processes', ours: 'procs procs agauthd_miss_p4_ops',
	  peerName: 'ag-auth in 4 processes', peer: 'procs procs ag-auth_p4_ops' },
];
const S = (n) => `storm storm ${n}_tokens_per_s`;
const SR = (n) => `storm storm-ratio ${n}`;
const stormRows = [
	{ what: 'reconnect storm, tokens verified, cold', ours: S('agauthd_cold'),
	  peerName: 'ag-auth', peer: S('ag-auth'), ratio: SR('agauthd_cold_per_ag-auth') },
	...['es256', 'rs256'].flatMap((a) => [
		{ what: `${a.toUpperCase()} storm, cold`, ours: S(`${a}_agauthd_cold`),
		  peerName: 'ag-auth, the public key\'s PEM', peer: S(`${a}_ag-auth`),
		  ratio: SR(`${a}_agauthd_cold_per_${a}_ag-auth`) },
		{ what: `${a.toUpperCase()} storm, cold`, ours: S(`${a}_agauthd_cold`),
		  peerName: 'fast-jwt without cache', peer: S(`${a}_fast-jwt_cold`),
		  ratio: SR(`${a}_agauthd_cold_per_${a}_fast-jwt_cold`) },
	]),
	{ what: 'RS256 repeat storm (every token cached)', ours: S('rs256_agauthd_repeat'),
	  peerName: 'the cold RS256 storm', peer: S('rs256_agauthd_cold'),
	  ratio: SR('rs256_agauthd_repeat_per_cold') },
];
/* the CPU time of each storm per token: { what, storm, daemon } (daemon:
 * an agauthd storm, which has the daemon's share) */
const cpuRows = [
	['HS256', '', [['agauthd, cold', 'agauthd_cold', true],
		       ['agauthd again, the same processes (every token a hit)', 'agauthd_again', true],
		       ['agauthd warm, fresh processes (every token a hit)', 'agauthd_warm', true],
		       ['ag-auth', 'ag-auth'],
		       ['fast-jwt with its cache, cold', 'fast-jwt-cache_cold'],
		       ['fast-jwt with its cache, warm', 'fast-jwt-cache_warm'],
		       ['jsonwebtoken', 'jsonwebtoken']]],
	['ES256', 'es256_', [['agauthd, cold', 'agauthd_cold', true], ['ag-auth', 'ag-auth'],
			     ['fast-jwt without cache', 'fast-jwt_cold']]],
	['RS256', 'rs256_', [['agauthd, cold', 'agauthd_cold', true],
			     ['agauthd repeat (every token a hit)', 'agauthd_repeat', true],
			     ['ag-auth', 'ag-auth'], ['fast-jwt without cache', 'fast-jwt_cold']]],
].flatMap(([A, a, list]) => list.map(([what, storm, daemon]) =>
	({ what: `${A} ${what}`, storm: `${a}${storm}`, daemon })));

function cpuRow(r) {
	const k = (n) => `storm storm ${r.storm}_${n}`;
	const worker = get(k('worker_cpu_us_per_token')), busy = get(k('cpu_busy'));
	/* a peer's storm: its workers' CPU is all of it */
	const total = r.daemon ? get(k('cpu_us_per_token')) : worker;

	if (!worker && !busy)
		return null;
	return `| ${r.what} | ${cell(worker, 'µs')} | ` +
	       `${r.daemon ? cell(get(k('daemon_cpu_us_per_token')), 'µs') : ''} | ` +
	       `${cell(total, 'µs')} | ${cell(busy, '%')} | ${cell(get(k('machine_busy')), '%')} |`;
}

const cpuTable = {
	title: 'CPU per token',
	text: 'The CPU time (user and system) each storm above spent per token verified: the ' +
	      'worker processes\' together (each one\'s `process.cpuUsage()` from its go to its ' +
	      'last verify) and, in agauthd\'s storms, the daemon\'s, every thread of it (from ' +
	      '/proc, just before the go to just after the last verify). CPU busy is the two ' +
	      'over the storm\'s wall time × the machine\'s CPUs: near 100% the storm was ' +
	      'CPU-bound, and its tokens/s is about CPUs ÷ the total per token. Machine busy: ' +
	      'the CPUs\' time busy meanwhile with any process (/proc/stat, 10 ms ticks: rough in ' +
	      'a short storm); the difference went to other processes.',
	head: '| storm | workers, per token | daemon, per token | total, per token | CPU busy | ' +
	      'machine busy |\n|---|---|---|---|---|---|',
	rows: cpuRows,
	row: cpuRow,
};
const F = (n) => `fleet fleet ${n}`;
const fleetRows = [
	...['p50', 'p90', 'p99', 'max'].map((p) => ({
		what: `revocation from host a's reply to host b's cache refusing, ${p}`,
		ours: F(`propagation_${p}_us`),
	})),
	{ what: 'revokes answered on host a, one at a time, cluster on', ours: F('revokes_per_s') },
];

const R = (n) => `rss daemon ${n}`;
const rssRows = [
	{ what: 'daemon RSS, idle', ours: R('rss_idle_kib') },
	{ what: 'daemon RSS, loaded', ours: R('rss_loaded_kib') },
	{ what: 'of which the cache mapping', ours: R('cache_rss_kib') },
	{ what: 'daemon RSS, idle, less the cache mapping', ours: R('rss_idle_less_cache_kib') },
	{ what: 'daemon RSS, loaded, less the cache mapping', ours: R('rss_loaded_less_cache_kib') },
	{ what: 'added by 10,000 idle connections', ours: R('rss_10k_idle_conns_added_kib') },
	{ what: 'each idle connection', ours: R('rss_idle_conn_bytes') },
];

/* a target on one figure: { text, key, op: '<=' | '>=', limit }, or on
 * a value computed from figures: { ..., value: () => { med, min, max } } */
function ratioOf(a, b) {
	const x = get(a), y = get(b);

	return x && y && ofMedians(x, y);
}

/* agauthd's engine over fast-jwt, in process (issue 14) */
const overFastJwt = (name, limit, what) => ({
	text: `engine in process, ${what} ≥ ${limit}× fast-jwt`, op: '>=', limit,
	value: () => ratioOf(E('engine', name), E('fast-jwt', name)),
});

const targets = [
	/* the HS256 baseline is the engine itself (issue 14) */
	{ text: 'C cache hit, hot ≤ 1/10 of the engine\'s in-process HS256 verify',
	  op: '<=', limit: 0.1, key: CR('hit_hot_per_hs256_verify') },
	{ text: 'C cache hit, random in 1M ≤ 1/10 of the engine\'s in-process HS256 verify',
	  op: '<=', limit: 0.1, key: CR('hit_random_per_hs256_verify') },
	overFastJwt('es256_verify', 1.2, 'ES256 verify'),
	overFastJwt('es256_sign', 1, 'ES256 sign'),
	overFastJwt('rs256_sign', 1, 'RS256 sign'),
	overFastJwt('rs256_verify', 1, 'RS256 verify'),
	overFastJwt('ps256_sign', 1, 'PS256 sign'),
	overFastJwt('ps256_verify', 1, 'PS256 verify'),
	{ text: 'engine, ES256 verify in 2 threads ≥ 1.8× 1 thread', op: '>=', limit: 1.8,
	  key: E('engine-ratio', 'es256_verify_2threads_per_1') },
	{ text: 'engine, RS256 sign in 2 threads ≥ 1.8× 1 thread', op: '>=', limit: 1.8,
	  key: E('engine-ratio', 'rs256_sign_2threads_per_1') },
	{ text: 'Node cache hit ≥ 3× fast-jwt\'s cache hit', op: '>=', limit: 3,
	  key: NR('hit_per_fast-jwt_cache_hit') },
	{ text: 'Node cache hit, random in 1M ≥ 3× fast-jwt\'s cache hit, random in 1M',
	  op: '>=', limit: 3,
	  value: () => ratioOf(NC('hit_random_1m_ops'), NC('fast-jwt-cache_hit_random_1m_ops')) },
	{ text: 'Node miss ≥ 10× ag-auth with the default string authKey', op: '>=', limit: 10,
	  key: NR('miss_per_ag-auth_string_key') },
	{ text: 'Node miss ≤ 1.3× a bare Node→agauthd ping (time per call)', op: '<=', limit: 1.3,
	  key: NR('miss_latency_per_ping_latency') },
	{ text: 'C round trip, depth 1, p50 ≤ 1.25× bare libev echo', op: '<=', limit: 1.25,
	  key: DR('verify_per_echo_p50') },
	{ text: 'C round trip, depth 1, p99 ≤ 1.25× bare libev echo', op: '<=', limit: 1.25,
	  key: DR('verify_per_echo_p99') },
	{ text: 'daemon pipelined HS256 verify, 1 connection, depth 32 ≥ 0.5× the in-process engine',
	  op: '>=', limit: 0.5, key: DR('verify_d32_c1_per_engine_verify') },
	{ text: 'HS256 p99 with RS256 signs in flight ≤ 2× idle', op: '<=', limit: 2,
	  key: DR('verify_p99_signload_per_idle') },
	{ text: 'HS256 p99 with ES256 signs in flight ≤ 2× idle', op: '<=', limit: 2,
	  key: 'daemon-es256 daemon-ratio verify_p99_signload_per_idle' },
	{ text: 'daemon RSS, loaded, less the cache mapping ≤ 8 MiB', op: '<=', limit: 8192, unit: 'MiB',
	  value: () => {
		const l = get(R('rss_loaded_kib')), c = get(R('cache_rss_kib'));
		const d = l && c && l.med - c.med;

		/* the difference per repetition when the run has it */
		return get(R('rss_loaded_less_cache_kib')) ||
		       (l && c && { med: d, min: d, max: d });
	  } },
	{ text: '10,000 idle connections ≤ 40 MiB more', op: '<=', limit: 40960, unit: 'MiB',
	  key: R('rss_10k_idle_conns_added_kib') },
	{ text: 'fleet: revocation on host a to refusal by host b\'s cache, p99 ≤ 50 ms',
	  op: '<=', limit: 50000, unit: 'µs', key: F('propagation_p99_us') },
	{ text: 'reconnect storm ≥ 20× ag-auth', op: '>=', limit: 20,
	  value: () => get('storm storm-ratio agauthd_cold_per_ag-auth') ||
		ratioOf('storm storm agauthd_cold_tokens_per_s', 'storm storm ag-auth_tokens_per_s') },
	{ text: 'cold reconnect storm, ES256, 4 workers ≥ 2× ag-auth', op: '>=', limit: 2,
	  key: SR('es256_agauthd_cold_per_es256_ag-auth') },
	{ text: 'cold reconnect storm, ES256, 4 workers ≥ 0.8× fast-jwt without cache', op: '>=',
	  limit: 0.8, key: SR('es256_agauthd_cold_per_es256_fast-jwt_cold') },
	{ text: 'cold reconnect storm, RS256, 4 workers ≥ 1.0× fast-jwt without cache', op: '>=',
	  limit: 1, key: SR('rs256_agauthd_cold_per_rs256_fast-jwt_cold') },
	{ text: 'repeat storm, RS256 (every token cached) ≥ 5× the cold RS256 storm', op: '>=',
	  limit: 5, key: SR('rs256_agauthd_repeat_per_cold') },
];

function targetRow(t) {
	const v = t.value ? t.value() : get(t.key);
	const unit = t.unit || 'ratio';
	const limit = `${t.op === '<=' ? '≤' : '≥'} ` +
		      withUnit(unit === 'MiB' ? t.limit / 1024 : t.limit, unit);

	if (!v)
		return `| ${t.text} | - | ${limit} | not measured |`;
	const ok = t.op === '<=' ? v.med <= t.limit : v.med >= t.limit;

	return `| ${t.text} | ${cell(v, unit)} | ${limit} | ${ok ? 'met' : '**NOT met**'} |`;
}

/* -------------------------------------------------------- the header */

function header() {
	const quick = m1('quick') === '1';
	const runRows = [...runs].map(([label, r]) =>
		`| ${label} | \`${r.cmd}\` | ${r.reps} | ${r.secs} s` +
		(r.status === '0' ? ' |' : `, failed (exit status ${r.status}) |`));
	const pkg = (n) => m1(`version-${n}`, 'unknown');

	return [
		'# agauthd benchmark results',
		'',
		'Generated by `make bench` (bench/run.sh, then bench/results.js); do not edit by',
		'hand: why a target is not met is written in [NOTES.md](NOTES.md), which',
		'`make bench` never touches.',
		'',
		...(quick ? ['> **Quick run** (`BENCH_QUICK=1`): one short repetition of each',
			     '> measurement, to check the pipeline. Its figures mean little.', ''] : []),
		'Each figure is the median over the repetitions with their spread',
		'(min–max) in parentheses, next to its peer measured in the same run.',
		'Ratios are agauthd\'s figure over its peer\'s, in the unit shown (above 1:',
		'more ops/s, or more time); a ratio with a spread was taken per repetition',
		'from measurements run back to back, one without is the ratio of the',
		'medians. Latencies are µs, cache lookups ns, throughputs ops/s.',
		'',
		'## Machine, versions, settings',
		'',
		'| | |',
		'|---|---|',
		`| date | ${m1('date', 'unknown')} |`,
		`| commit | ${m1('commit', 'unknown')} |`,
		`| CPU | ${m1('cpu', 'unknown')}, ${m1('cpus', '?')} CPUs |`,
		`| kernel | ${m1('kernel', 'unknown')} |`,
		`| memory | ${m1('memory', 'unknown')} |`,
		`| load average before the run | ${m1('load', 'unknown')} |`,
		`| node | ${m1('version-node', 'unknown')} |`,
		`| peers | jsonwebtoken ${pkg('jsonwebtoken')}, ag-auth ${pkg('ag-auth')}, ` +
		`fast-jwt ${pkg('fast-jwt')} |`,
		`| crypto backend | ${m1('crypto', 'unknown')} (libcrypto ${pkg('libcrypto')}, ` +
		`mbedTLS ${pkg('mbedtls')}) |`,
		`| libraries | libev ${pkg('libev')}, msgpack-c ${pkg('msgpack-c')} |`,
		`| command | \`${m1('command', 'make bench')}\` |`,
		`| settings | ${m1('settings', '') || 'defaults'} |`,
		'',
		'| run | command | repetitions | took |',
		'|---|---|---|---|',
		...runRows,
		'',
	].join('\n');
}

/* ---------------------------------------------------------- the file */

const body = sections([
	table('(a) The engine in process',
	      'The signing engine of agauthd in C (the crypto backend above), `build/bench_engine`, next to ' +
	      'jsonwebtoken and fast-jwt in Node (`bench/bench_peers.js`) with the same keys ' +
	      '(PS256 with the RS256 pair), payload and options, run right after it. Operations ' +
	      'per second, one core; and ES256 verify and RS256 sign in two threads at once ' +
	      'against one, back to back.',
	      ['engine'], engineRows),
	table('(b) The daemon over its socket',
	      '`build/bench_daemon` speaks the wire protocol to agauthd on its Unix socket. ' +
	      'At depth 1 (one request in flight) its peer is `build/echo_server`, bare libev ' +
	      'sending the same frame back, the two alternating request by request; pipelined ' +
	      '(32 in flight per connection) its peer is the engine\'s own verify of the same ' +
	      'token in process on one core, measured alternately with it, and the daemon\'s CPU ' +
	      'time per verify is read from /proc.',
	      ['daemon'], daemonRows),
	table('(c) The Node AuthEngine',
	      '`bench/bench_node_engine.js`: the npm package\'s AuthEngine (`client/node`) in a ' +
	      'Node process, each call awaited as a SocketCluster handshake awaits it, next to ' +
	      'what a worker runs today in the same process, repetitions interleaved: ag-auth ' +
	      '(the default authEngine) with a string authKey and with a KeyObject, fast-jwt with ' +
	      'and without its cache, and a bare ping to agauthd over the AuthEngine\'s connection.',
	      ['node'], nodeRows),
	table('(d) Cache hits',
	      '`build/bench_cache`: lookups in C in a cache filled by the daemon\'s own writer with ' +
	      'over a million tokens and mapped read-only as a worker maps it, next to verifying ' +
	      'the same token in process, measured back to back (ns per lookup: lower is better). ' +
	      'The Node lines: the AuthEngine\'s hit in a 1M-entry cache next to fast-jwt\'s cache ' +
	      'of as many tokens.',
	      ['cache', 'node-cache'], cacheRows),
	table('(e) HS256 latency with signs in flight',
	      '`build/bench_daemon`, part c: HS256 verify round trips at depth 1 while another ' +
	      'connection keeps 8 signs outstanding on agauthd\'s crypto pool, with an RS256 ' +
	      'primary key, then (a second daemon) an ES256 one; the peer is the idle latency ' +
	      'measured in the same repetition.',
	      ['daemon', 'daemon-es256'], loadRows),
	table('(f) Many client processes',
	      '`bench/bench_procs.js`: several client processes at once against one agauthd, ' +
	      'next to ag-auth verifying in as many processes.',
	      ['procs'], procsRows),
	table('(g) Reconnect storm',
	      '`bench/bench_storm.js`: every client reconnecting at once with its token, 4 worker ' +
	      'processes, 64 handshakes in flight each, distinct tokens: agauthd with a cold cache ' +
	      'next to ag-auth verifying the same tokens (its cache preallocated: `[cache] ' +
	      'preallocate = yes`, docs/operations.md); then ES256 and RS256 tokens (a key pair ' +
	      'made for the run, the same for every peer) next to ag-auth and fast-jwt without ' +
	      'cache, and RS256\'s repeat storm, every token a cache hit.',
	      ['storm'], stormRows, cpuTable),
	table('(h) Memory',
	      '`bench/run_rss.sh`: the daemon\'s resident set idle, under load, the share that is ' +
	      'the cache mapping, and what 10,000 idle client connections add.',
	      ['rss'], rssRows),
	table('(i) Several hosts',
	      '`bench/bench_fleet.js`: redis-server on loopback TCP and three daemons with ' +
	      '`[cluster]`; for each of 500 subjects a token signed on host a and cached on host ' +
	      'b, then `revoke --sub` on a, timed until b\'s cache stops answering for the token ' +
	      '(a libagauth peek in a loop); then 2000 revokes one after another on a. A fresh ' +
	      'Redis and fresh daemons each repetition.',
	      ['fleet'], fleetRows),
]);

/* the targets last, once every table has run get() */
const out = [
	header(),
	...body,
	'## Targets',
	'',
	'The performance issue\'s targets, each against the median above. Why a target is ' +
	'not met: [NOTES.md](NOTES.md).',
	'',
	'| target | measured | limit | verdict |',
	'|---|---|---|---|',
	...targets.map(targetRow),
	'',
];

if (notes.length)
	out.push('## Warnings printed by the benchmarks', '', ...notes.map((n) => `- ${n}`), '');
process.stdout.write(out.join('\n'));
