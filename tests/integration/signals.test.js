'use strict';
/*
 * A supervisor that stops agauthd the moment its socket appears (systemd
 * on a quick restart, a test harness): the daemon may still be starting,
 * but a SIGTERM then is an orderly stop with status 0, never a death by
 * the signal's default action (its handlers are in place before the
 * socket listens).
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');

const h = require('./harness');

test('SIGTERM as soon as the socket exists: an orderly stop, status 0', { timeout: h.TEST_TIMEOUT }, async () => {
	const env = h.setup();
	for (let i = 0; i < 20; i++) {
		const d = new h.Daemon(env);
		await d.spawn({ wait: false });
		/* spin until the socket file is there, then stop at once */
		const until = Date.now() + h.slow(15000);
		while (!fs.existsSync(env.sock) && d.alive && Date.now() < until)
			;
		assert.ok(fs.existsSync(env.sock), `round ${i}: no socket:\n${d.stderr}`);
		await d.stop();
	}
});
