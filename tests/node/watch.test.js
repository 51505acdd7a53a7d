'use strict';
/*
 * watch.test.js - revoke() and the Watcher: events for every kind, from
 * any client; a restart ('disconnect', 'reconnect', 'rewatch', then
 * events again); a watcher agauthd drops for not reading; a watch
 * agauthd refuses; bad arguments.
 */
const test = require('node:test');
const assert = require('node:assert');
const { once } = require('node:events');

const { h, daemon, engine, outcome } = require('./helpers');

/* w's next 'watching', within 10 s.  Asked for before anything else is
 * awaited: an event emitted while the test awaited something else is
 * never seen (a hang, seen under load with Node 22). */
const watching = (w) => h.within(once(w, 'watching'), 10000, '"watching"');

/* The next `n` 'revoke' events of w. */
function events(w, n) {
	return new Promise((resolve) => {
		const got = [];
		const on = (ev) => {
			got.push(ev);
			if (got.length === n) {
				w.off('revoke', on);
				resolve(got);
			}
		};

		w.on('revoke', on);
	});
}

test('revoke by sub, jti and token: the watcher sees each', async () => {
	const d = await daemon();
	const e = engine(d);
	const w = e.watch();
	const up = watching(w);

	assert.strictEqual(e.watch(), w, 'one watcher per engine');
	await up;
	assert.strictEqual(w.watching, true);
	const t = await e.signToken({ sub: 'x', jti: 'j1' });
	const seen = events(w, 4);
	const t0 = Date.now();
	const results = [await e.revoke({ sub: 'alice' }), await e.revoke({ jti: 'j1' }),
			 await e.revoke({ token: t })];

	/* another client's revocation too */
	h.ok(await (await d.client()).call('revoke', { sub: 'bob' }));
	const got = await h.within(seen, 5000, 'four events');

	assert.deepStrictEqual(got.map((ev) => [ev.kind, ev.value]),
			       [['subject', 'alice'], ['jti', 'j1'], ['token', t], ['subject', 'bob']]);
	for (const ev of got) {
		assert.ok(ev.at instanceof Date);
		assert.ok(Math.abs(ev.at.getTime() - t0) < 10000);
	}
	for (const r of results) {
		assert.strictEqual(typeof r.purged, 'number');
		assert.ok(r.at instanceof Date);
	}
	assert.strictEqual((await outcome(e.verifyToken(t))).error.message, 'jwt revoked');
	/* a closed watcher is replaced by the next watch() */
	await w.close();
	assert.strictEqual(w.closed, true);
	const w2 = e.watch();

	assert.notStrictEqual(w2, w);
	await watching(w2);
	await d.stop();
});

test('after a restart: disconnect, reconnect, rewatch, and events again', async () => {
	const d = await daemon();
	const e = engine(d);
	const w = e.watch();
	const log = [];

	for (const ev of ['watching', 'disconnect', 'reconnect', 'rewatch'])
		w.on(ev, () => log.push(ev));
	await watching(w);
	await d.stop();
	await h.waitFor(() => log.includes('disconnect'), { what: '"disconnect"' });
	await d.spawn();
	await h.waitFor(() => log.includes('rewatch'), { what: '"rewatch"' });
	assert.deepStrictEqual(log, ['watching', 'disconnect', 'reconnect', 'watching', 'rewatch']);
	const seen = events(w, 1);

	await e.revoke({ jti: 'after' });
	assert.deepStrictEqual((await h.within(seen, 5000, 'an event')).map((x) => x.value), ['after']);
	await d.stop();
});

test('a watcher that stops reading: agauthd drops it (AG_E_REWATCH), it watches again', async () => {
	const d = await daemon({ conf: { limits: { max_output: 65536 } } });
	const admin = await d.client();
	const e = engine(d);
	const w = e.watch();
	const up = watching(w);
	const watchers = async () => h.ok(await admin.call('stats')).watchers;
	const log = [];
	let dropped;

	for (const ev of ['watching', 'reconnect', 'rewatch'])
		w.on(ev, () => log.push(ev));
	w.on('disconnect', (err) => { log.push('disconnect'); dropped = err; });
	w.on('revoke', () => { if (log[log.length - 1] !== 'revoke') log.push('revoke'); });
	await up;
	/* the application stalls: nothing is read from agauthd */
	w.conn.sock.pause();
	for (let k = 0; (await watchers()) > 0; k++) {
		assert.ok(k < 1000, 'never dropped');
		h.ok(await admin.call('revoke', { jti: `${k}:${'j'.repeat(16000)}` }));
	}
	w.conn.sock.resume();
	await h.waitFor(() => log.includes('rewatch'), { what: '"rewatch"' });
	assert.deepStrictEqual(log, ['watching', 'revoke', 'disconnect', 'reconnect', 'watching', 'rewatch']);
	assert.strictEqual(dropped.code, 'AG_E_REWATCH');
	assert.match(dropped.message, /dropped this watch.*watch again and re-check what you hold/);
	const seen = events(w, 1);

	h.ok(await admin.call('revoke', { sub: 'after' }));
	assert.deepStrictEqual((await h.within(seen, 5000, 'an event')).map((x) => x.value), ['after']);
	await d.stop();
});

test('a watch agauthd refuses: an error event, and no events', async () => {
	const d = await daemon({ conf: { access: { verify: 'uid:4242' } } });
	const e = engine(d);
	const w = e.watch();
	const [err] = await h.within(once(w, 'error'), 10000, 'an error event');

	assert.strictEqual(err.name, 'AgauthError');
	assert.strictEqual(err.code, 'AG_E_UNAUTHORIZED');
	assert.strictEqual(w.watching, false);
	await e.close();
	await d.stop();
});

test('revoke needs exactly one of sub, jti, token, as a string', async () => {
	const d = await daemon();
	const e = engine(d);

	for (const bad of [undefined, null, {}, { sub: 'a', jti: 'b' }, { sub: 5 },
			   { token: null }, { user: 'x' }]) {
		const r = await outcome(e.revoke(bad));

		assert.ok(r.error instanceof TypeError, JSON.stringify(bad));
	}
	await d.stop();
});
