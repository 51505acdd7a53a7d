'use strict';
/*
 * helpers.js - what the node-engine suites share: real daemons
 * (tests/integration/harness.js) with the cache on, AuthEngines on them,
 * both gone with the test that made them, outcomes of promises, and the
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

/*
 * Daemons and engines by who made them: a test's are closed and stopped
 * when the test ends (its subtests' when they end), the file's (made in
 * a before hook) when the file ends.  Engines close first; each daemon
 * is then stopped as the integration harness stops it (Daemon.stop:
 * SIGTERM, status 0, no sanitizer report), so that a daemon that fails
 * its stop fails the test that started it.
 */
const fileScope = { daemons: [], engines: [] };
const testScopes = [];          /* one per running test, innermost last */

function scope() {
	return testScopes.length ? testScopes[testScopes.length - 1] : fileScope;
}

/* Closes s's engines, then stops its daemons; throws the first failure
 * after trying all. */
async function close(s) {
	const failures = [];

	await Promise.all(s.engines.map((e) => e.close()));
	for (const d of s.daemons)
		await d.stop().catch((e) => failures.push(e));
	if (failures.length)
		throw failures[0];
}

test.beforeEach(() => { testScopes.push({ daemons: [], engines: [] }); });
test.afterEach(() => close(testScopes.pop()));
test.after(() => close(fileScope));

/* A daemon with the default key (hs1, HS256, kid "hs1") and the cache
 * on; `setup` goes to h.setup. */
async function daemon(setup = {}) {
	const d = await h.Daemon.start(h.setup(setup));

	scope().daemons.push(d);
	return d;
}

/* An AuthEngine on d (closed with the test, or the file, that made it). */
function engine(d, opts = {}) {
	const e = new agauthd.AuthEngine({ socketPath: d.env.sock, ...opts });

	scope().engines.push(e);
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
