'use strict';
/* 1. The handshake: hello must come first, with version 1. */
const test = require('node:test');
const assert = require('node:assert');

const h = require('./harness');

test('handshake', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { max_frame: 32768, max_inflight: 77 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());

	await t.test('a request before hello gets AG_E_HELLO and the connection closes', async () => {
		for (const op of ['ping', 'sign', 'stats', 'nosuchop']) {
			const c = await d.connect();
			const r = await c.send({ id: 7, op, payload: '{}' });
			h.fails(r, 'AG_E_HELLO', { what: `${op} before hello` });
			assert.strictEqual(r.id, 7);
			assert.ok(await c.waitClosed(5000), `connection still open after ${op} before hello`);
		}
	});

	await t.test('a malformed request before hello also gets AG_E_HELLO and is hung up on', async () => {
		/* "anything else first gets AG_E_HELLO and the connection is
		 * closed" (docs/protocol.md): a client may not send requests
		 * without ever saying hello, well-formed or not */
		for (const req of [{ id: 'x', op: 'ping' }, { op: 'ping' }, { id: 3, op: 5 },
				   { id: 'x', op: 'hello', v: 1 }]) {
			const c = await d.connect();
			/* the bad request and a hello behind it, in one write: only
			 * the first may be answered */
			c.write(Buffer.concat([h.frame(req), h.frame({ id: 99, op: 'hello', v: 1 })]));
			assert.ok(await c.waitClosed(5000), `open after ${JSON.stringify(req)} before hello`);
			assert.strictEqual(c.replies.length, 1, `replies: ${JSON.stringify(c.replies)}`);
			h.fails(c.replies[0], 'AG_E_HELLO', { what: `${JSON.stringify(req)} before hello` });
			assert.strictEqual(c.replies[0].id, req.id === 3 ? 3 : 0);
		}
	});

	await t.test('hello with v:2 (or without v) gets AG_E_HELLO and the connection closes', async () => {
		for (const req of [{ op: 'hello', v: 2 }, { op: 'hello', v: 0 }, { op: 'hello' },
				   { op: 'hello', v: '1' }]) {
			const c = await d.connect();
			const r = await c.send(req);
			h.fails(r, 'AG_E_HELLO', { what: JSON.stringify(req) });
			assert.ok(await c.waitClosed(5000), `open after ${JSON.stringify(req)}`);
		}
	});

	await t.test('hello returns v, server, max_frame and max_inflight as configured', async () => {
		const c = await d.connect();
		const r = h.ok(await c.call('hello', { v: 1, client: 'handshake-test' }));
		assert.strictEqual(r.v, 1);
		assert.strictEqual(typeof r.server, 'string');
		assert.match(r.server, /^agauthd /);
		assert.strictEqual(r.max_frame, 32768);
		assert.strictEqual(r.max_inflight, 77);
		/* and the connection is now usable */
		h.ok(await c.call('ping'));
		h.ok(await c.call('sign', { payload: '{"u":1}' }));
		c.destroy();
	});

	await d.stop();
});
