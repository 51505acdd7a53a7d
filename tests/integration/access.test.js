'use strict';
/*
 * 6. Access rights by SO_PEERCRED: a client running as nobody (uid/gid
 * 65534) against [access] sign = uid:0, verify = *, admin = uid:0.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const NOBODY = 65534;

/* A tiny client, run as another user: does each op and prints
 * {name: {ok, code}} as JSON. */
const CHILD = `
const h = require(process.env.HARNESS);
(async () => {
	const out = { uid: process.getuid(), gid: process.getgid() };
	let c;
	try {
		c = await h.Client.open(process.env.SOCK);
	} catch (e) {
		out.connect = e.code;
		console.log(JSON.stringify(out));
		return;
	}
	for (const [name, op, args] of JSON.parse(process.env.OPS)) {
		const r = await c.call(op, args);
		out[name] = r.ok ? { ok: true } : { ok: false, code: r.code };
	}
	console.log(JSON.stringify(out));
	c.destroy();
})().catch((e) => { console.error(e.stack); process.exit(1); });
`;

function runAs(uid, gid, sock, ops) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['-e', CHILD], {
			uid, gid, cwd: '/',
			env: { PATH: process.env.PATH, HARNESS: h.forOthers().harness, SOCK: sock,
			       OPS: JSON.stringify(ops) },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '', err = '';
		child.stdout.on('data', (d) => { out += d; });
		child.stderr.on('data', (d) => { err += d; });
		const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
		child.on('error', reject);
		child.on('close', (code) => {
			clearTimeout(timer);
			if (code !== 0)
				reject(new Error(`client as uid ${uid} exited ${code}: ${err}`));
			else
				resolve(JSON.parse(out));
		});
	});
}

/* every operation; revoke names a jti no token carries, so that an
 * allowed revoke changes nothing the other requests see */
function opsFor(token) {
	return [
		['ping', 'ping', {}],
		['sign', 'sign', { payload: '{"u":"x"}' }],
		['verify', 'verify', { token }],
		['keys', 'keys', {}],
		['stats', 'stats', {}],
		['reload', 'reload', {}],
		['rotate', 'rotate', {}],
		['revoke', 'revoke', { jti: 'no-such-jti' }],
		['cache', 'cache', {}],
		['metrics', 'metrics', {}],
		['jwks', 'jwks', {}],
		/* refusals do not end the connection */
		['verify again', 'verify', { token }],
		['watch', 'watch', {}],
	];
}

test('unauthorized peers get AG_E_UNAUTHORIZED per operation; root is allowed', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: {
		socket: { mode: '0666' },
		access: { sign: 'uid:0', verify: '*', admin: 'uid:0' },
	} });
	/* the socket is reachable by nobody, the keys are not */
	assert.strictEqual(fs.statSync(env.dir).mode & 0o777, 0o755);
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	assert.strictEqual(fs.statSync(env.sock).mode & 0o777, 0o666, 'socket mode is not [socket] mode');
	const token = jwt.sign({ u: 1 }, env.keys.hs1.secret, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });

	const as = await runAs(NOBODY, NOBODY, env.sock, opsFor(token));
	assert.strictEqual(as.uid, NOBODY);
	const U = { ok: false, code: 'AG_E_UNAUTHORIZED' };
	const OK = { ok: true };
	assert.deepStrictEqual(as, {
		uid: NOBODY, gid: NOBODY, ping: OK, sign: U, verify: OK, keys: OK,
		stats: U, reload: U, rotate: U, revoke: U, cache: OK, metrics: OK, jwks: OK,
		'verify again': OK, watch: OK,
	});

	/* nothing was rotated or reloaded by the refused requests */
	const root = await d.client();
	const st = h.ok(await root.call('stats'));
	assert.strictEqual(st.generation, 1);
	/* the same operations as root succeed */
	for (const [name, op, args] of opsFor(token))
		h.ok(await root.call(op, args), `${name} as root`);
	await h.waitFor(() => /uid 65534 gid 65534 refused sign/.test(d.stderr),
			{ timeout: 5000, what: 'the refusal logged with the peer uid and gid' });
	await d.stop();
});

