'use strict';
/*
 * attach.test.js - the addon's cache attach against a peer that is not
 * agauthd (attacks on the bytes the addon reads itself): a reply length
 * no frame can have, replies that never end, a cache reply without its
 * descriptor, no answer, and a refusal.  Each leaves the engine detached
 * with the reason in its cache's lastError, every verify going to the
 * daemon, and the process whole.
 */
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const path = require('node:path');

const { h, PKG, engine } = require('./helpers');

const { encodeFrame, FrameReader } = require(path.join(PKG, 'lib', 'frames'));
const { DETACHED } = require(path.join(PKG, 'lib', 'cache'));

const INSTANCE = 7;

/*
 * A fake agauthd at a new socket: the engine's own connection gets a
 * hello naming cache INSTANCE (so the engine attaches); the addon's
 * (its hello's client ends in " cache") gets attack(sock, requests).
 */
async function fakeDaemon(t, attack) {
	const sock = path.join(h.tmpdir('node'), 'fake.sock');
	const server = net.createServer((c) => {
		let attacked = false;
		const reader = new FrameReader((m) => {
			if (m.op === 'hello' && !/ cache$/.test(m.client))
				c.write(encodeFrame({ id: m.id, ok: true, v: 1, server: 'fake',
						      max_frame: 65536, max_inflight: 256,
						      cache: INSTANCE }));
			else if (m.op === 'cache' && !attacked) {
				attacked = true;
				attack(c);
			}
		});

		c.on('data', (b) => reader.push(b));
		c.on('error', () => {});
	});

	await new Promise((resolve) => server.listen(sock, resolve));
	t.after(() => new Promise((resolve) => server.close(resolve)));
	return { sock, server };
}

function helloOk(c) {
	c.write(encodeFrame({ id: 1, ok: true, v: 1, server: 'fake', max_frame: 65536,
			      max_inflight: 256, cache: INSTANCE }));
}

/* The engine on the fake daemon once its attach has failed: why. */
async function attachFailure(t, attack, opts = {}) {
	const f = await fakeDaemon(t, attack);
	const e = engine({ env: { sock: f.sock } }, opts);

	return h.waitFor(() => {
		const err = e.cache.lastError;

		if (!err)
			return null;
		assert.strictEqual(e.cacheAttached, false);
		assert.strictEqual(e.cache.lookup('a.b.c', null, true), DETACHED);
		return err;
	}, { what: 'the cache attach to fail' });
}

test('a reply length no frame can have: refused, nothing allocated for it', async (t) => {
	const err = await attachFailure(t, (c) => {
		const b = Buffer.alloc(64, 0x41);

		b.writeUInt32BE(0xffffffff, 0);
		c.write(b);
	});

	assert.strictEqual(err.code, 'AG_E_PROTOCOL');
	assert.match(err.message, /frame of 4294967295 bytes/);
});

test('replies that never end: refused at the exchange\'s bound', async (t) => {
	const err = await attachFailure(t, (c) => {
		helloOk(c);
		const b = Buffer.alloc(8192, 0x41);

		b.writeUInt32BE(60000, 0);
		c.write(b);
	});

	assert.strictEqual(err.code, 'AG_E_PROTOCOL');
	assert.match(err.message, /replies to hello and cache over 4096 bytes/);
});

test('a cache reply without its descriptor: refused', async (t) => {
	const err = await attachFailure(t, (c) => {
		helloOk(c);
		c.write(encodeFrame({ id: 2, ok: true, cache: INSTANCE, bytes: 4096 }));
	});

	assert.strictEqual(err.code, 'AG_E_PROTOCOL');
	assert.match(err.message, /came without its descriptor/);
});

test('no answer: the attach gives up after its timeout', async (t) => {
	const err = await attachFailure(t, () => {}, { timeout: 300 });

	assert.strictEqual(err.code, 'AG_E_DISCONNECTED');
	assert.match(err.message, /did not answer the cache attach within 300 ms/);
});

test('a refusal is agauthd\'s word, as it sent it', async (t) => {
	const err = await attachFailure(t, (c) => {
		helloOk(c);
		c.write(encodeFrame({ id: 2, ok: false, code: 'AG_E_UNAUTHORIZED',
				      name: 'AgauthError', message: 'uid 1234 may not verify' }));
	});

	assert.deepStrictEqual(err, { code: 'AG_E_UNAUTHORIZED', name: 'AgauthError',
				      message: 'uid 1234 may not verify' });
});
