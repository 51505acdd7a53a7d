'use strict';
/*
 * ready.test.js - engine.ready() and the warning at start: a server
 * started without agauthd hears of it at once (one process warning
 * AGAUTHD_UNREACHABLE naming the socket and AGAUTHD_SOCKET), not at its
 * first login's 4002; ready() rejects with the same advice, and resolves
 * once agauthd answers.
 */
const test = require('node:test');
const assert = require('node:assert');

const { h, agauthd, daemon, engine, outcome } = require('./helpers');

const warnings = [];

process.on('warning', (w) => warnings.push(w));

function unreachable() {
	return warnings.filter((w) => w.code === 'AGAUTHD_UNREACHABLE');
}

function assertAdvice(message, sock) {
	assert.ok(message.includes(`agauthd is not answering at ${sock}`), message);
	assert.match(message, /check that agauthd runs/);
	assert.match(message, /socketPath option, else the AGAUTHD_SOCKET environment variable/);
}

test('agauthd answers: ready() resolves, no warning', async () => {
	const d = await daemon();
	const e = engine(d);

	assert.strictEqual(await e.ready(), undefined);
	await e.signToken({ u: 1 });
	assert.deepStrictEqual(unreachable(), []);
});

test('no agauthd at start: one warning, ready() rejects saying what to check, then resolves once it runs', async () => {
	const env = h.setup({});
	const e = new agauthd.AuthEngine({ socketPath: env.sock, reconnectWait: 0 });

	try {
		await h.waitFor(() => unreachable().length > 0, { what: 'the warning at start' });
		assertAdvice(unreachable()[0].message, env.sock);
		assert.match(unreachable()[0].message, /ENOENT/);

		const r = await outcome(e.ready());

		assert.strictEqual(r.ok, false, 'ready() resolved with no agauthd');
		assert.strictEqual(r.error.name, 'AgauthError');
		assert.strictEqual(r.error.code, 'AGAUTHD_UNREACHABLE');
		assertAdvice(r.error.message, env.sock);
		assert.strictEqual(r.error.cause.code, 'AG_E_CONNECT');

		/* the engine keeps trying (backoff): still one warning */
		await h.sleep(300);
		assert.strictEqual(unreachable().length, 1);

		const d = await h.Daemon.start(env);

		try {
			await h.waitFor(async () => (await outcome(e.ready())).ok,
					{ what: 'ready() once agauthd runs' });
			assert.strictEqual(unreachable().length, 1);
		} finally {
			await e.close();
			await d.stop();
		}
	} finally {
		await e.close();
	}
});