test('rights by gid: sign = gid:65534, verify = uid:0', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: {
		socket: { mode: '0666' },
		access: { sign: 'gid:65534', verify: 'uid:0', admin: 'uid:0' },
	} });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const token = jwt.sign({ u: 1 }, env.keys.hs1.secret, { algorithm: 'HS256' });
	const as = await runAs(NOBODY, NOBODY, env.sock, opsFor(token));
	const U = { ok: false, code: 'AG_E_UNAUTHORIZED' };
	const OK = { ok: true };
	assert.deepStrictEqual(as, {
		uid: NOBODY, gid: NOBODY, ping: OK, sign: OK, verify: U, keys: U,
		stats: U, reload: U, rotate: U, revoke: OK, cache: U, metrics: U, jwks: U,
		'verify again': U, watch: U,
	});
	const root = await d.client();
	h.ok(await root.call('verify', { token }));
	h.fails(await root.call('sign', { payload: '{}' }), 'AG_E_UNAUTHORIZED', { what: 'root is not gid 65534' });
	await d.stop();
});

test('the socket file mode is the first gate: mode 0600 keeps nobody out', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { socket: { mode: '0600' }, access: { sign: '*', verify: '*', admin: '*' } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	assert.strictEqual(fs.statSync(env.sock).mode & 0o777, 0o600);
	const as = await runAs(NOBODY, NOBODY, env.sock, [['ping', 'ping', {}]]);
	assert.deepStrictEqual(as, { uid: NOBODY, gid: NOBODY, connect: 'EACCES' });
	const root = await d.client();
	h.ok(await root.call('ping'));
	await d.stop();
});

test('[socket] group: mode 0660 and group nogroup let gid 65534 in', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { socket: { mode: '0660', group: 'nogroup' } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const st = fs.statSync(env.sock);
	assert.strictEqual(st.mode & 0o777, 0o660);
	assert.strictEqual(st.gid, NOBODY);
	const as = await runAs(NOBODY, NOBODY, env.sock, [['ping', 'ping', {}], ['sign', 'sign', { payload: '{}' }]]);
	assert.deepStrictEqual(as, { uid: NOBODY, gid: NOBODY, ping: { ok: true }, sign: { ok: true } });
	await d.stop();
});

/* A client run as another user that pipelines `n` requests cycling
 * through `ops`, each reporting the largest cache counts a request may
 * carry, and prints how many replies of each code it got. */
const FLOOD = `
const h = require(process.env.HARNESS);
(async () => {
	const ops = JSON.parse(process.env.OPS), n = Number(process.env.N);
	const c = await h.Client.open(process.env.SOCK);
	const frames = [], codes = {};
	for (let i = 0; i < n; i++) {
		const [op, args] = ops[i % ops.length];
		frames.push(h.frame({ id: 100 + i, op, ch: 4294967295, cm: 4294967295, ...args }));
	}
	c.write(Buffer.concat(frames));
	await h.waitFor(() => c.replies.length >= n, { timeout: 120000, what: n + ' replies' });
	for (const r of c.replies.slice(1))
		codes[r.ok ? 'ok' : r.code] = (codes[r.ok ? 'ok' : r.code] || 0) + 1;
	console.log(JSON.stringify(codes));
	c.destroy();
})().catch((e) => { console.error(e.stack); process.exit(1); });
`;

function floodAs(uid, gid, sock, ops, n) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['-e', FLOOD], {
			uid, gid, cwd: '/',
			env: { PATH: process.env.PATH, HARNESS: h.forOthers().harness, SOCK: sock,
			       OPS: JSON.stringify(ops), N: String(n), AGAUTHD_SLOW: process.env.AGAUTHD_SLOW || '' },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '', err = '';
		child.stdout.on('data', (d) => { out += d; });
		child.stderr.on('data', (d) => { err += d; });
		child.on('error', reject);
		child.on('close', (code) => (code !== 0 ? reject(new Error(`flood as uid ${uid} exited ${code}: ${err}`)) :
					       resolve(JSON.parse(out))));
	});
}

