'use strict';
/*
 * 12. systemd socket activation: the listening socket arrives as fd 3 with
 * LISTEN_FDS=1 and LISTEN_PID = the daemon's pid.  A python3 helper plays
 * systemd: binds and listens, moves the socket to fd 3, sets the variables
 * for its own pid and execs agauthd (so the pid stays the same).
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

test('socket activation: agauthd serves on the socket it was handed as fd 3', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* the configured path is not the activated socket: nothing may
	 * appear there */
	const env = h.setup({ conf: { socket: { path: 'configured.sock' } } });
	const configured = path.join(env.dir, 'configured.sock');
	const activated = path.join(env.dir, 'activated.sock');
	const d = new h.Daemon({ ...env, sock: activated });
	t.after(() => d.cleanup());
	await d.spawn({ argv: ['python3', '-c', h.ACTIVATE, activated, h.AGAUTHD, '-c', env.conf] });
	await h.waitFor(() => /agauthd ready/.test(d.stderr), { timeout: 5000, what: 'the ready line' });
	assert.match(d.stderr, /listening on the socket systemd passed/);
	assert.ok(!fs.existsSync(configured), 'agauthd made its own socket as well');

	const c = await d.client();
	const s = h.ok(await c.call('sign', { payload: '{"via":"systemd"}' }));
	assert.strictEqual(h.payloadOf(h.ok(await c.call('verify', { token: s.token }))).via, 'systemd');
	/* the helper's pid is agauthd's pid: it exec'd */
	assert.match(fs.readFileSync(`/proc/${d.pid}/cmdline`, 'utf8'), /agauthd/);
	await d.stop();
	/* systemd's socket is systemd's: agauthd does not unlink it */
	assert.ok(fs.lstatSync(activated).isSocket());
	assert.ok(!fs.existsSync(configured));
});

test('LISTEN_PID of another process: the socket is not taken, agauthd listens itself', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const activated = path.join(env.dir, 'activated.sock');
	const d = new h.Daemon(env);
	t.after(() => d.cleanup());
	const helper = h.ACTIVATE.replace("str(os.getpid())", "'1'");
	await d.spawn({ argv: ['python3', '-c', helper, activated, h.AGAUTHD, '-c', env.conf] });
	await h.waitFor(() => /agauthd ready/.test(d.stderr), { timeout: 5000, what: 'the ready line' });
	assert.match(d.stderr, /listening on .*agauthd\.sock/);
	assert.doesNotMatch(d.stderr, /socket systemd passed/);
	const c = await d.client();
	h.ok(await c.call('ping'));
	await d.stop();
});
