'use strict';
/*
 * verify_worker.js - one worker process of a fleet (fleet.js): verifies
 * its slice of tokens when told to go, `depth` at a time, and checks
 * every result.  Messages from the parent, in order:
 *
 *   {init: {kind, file, from, depth, socket, key, cacheSize, alg}}
 *                                   -> {ready: true} once it can verify
 *   {go: rounds}                    -> {done: verifies, cpuUs}  (any number)
 *   {close: true}                   -> closes and exits 0
 *
 * cpuUs: the CPU time (user and system, every thread of the process) it
 * spent from the go to its last verify, from process.cpuUsage().
 *
 * Any failure (a verify that rejects, a wrong payload) sends {error}
 * and exits 1: a benchmark that counted failures would be worthless.
 */
const assert = require('node:assert');

const { pipeline } = require('./pipeline');
const tokens = require('./tokens');
const verifiers = require('./verifiers');

const SAMPLE = 1023;               /* every 1024th result is compared whole */

let w;                             /* {v, toks, names, claims, depth} */

/* the payload of token j: its username always, its whole payload for a
 * sample (the decoded token is what every engine must return) */
function check(i, p) {
	const j = i % w.toks.length;

	if (!p || p.username !== w.names[j])
		throw new Error(`token ${w.from + j}: got ${JSON.stringify(p)}, want username ${w.names[j]}`);
	if ((j & SAMPLE) === 0) {
		const body = w.toks[j].split('.')[1];

		assert.deepStrictEqual({ ...p }, JSON.parse(Buffer.from(body, 'base64url').toString()),
				       `token ${w.from + j}: the payload`);
	}
}

async function init({ kind, file, from, depth, socket, key, cacheSize, alg }) {
	const toks = tokens.read(file);

	w = {
		from, depth, toks,
		names: toks.map((_, j) => tokens.userName(from + j)),
		v: await verifiers.make(kind, { socket, key, cacheSize, alg }),
	};
	return { ready: true };
}

async function go(rounds) {
	const n = w.toks.length * rounds;
	const cpu = process.cpuUsage();

	await pipeline(n, w.depth, (i) => w.v.verify(w.toks[i % w.toks.length]), check);
	const { user, system } = process.cpuUsage(cpu);

	return { done: n, cpuUs: user + system };
}

async function handle(m) {
	if (m.init)
		return init(m.init);
	if (m.go)
		return go(m.go);
	await w.v.close();
	process.exit(0);
}

process.on('disconnect', () => process.exit(1));       /* the parent died */
process.on('message', (m) => {
	handle(m).then((r) => process.send(r), (e) => {
		process.send({ error: e.stack || String(e) }, () => process.exit(1));
	});
});
