'use strict';
/*
 * Watchers that never read their revocation events: the memory agauthd
 * holds for them stays bounded ([limits] max_output for one, watch_output
 * for all), the ones that left the most unread are dropped first and
 * told so with a rewatch event, and a watcher that reads loses nothing.
 */
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const net = require('node:net');

const h = require('./harness');

/* A raw connection that says hello, watches, and then reads nothing
 * until resume(): its events pile up in agauthd. */
async function deafWatcher(sock) {
	const s = net.connect(sock);
	await new Promise((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
	s.write(Buffer.concat([h.frame({ id: 1, op: 'hello', v: 1 }), h.frame({ id: 2, op: 'watch' })]));
	return s;
}

/* Everything s has been sent until agauthd closes it, as frames. */
function drain(s) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		s.on('data', (d) => chunks.push(d));
		s.on('error', reject);
		s.on('close', () => {
			const frames = [];
			let b = Buffer.concat(chunks);
			while (b.length >= 4 && b.length >= 4 + b.readUInt32BE(0)) {
				frames.push(h.unpack(b.subarray(4, 4 + b.readUInt32BE(0))));
				b = b.subarray(4 + b.readUInt32BE(0));
			}
			resolve({ frames, left: b.length });
		});
		s.resume();
	});
}

test('watchers that never read: bounded memory, the slowest dropped first with a rewatch event', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const W = 100, REVOKES = 250, JTI = 16000;
	const env = h.setup();
	/* ASan keeps what is freed in quarantine (256 MiB): without it,
	 * VmRSS is the daemon's as in the release build */
	const d = await h.Daemon.start(env, { env: { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=66:' +
							'quarantine_size_mb=0:thread_local_quarantine_size_kb=0' } });
	t.after(() => d.cleanup());
	const admin = await d.client();
	const watchers = async () => h.ok(await admin.call('stats')).watchers;

	/* one watcher that reads, and W that do not */
	const reader = await d.client();
	assert.strictEqual(h.ok(await reader.call('watch')).event, 'watching');
	const deaf = [];
	for (let i = 0; i < W; i++)
		deaf.push(await deafWatcher(env.sock));
	t.after(() => deaf.forEach((s) => s.destroy()));
	await h.waitFor(async () => (await watchers()) === W + 1, { what: `${W + 1} watchers` });
	const rss0 = h.MEMCHECK ? 0 : d.rss();

	/* every revocation is an event of 16 KB for each of them */
	let peak = 0;
	for (let k = 0; k < REVOKES; k++) {
		h.ok(await admin.call('revoke', { jti: `${k}:${'j'.repeat(JTI)}` }), `revoke ${k}`);
		if (!h.MEMCHECK && k % 10 === 0)
			peak = Math.max(peak, d.rss());
	}
	const events = () => reader.strays.filter((m) => m.event === 'revoke').length;
	await h.waitFor(() => events() === REVOKES, { what: `the reader's ${REVOKES} events` });
	if (!h.MEMCHECK) {
		peak = Math.max(peak, d.rss());
		t.diagnostic(`VmRSS ${(rss0 / 1024).toFixed(1)} MiB with ${W + 1} watchers, at most ` +
			     `${(peak / 1024).toFixed(1)} MiB over ${REVOKES} revocations of ${JTI} bytes`);
		/* unbounded, each of them would hold up to 3 MiB */
		assert.ok(peak - rss0 < 48 * 1024, `VmRSS grew from ${rss0} to ${peak} KiB`);
	}

	/* the reader lost nothing and still watches; the deaf ones were
	 * dropped, and the log says so (rate-limited) */
	assert.deepStrictEqual(reader.strays.filter((m) => m.event === 'revoke').map((m) => m.value.split(':')[0]),
			       Array.from({ length: REVOKES }, (_, k) => String(k)));
	assert.strictEqual(await watchers(), 1);
	assert.match(d.stderr, /conn \d+ \(uid \d+ pid \d+\) dropped as a watcher and told to watch again: it left \d+ bytes of revocation events unread/);

	/* a dropped watcher that reads at last: its hello and watch replies,
	 * the events it had begun to read, the rewatch event, the end */
	const { frames, left } = await drain(deaf[0]);
	assert.strictEqual(left, 0, 'a frame cut short');
	assert.deepStrictEqual(frames.slice(0, 2).map((f) => [f.id, f.ok, f.event]), [[1, true, undefined], [2, true, 'watching']]);
	const last = frames[frames.length - 1];
	assert.deepStrictEqual({ id: last.id, ok: last.ok, event: last.event }, { id: 2, ok: true, event: 'rewatch' });
	assert.match(last.message, /watch again and re-check what you hold/);
	const got = frames.slice(2, -1);
	assert.ok(got.every((f) => f.id === 2 && f.event === 'revoke'), 'only events before the rewatch');
	assert.ok(got.length < REVOKES, `${got.length} events kept for a watcher that never read`);
	assert.deepStrictEqual(got.map((f) => f.value.split(':')[0]), Array.from({ length: got.length }, (_, k) => String(k)),
			       'the events it kept are the first ones, in order');

	/* the reader goes on */
	h.ok(await admin.call('revoke', { sub: 'after' }));
	await h.waitFor(() => events() === REVOKES + 1, { what: 'the next event' });
	await d.stop();
});

