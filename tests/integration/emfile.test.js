'use strict';
/* Out of file descriptors: agauthd sheds connections it cannot take
 * without spinning, and serves again once descriptors free up. */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');

const h = require('./harness');

/* user + system CPU seconds of a process */
function cpu(pid) {
	const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	return (Number(f[11]) + Number(f[12])) / 100;
}

test('EMFILE: no busy loop, connections shed, service resumes', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	/* prlimit execs the daemon in place: same pid, 64 descriptors */
	const d = await h.Daemon.start(env, {
		argv: ['prlimit', '--nofile=64:64', h.AGAUTHD, '-c', env.conf] });
	t.after(() => d.cleanup());
	const admin = await d.client();

	/* far more connections than descriptors: the kernel queues them,
	 * the daemon cannot accept them all */
	const conns = [];
	for (let i = 0; i < 120; i++)
		conns.push(await h.Client.connect(env.sock).catch(() => null));
	const before = cpu(d.pid);
	await new Promise((r) => setTimeout(r, 2000));
	const used = cpu(d.pid) - before;
	/* a loop spinning on EMFILE would burn the whole 2 s */
	assert.ok(used < 0.6, `daemon used ${used.toFixed(2)} s of CPU in 2 s at EMFILE`);
	assert.ok(d.alive, 'daemon alive');
	assert.match(d.stderr, /out of file descriptors/);

	/* the admin connection, accepted before the flood, still works */
	h.ok(await admin.call('ping'));

	/* free descriptors: new clients are served again */
	for (const c of conns)
		if (c)
			c.destroy();
	await h.waitFor(async () => {
		try {
			const c = await d.client();
			h.ok(await c.call('ping'));
			return true;
		} catch (e) {
			return false;
		}
	}, { timeout: 15000, what: 'a new client served after the flood' });
	await d.stop();
});