test('a peer without rights moves no counter and cannot flood the log', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: {
		socket: { mode: '0666' },
		access: { sign: 'uid:0', verify: 'uid:0', admin: 'uid:0' },
	} });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const root = await d.client();
	const token = jwt.sign({ u: 1 }, env.keys.hs1.secret, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });
	const counters = async () => {
		const s = h.ok(await root.call('stats'));
		return { hits: s.cache_hits, misses: s.cache_misses };
	};
	assert.deepStrictEqual(await counters(), { hits: 0, misses: 0 });

	/* every request reports 2^32-1 hits and misses: refused ones, and
	 * pings, which anyone may send */
	const N = 6000;
	const ops = [['sign', { payload: '{}' }], ['verify', { token }], ['stats', {}], ['ping', {}],
		     ['revoke', { sub: 'alice' }], ['watch', {}]];
	const t0 = Date.now();
	const codes = await floodAs(NOBODY, NOBODY, env.sock, ops, N);
	const took = (Date.now() - t0) / 1000;
	const refused = N / ops.length * (ops.length - 1);
	assert.deepStrictEqual(codes, { AG_E_UNAUTHORIZED: refused, ok: N / ops.length });
	assert.deepStrictEqual(await counters(), { hits: 0, misses: 0 }, 'a peer without the verify right moved the cache counters');

	/* every refusal is accounted for: written, or counted in a
	 * "suppressed" line (the heartbeat tells what a second held back) */
	const shown = () => d.stderr.split('\n').filter((l) => / uid 65534 gid 65534 refused /.test(l)).length;
	const suppressed = () => d.stderr.split('\n').map((l) => / refused requests: suppressed (\d+) similar messages in [\d.]+ s \(at most 10 a second are logged\)$/.exec(l))
		.filter((m) => m).reduce((a, m) => a + Number(m[1]), 0);
	await h.waitFor(() => shown() + suppressed() === refused,
			{ timeout: 10000, what: `${refused} refusals written or counted (${shown()} + ${suppressed()})` });
	t.diagnostic(`${refused} refusals in ${took.toFixed(1)} s: ${shown()} lines, ${suppressed()} suppressed`);
	assert.ok(shown() <= 10 * (Math.ceil(took) + 2), `${shown()} refusal lines in ${took} s`);
	assert.ok(suppressed() > 0);

	/* a peer that may verify still reports what it counted */
	h.ok(await root.call('ping', { ch: 7, cm: 3 }));
	assert.deepStrictEqual(await counters(), { hits: 7, misses: 3 });
	await d.stop();
});

/* Runs `cmd args` as nobody to completion: {status, stdout, stderr}. */
function runAsNobody(cmd, args, env = {}) {
	const r = spawnSync(cmd, args, {
		uid: NOBODY, gid: NOBODY, cwd: '/', encoding: 'utf8', timeout: h.slow(20000),
		env: { PATH: process.env.PATH, ...env },
	});
	if (r.error)
		throw r.error;
	return r;
}

/* A peer without the sign right, through each client a worker would use:
 * agauthctl (libagauth) and the Node engine (SocketCluster's).  Each is
 * refused, and nothing is signed or revoked for it. */
test('a peer without the sign right can neither sign nor revoke, through agauthctl or the Node engine', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: {
		socket: { mode: '0666' },
		access: { sign: 'uid:0', verify: '*', admin: 'uid:0' },
	} });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const root = await d.client();
	const alice = h.ok(await root.call('sign', { payload: '{"sub":"alice"}' })).token;
	const before = h.ok(await root.call('stats'));

	for (const args of [['sign', '{"u":1}'], ['revoke', '--sub', 'alice'], ['revoke', '--token', alice]]) {
		const r = runAsNobody(h.forOthers().agauthctl, ['--socket', env.sock, '--json', ...args]);
		assert.strictEqual(r.status, 4, `agauthctl ${args[0]} as nobody: exit ${r.status}, ${r.stdout} ${r.stderr}`);
		assert.strictEqual(JSON.parse(r.stdout).code, 'AG_E_UNAUTHORIZED', `agauthctl ${args.join(' ')}: ${r.stdout}`);
	}

	const script = `
		const { AuthEngine } = require(${JSON.stringify(h.forOthers().node)});
		const e = new AuthEngine({ socketPath: ${JSON.stringify(env.sock)} });
		const code = (p) => p.then(() => 'allowed', (err) => err.code || err.message);
		(async () => {
			const out = { sign: await code(e.signToken({ u: 1 })),
				      revoke: await code(e.revoke({ sub: 'alice' })),
				      verify: await code(e.verifyToken(${JSON.stringify(alice)})) };
			await e.close();
			console.log(JSON.stringify(out));
		})();`;
	const r = runAsNobody(process.execPath, ['-e', script]);
	assert.strictEqual(r.status, 0, r.stderr);
	assert.deepStrictEqual(JSON.parse(r.stdout), { sign: 'AG_E_UNAUTHORIZED', revoke: 'AG_E_UNAUTHORIZED', verify: 'allowed' });

	/* nothing was signed for nobody, and alice's token still verifies */
	const after = h.ok(await root.call('stats'));
	assert.strictEqual(after.signs, before.signs, 'a refused sign was counted as signed');
	assert.strictEqual(after.revocations, 0);
	h.ok(await root.call('verify', { token: alice }), 'alice after the refused revocations');
	await h.waitFor(() => (d.stderr.match(/uid 65534 gid 65534 refused sign/g) || []).length >= 2,
			{ timeout: 5000, what: 'the refused signs logged' });
	await d.stop();
});