test('watch_output bounds all watchers together: the one that left the most goes first', { timeout: h.TEST_TIMEOUT }, async (t) => {
	/* a small budget for all, a large one for each: two deaf watchers,
	 * one of which has read a little (it is the less slow) */
	const env = h.setup({ conf: { limits: { watch_output: 262144, max_output: 1 << 24 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const admin = await d.client();
	const a = await deafWatcher(env.sock);
	const b = await deafWatcher(env.sock);
	t.after(() => { a.destroy(); b.destroy(); });
	await h.waitFor(async () => h.ok(await admin.call('stats')).watchers === 2, { what: 'two watchers' });
	/* b reads its first 40 events, then stops */
	let bRead = 0;
	const bChunks = [];
	b.on('data', (x) => { bChunks.push(x); bRead += x.length; if (bRead > 40 * 16100) b.pause(); });
	const revokeUntil = async (cond, what) => {
		for (let k = 0; !(await cond()); k++) {
			assert.ok(k < 2000, `no ${what} after ${k} revocations`);
			h.ok(await admin.call('revoke', { jti: `${k}:${'j'.repeat(16000)}` }));
		}
	};
	await revokeUntil(async () => h.ok(await admin.call('stats')).watchers < 2, 'watcher dropped');
	const { frames } = await drain(a);
	assert.strictEqual(frames[frames.length - 1].event, 'rewatch', 'the watcher that read nothing went first');
	assert.strictEqual(h.ok(await admin.call('stats')).watchers, 1);
	assert.match(d.stderr, /watch_output = 262144/);
	await d.stop();
});

test('agauthctl watch that stops reading: dropped, told why, exit 69', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { max_output: 65536 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const admin = await d.client();
	const watchers = async () => h.ok(await admin.call('stats')).watchers;
	/* its standard output is not read: once the pipe is full, agauthctl
	 * blocks and reads nothing from agauthd */
	const w = spawn(h.AGAUTHCTL, ['--socket', env.sock, '--json', 'watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
	t.after(() => w.kill('SIGKILL'));
	w.stdout.pause();
	let err = '';
	w.stderr.on('data', (x) => { err += x; });
	await h.waitFor(async () => (await watchers()) === 1, { what: 'agauthctl watching' });
	for (let k = 0; (await watchers()) > 0; k++) {
		assert.ok(k < 2000, 'never dropped');
		h.ok(await admin.call('revoke', { jti: `${k}:${'j'.repeat(16000)}` }));
	}
	const out = [];
	w.stdout.on('data', (x) => out.push(x));
	w.stdout.resume();
	const [code] = await h.within(new Promise((r) => w.on('close', (c, sig) => r([c, sig]))), 20000, 'agauthctl exit');
	assert.strictEqual(code, 69, err);
	const lines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
	const last = lines.pop();
	assert.ok(lines.length > 0 && lines.every((l) => l.event === 'revoke'), 'the events it had read come first');
	assert.deepStrictEqual({ ok: last.ok, code: last.code, name: last.name }, { ok: false, code: 'AG_E_REWATCH', name: 'AgauthError' });
	assert.match(last.message, /^agauthd dropped this watch: its events went unread/);
	/* --json: the error is on stdout alone (man agauthctl) */
	assert.strictEqual(err, '');
	await d.stop();
});
