'use strict';
/*
 * 9. kill -9 while clients pipeline verifies, then restart on the same
 * directory: no wrong answers before the crash, keys persisted after it,
 * and the socket file handled (stale: removed; live: left alone).
 */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

test('SIGKILL under load, restart on the same directory', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ keys: [
		{ name: 'hs1', type: 'hs256', state: 'primary' },
		{ name: 'rs1', type: 'rsa2048', state: 'verify' },
	] });
	let d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const admin = await d.client();

	/* the requests and the one right answer to each */
	const cases = [];
	for (let i = 0; i < 8; i++) {
		const tok = h.ok(await admin.call('sign', { payload: JSON.stringify({ i }), opts: '{"expiresIn":"1h"}' })).token;
		cases.push({ token: tok, i, kid: 'hs1' });
	}
	for (let i = 8; i < 12; i++)
		cases.push({ token: jwt.sign({ i }, env.keys.rs1.pem, { algorithm: 'RS256', keyid: 'rs1', expiresIn: '1h' }), i, kid: 'rs1' });
	const expired = jwt.sign({ i: -1, exp: Math.floor(Date.now() / 1000) - 60 }, env.keys.hs1.secret, { algorithm: 'HS256' });
	cases.push({ token: expired, code: 'AG_E_EXPIRED' });
	const [hd, , sig] = cases[0].token.split('.');
	cases.push({ token: `${hd}.${Buffer.from('{"i":0,"admin":true}').toString('base64url')}.${sig}`, code: 'AG_E_BAD_SIGNATURE' });
	/* a rotation before the crash: its key must survive it */
	const rot = h.ok(await admin.call('rotate'));
	const rotTok = h.ok(await admin.call('sign', { payload: '{"i":99}', opts: '{"expiresIn":"1h"}' })).token;
	cases.push({ token: rotTok, i: 99, kid: rot.kid });

	const check = (cs, r) => {
		if (cs.code)
			return r.ok === false && r.code === cs.code;
		return r.ok === true && r.kid === cs.kid && h.payloadOf(r).i === cs.i;
	};

	const stats = { right: 0, wrong: [], closed: 0, other: [], strays: [] };
	const deadline = Date.now() + 30000;
	const worker = async (w) => {
		const c = await h.Client.open(env.sock);
		for (let round = 0; !c.isClosed && Date.now() < deadline && round < 100000; round++) {
			const batch = [];
			for (let k = 0; k < 32; k++) {
				const cs = cases[(round * 32 + k + w) % cases.length];
				batch.push(c.call('verify', { token: cs.token }).then(
					(r) => { if (check(cs, r)) stats.right++; else stats.wrong.push({ cs, r }); },
					(e) => { if (e.code === 'ECLOSED') stats.closed++; else stats.other.push(e.message); }));
			}
			await Promise.all(batch);
		}
		assert.ok(await c.waitClosed(10000), `worker ${w}: connection open after the daemon died`);
		stats.strays.push(...c.strays, ...c.unclaimed);
	};
	const workers = [0, 1, 2, 3].map(worker);
	await h.waitFor(() => stats.right >= 2000 || stats.wrong.length || stats.other.length,
			{ timeout: 20000, what: '2000 answers before the kill' });
	d.signal('SIGKILL');
	const ex = await d.waitExit(10000);
	assert.deepStrictEqual(ex, { code: null, signal: 'SIGKILL' });
	d.assertClean();
	await Promise.all(workers);

	assert.deepStrictEqual(stats.wrong, [], 'wrong answers');
	assert.deepStrictEqual(stats.other, [], 'requests that neither got an answer nor saw the close');
	assert.deepStrictEqual(stats.strays, [], 'replies to ids never sent');
	t.diagnostic(`${stats.right} right answers, ${stats.closed} requests in flight at the kill`);

	/* the dead daemon's socket file is still there: the new one replaces it */
	assert.ok(fs.lstatSync(env.sock).isSocket(), 'no stale socket file after SIGKILL');
	d = await h.Daemon.start(env);
	assert.doesNotMatch(d.stderr, /another agauthd/);
	const c = await d.client();
	for (const cs of cases)
		assert.ok(check(cs, await c.call('verify', { token: cs.token })), `after restart: ${JSON.stringify(cs)}`);
	/* the rotated key is still primary */
	assert.strictEqual(h.ok(await c.call('sign', { payload: '{}' })).kid, rot.kid);

	/* a second daemon on the same directory refuses to start at its
	 * lock and leaves the live one alone; so does one with a state
	 * directory of its own on the same socket, before it reads or
	 * writes anything in that directory */
	const own = h.setup({ conf: { socket: { path: env.sock } } });
	const refusals = [[env, new RegExp(`agauthd\\.lock: locked by process ${d.pid}: another agauthd`)],
			  [own, /another agauthd is listening there/]];
	for (const [e, why] of refusals) {
		const second = await h.Daemon.start(e, { wait: false });
		const ex2 = await second.waitExit(15000);
		assert.strictEqual(ex2.code, 78, `a second agauthd on a live socket: ${JSON.stringify(ex2)}\n${second.stderr}`);
		assert.match(second.stderr, why);
		second.assertClean();
		assert.ok(fs.lstatSync(env.sock).isSocket(), 'the refused daemon removed the live socket');
	}
	for (const f of ['revocations', 'agauthd.running'])
		assert.ok(!fs.existsSync(path.join(own.dir, f)), `the refused daemon made ${f}`);
	const c2 = await h.Client.open(env.sock);
	h.ok(await c2.call('verify', { token: rotTok }));
	c2.destroy();

	/* a path that is not a socket is never removed */
	const other = h.setup({ conf: { socket: { path: path.join(env.dir, 'not-a-socket') } } });
	fs.writeFileSync(other.sock, 'precious');
	const third = await h.Daemon.start(other, { wait: false });
	const ex3 = await third.waitExit(15000);
	assert.notStrictEqual(ex3.code, 0);
	assert.match(third.stderr, /exists and is not a socket/);
	assert.strictEqual(fs.readFileSync(other.sock, 'utf8'), 'precious');

	h.ok(await c.call('ping'));
	await d.stop();
	assert.ok(!fs.existsSync(env.sock), 'socket file left after a clean stop');
});

test('SIGINT stops the daemon cleanly too', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup();
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const c = await d.client();
	h.ok(await c.call('ping'));
	d.signal('SIGINT');
	assert.deepStrictEqual(await d.waitExit(10000), { code: 0, signal: null });
	d.assertClean();
	assert.ok(await c.waitClosed(5000));
	assert.ok(!fs.existsSync(env.sock), 'socket file left after SIGINT');
});