/*
 * [access] metrics is a right of its own.  A peer that may verify but is
 * not named by metrics is refused the figures through every client
 * (the protocol, agauthctl, the Node engine) and still gets the JWK Set;
 * named by metrics without the verify right, it gets the figures and not
 * the set.
 */
test('[access] metrics: a right of its own, through every client', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const U = { ok: false, code: 'AG_E_UNAUTHORIZED' };
	const OK = { ok: true };
	const cases = [
		[{ verify: '*', metrics: 'uid:0' }, { metrics: U, jwks: OK }, 4, 'AG_E_UNAUTHORIZED'],
		[{ verify: 'uid:0', metrics: 'gid:65534' }, { metrics: OK, jwks: U }, 0, 'allowed'],
	];
	for (const [access, want, ctlStatus, engineGot] of cases) {
		const env = h.setup({ conf: { socket: { mode: '0666' }, access: { sign: 'uid:0', admin: 'uid:0', ...access } } });
		const d = await h.Daemon.start(env);
		t.after(() => d.cleanup());
		const what = JSON.stringify(access);
		const as = await runAs(NOBODY, NOBODY, env.sock, [['metrics', 'metrics', {}], ['jwks', 'jwks', {}]]);
		assert.deepStrictEqual(as, { uid: NOBODY, gid: NOBODY, ...want }, what);

		const r = runAsNobody(h.forOthers().agauthctl, ['--socket', env.sock, '--json', 'metrics']);
		assert.strictEqual(r.status, ctlStatus, `agauthctl metrics as nobody, ${what}: ${r.stdout} ${r.stderr}`);
		if (ctlStatus !== 0)
			assert.strictEqual(JSON.parse(r.stdout).code, 'AG_E_UNAUTHORIZED');
		else
			assert.match(JSON.parse(r.stdout).metrics, /^# HELP agauthd_requests_total /);

		const script = `
			const { AuthEngine } = require(${JSON.stringify(h.forOthers().node)});
			const e = new AuthEngine({ socketPath: ${JSON.stringify(env.sock)} });
			e.metrics().then((text) => typeof text === 'string' ? 'allowed' : 'no text', (err) => err.code || err.message)
				.then((got) => e.close().then(() => console.log(JSON.stringify(got))));`;
		const n = runAsNobody(process.execPath, ['-e', script]);
		assert.strictEqual(n.status, 0, n.stderr);
		assert.strictEqual(JSON.parse(n.stdout), engineGot, `engine.metrics() as nobody, ${what}`);

		/* root is named by neither list here but admin's: refused too
		 * where metrics names only gid 65534 */
		const root = await d.client();
		if (access.metrics === 'uid:0')
			h.ok(await root.call('metrics', {}));
		else
			h.fails(await root.call('metrics', {}), 'AG_E_UNAUTHORIZED', { what: 'root is not gid 65534' });
		await h.waitFor(() => / uid 65534 gid 65534 refused (metrics|jwks)/.test(d.stderr),
				{ timeout: 5000, what: 'the refusal logged' });
		await d.stop();
	}
});
