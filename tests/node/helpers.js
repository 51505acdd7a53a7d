'use strict';
/*
 * helpers.js - what the node-engine suites share: real daemons
 * (tests/integration/harness.js) with the cache on, AuthEngines on them
 * that are closed after each file, outcomes of promises, and the
 * comparison with jsonwebtoken of tests/diff/common.js.
 *
 *   node --test --test-reporter=tap tests/node/
 *
 * AGAUTHD picks the daemon (default build/san/agauthd).
 */
const assert = require('node:assert');
const path = require('node:path');
const test = require('node:test');

const h = require('../integration/harness');
const { view, show } = require('../diff/common');

const PKG = path.join(h.ROOT, 'client', 'node');
const agauthd = require(PKG);

const daemons = [];
const engines = [];

test.after(async () => {
	await Promise.all(engines.map((e) => e.close()));
	for (const d of daemons)
		await d.cleanup();
});

/* A daemon with the default key (hs1, HS256, kid "hs1") and the cache
 * on; `setup` goes to h.setup. */
async function daemon(setup = {}) {
	const d = await h.Daemon.start(h.setup(setup));

	daemons.push(d);
	return d;
}

/* An AuthEngine on d (closed after the file). */
function engine(d, opts = {}) {
	const e = new agauthd.AuthEngine({ socketPath: d.env.sock, ...opts });

	engines.push(e);
	return e;
}

async function attached(e) {
	await h.waitFor(() => e.cacheAttached, { what: 'the engine to attach the cache' });
	return e;
}

/* {ok, value} or {ok: false, error} of a promise (or a function that
 * returns one or throws). */
async function outcome(p) {
	try {
		return { ok: true, value: await (typeof p === 'function' ? p() : p) };
	} catch (error) {
		return { ok: false, error };
	}
}

/* Asserts two outcomes equal as the differential suites compare them:
 * values deeply, errors by prototype chain, name, message, own keys and
 * dates. */
function assertSame(got, want, what) {
	assert.deepStrictEqual(view(got), view(want), `${what}\n  got:  ${show(got)}\n  want: ${show(want)}`);
}

/* The daemon's HS256 secret and kid, for jsonwebtoken. */
function keyOf(d, name = 'hs1') {
	const k = d.env.keys[name];

	return { secret: k.secret, kid: k.kid };
}

module.exports = {
	h, agauthd, PKG, daemon, engine, attached, outcome, assertSame, keyOf,
};
