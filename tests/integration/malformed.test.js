'use strict';
/*
 * 4. Malformed frames, each on its own connection; after each, a separate
 * healthy client must still be served and the daemon must be alive.
 */
const test = require('node:test');
const assert = require('node:assert');

const jwt = require('jsonwebtoken');

const h = require('./harness');

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/* {"id": 1, "op": "ping", "x": <item>} with the raw item bytes */
const withItem = (item) => Buffer.concat([hex('83 a2 6964 01 a2 6f70 a4 70696e67 a1 78'), item]);

test('malformed frames', { timeout: h.TEST_TIMEOUT }, async (t) => {
	const env = h.setup({ conf: { limits: { frame_timeout: 2 } } });
	const d = await h.Daemon.start(env);
	t.after(() => d.cleanup());
	const secret = env.keys.hs1.secret;
	const good = jwt.sign({ u: 'healthy' }, secret, { algorithm: 'HS256', keyid: 'hs1', expiresIn: '1h' });

	/* a separate, healthy client is served and the daemon lives */
	async function healthy(what) {
		assert.ok(d.alive, `agauthd died after ${what}:\n${d.stderr.slice(-3000)}`);
		const c = await h.Client.open(env.sock);
		const s = h.ok(await c.call('sign', { payload: '{"ok":1}' }), `sign after ${what}`);
		const v = h.ok(await c.call('verify', { token: s.token }), `verify after ${what}`);
		assert.strictEqual(h.payloadOf(v).ok, 1);
		h.ok(await c.call('verify', { token: good }), `verify after ${what}`);
		c.destroy();
		d.assertClean();
	}

	/* sends bytes on a fresh connection (after hello unless raw), expects
	 * one error reply with code and then the connection closed */
	async function refused(bytes, code, what, { hello = true } = {}) {
		const c = hello ? await h.Client.open(env.sock) : await h.Client.connect(env.sock);
		c.write(bytes);
		const r = await c.nextFrame(5000);
		assert.ok(r, `${what}: closed without a reply`);
		h.fails(r, code, { what });
		assert.strictEqual(r.id, 0);
		assert.ok(await c.waitClosed(5000), `${what}: connection still open`);
		c.destroy();
		await healthy(what);
	}

	await t.test('frame length 0: AG_E_FRAME_TOO_LARGE, closed', async () => {
		await refused(h.rawFrame(0), 'AG_E_FRAME_TOO_LARGE', 'length 0');
		await refused(h.rawFrame(0), 'AG_E_FRAME_TOO_LARGE', 'length 0 before hello', { hello: false });
	});

	await t.test('frame length over max_frame: AG_E_FRAME_TOO_LARGE, closed', async () => {
		await refused(h.rawFrame(65537, Buffer.alloc(100)), 'AG_E_FRAME_TOO_LARGE', 'length 65537');
		await refused(h.rawFrame(0xffffffff, Buffer.alloc(10)), 'AG_E_FRAME_TOO_LARGE', 'length 2^32-1');
		await refused(h.rawFrame(0x80000000), 'AG_E_FRAME_TOO_LARGE', 'length 2^31', { hello: false });
	});

	await t.test('a length that lies (1000 announced, 10 sent) is closed after frame_timeout', async (t) => {
		const c = await h.Client.open(env.sock);
		const t0 = Date.now();
		c.write(h.rawFrame(1000, Buffer.alloc(10, 0x80)));
		assert.ok(await c.waitClosed(8000), 'a stalled partial frame was not closed within 8 s (frame_timeout 2)');
		const took = Date.now() - t0;
		t.diagnostic(`stalled frame closed after ${took} ms`);
		assert.ok(took >= 1500, `closed after ${took} ms, before frame_timeout`);
		assert.strictEqual(c.replies.length, 1, 'a reply to a frame never completed');
		await healthy('a stalled frame');
	});

	await t.test('count and length bombs: AG_E_BAD_FRAME, closed, RSS stays small', async (t) => {
		/* warm up the allocator, then measure around the bombs */
		for (let i = 0; i < 3; i++)
			await healthy('warm-up');
		const rss0 = d.rss();
		const bombs = {
			'array32 dd ff ff ff ff': hex('dd ffffffff'),
			'map32 df ff ff ff ff': hex('df ffffffff'),
			'str32 of length 2^32-1': hex('db ffffffff 616263'),
			'bin32 of length 2^32-1': hex('c6 ffffffff 010203'),
			'ext32 of length 2^32-1': hex('c9 ffffffff 01 0203'),
			'map16 of 65535 entries in a few bytes': hex('de ffff a161 01 a162 02'),
			'array16 of 65535 entries in a few bytes': hex('dc ffff 01 02 03'),
			'100 levels of fixarray': Buffer.concat([Buffer.alloc(100, 0x91), hex('c0')]),
			/* the depth limit is 8 */
			'9 levels of fixmap': Buffer.concat([Buffer.from('81a17a'.repeat(9), 'hex'), hex('c0')]),
		};
		/* the 16-bit counts would cost msgpack-c 1.5 to 3 MiB each if they
		 * reached it: three rounds make that show (ASan's quarantine keeps
		 * freed memory resident; for scale, twelve legitimate 64 KiB frames
		 * each holding an array of 65,280 nils grow it by about 24 MiB) */
		for (let round = 0; round < 3; round++) {
			for (const [name, item] of Object.entries(bombs)) {
				if (round > 0 && !/16/.test(name))
					continue;
				/* the bomb as the whole body, and inside a request map */
				await refused(h.frame(item), 'AG_E_BAD_FRAME', `${name} (body)`);
				await refused(h.frame(withItem(item)), 'AG_E_BAD_FRAME', `${name} (in a request)`);
			}
		}
		const grew = d.rss() - rss0;
		t.diagnostic(`VmRSS ${rss0} KiB before the bombs, grew by ${grew} KiB`);
		/* under valgrind, VmRSS is valgrind's */
		if (!h.MEMCHECK)
			assert.ok(grew < 8 * 1024, `VmRSS grew by ${grew} KiB over the bombs`);
	});

	await t.test('nesting: 8 levels are served, 9 are refused', async () => {
		const nest = (n) => Buffer.concat([Buffer.from('81a17a'.repeat(n), 'hex'), hex('c0')]);
		const c = await h.Client.open(env.sock);
		/* the request map and 7 maps inside it */
		h.ok(await c.sendFrame(h.frame(withItem(nest(7))), 1), '8 levels of maps');
		assert.strictEqual(c.isClosed, false);
		c.destroy();
		await refused(h.frame(withItem(nest(8))), 'AG_E_BAD_FRAME', '9 levels of maps');
	});

	await t.test('a body that is not a map: AG_E_BAD_FRAME, closed', async () => {
		for (const [name, body] of Object.entries({
			'an array': h.pack([1, 'ping']),
			'a string': h.pack('hello'),
			'0xc1': hex('c1'),
			'nil': hex('c0'),
			'a map with trailing bytes': Buffer.concat([h.pack({ id: 1, op: 'ping' }), hex('c0')]),
			'a map cut short': h.pack({ id: 1, op: 'ping' }).subarray(0, 8),
			'a map holding 0xc1': withItem(hex('c1')),
		})) {
			await refused(h.frame(body), 'AG_E_BAD_FRAME', name);
		}
	});

	await t.test('fields of the wrong type: AG_E_BAD_REQUEST, connection stays usable', async () => {
		const c = await h.Client.open(env.sock);
		const cases = [
			['id as string', { id: 'x', op: 'ping' }, 0],
			['id negative', { id: -5, op: 'ping' }, 0],
			['id missing', { op: 'ping' }, 0],
			['op as int', { id: 101, op: 5 }, 101],
			['op missing', { id: 102 }, 102],
			['token as int', { id: 103, op: 'verify', token: 12345 }, 103],
			['token missing', { id: 104, op: 'verify' }, 104],
			['payload as int', { id: 105, op: 'sign', payload: 5 }, 105],
			['opts as map', { id: 106, op: 'verify', token: good, opts: { complete: true } }, 106],
			['opts as map (sign)', { id: 107, op: 'sign', payload: '{}', opts: { expiresIn: 5 } }, 107],
		];
		for (const [name, req, id] of cases) {
			let r;
			if (id === 0) {
				c.write(h.frame(req));
				r = await c.nextFrame(5000);
			} else {
				r = await c.send(req);
			}
			assert.ok(r, `${name}: connection closed`);
			h.fails(r, 'AG_E_BAD_REQUEST', { what: name });
			assert.strictEqual(r.id, id);
			h.ok(await c.call('verify', { token: good }), `verify after ${name}`);
		}
		assert.strictEqual(c.isClosed, false);
		assert.deepStrictEqual(c.strays, []);
		c.destroy();
		await healthy('fields of the wrong type');
	});

	await t.test('unknown op: AG_E_UNKNOWN_OP, connection stays usable', async () => {
		const c = await h.Client.open(env.sock);
		h.fails(await c.call('frobnicate'), 'AG_E_UNKNOWN_OP');
		h.fails(await c.call('SIGN', { payload: '{}' }), 'AG_E_UNKNOWN_OP');
		h.ok(await c.call('ping'));
		c.destroy();
		await healthy('unknown ops');
	});

	await t.test('size limits inside a frame under max_frame', async () => {
		const c = await h.Client.open(env.sock);
		/* a token over 16 KiB: JsonWebTokenError "jwt too large" */
		const big = `${good.split('.')[0]}.${'A'.repeat(17000)}.${good.split('.')[2]}`;
		h.fails(await c.call('verify', { token: big }), 'AG_E_TOO_LARGE',
			{ name: 'JsonWebTokenError', message: 'jwt too large' });
		/* a payload over 12 KiB: AG_E_INPUT_LIMIT */
		const fat = JSON.stringify({ pad: 'x'.repeat(12 * 1024) });
		h.fails(await c.call('sign', { payload: fat }), 'AG_E_INPUT_LIMIT', { what: 'sign of 12 KiB+' });
		/* around the limits: whatever the daemon signs, it verifies */
		let signed = 0;
		for (let n = 11000; n <= 12300; n += 50) {
			const p = JSON.stringify({ pad: 'y'.repeat(n - 10) });
			const r = await c.call('sign', { payload: p, opts: '{"expiresIn":"1h"}' });
			if (!r.ok) {
				h.fails(r, 'AG_E_INPUT_LIMIT', { what: `sign of ${p.length} bytes` });
				continue;
			}
			signed++;
			h.ok(await c.call('verify', { token: r.token }),
			     `verify of a ${r.token.length}-byte token the daemon signed`);
		}
		assert.ok(signed > 0, 'no payload near the limit signed');
		h.ok(await c.call('ping'));
		c.destroy();
		await healthy('oversized tokens and payloads');
	});

	await t.test('a truncated frame then EOF: closed, daemon fine', async () => {
		const c = await h.Client.open(env.sock);
		const f = h.frame({ id: 9, op: 'verify', token: good });
		c.write(f.subarray(0, 20));
		c.end();
		assert.ok(await c.waitClosed(5000), 'not closed after a truncated frame and EOF');
		assert.strictEqual(c.replies.length, 1);
		/* EOF right after a complete request still gets its reply */
		const c2 = await h.Client.open(env.sock);
		const p = c2.call('verify', { token: good });
		c2.end();
		h.ok(await p, 'reply after a half-close');
		assert.ok(await c2.waitClosed(5000));
		await healthy('truncated frame + EOF');
	});

	await t.test('a request written one byte at a time gets the right reply', async () => {
		const c = await h.Client.connect(env.sock);
		const bytes = Buffer.concat([h.frame({ id: 1, op: 'hello', v: 1 }),
					     h.frame({ id: 2, op: 'verify', token: good })]);
		const p1 = new Promise((res, rej) => c.pending.set(1, { resolve: res, reject: rej }));
		const p2 = new Promise((res, rej) => c.pending.set(2, { resolve: res, reject: rej }));
		for (let i = 0; i < bytes.length; i++) {
			c.write(bytes.subarray(i, i + 1));
			if (i % 8 === 0)
				await h.sleep(1);
		}
		h.ok(await h.within(p1, 10000, 'hello reply'));
		const r = h.ok(await h.within(p2, 10000, 'verify reply'));
		assert.strictEqual(h.payloadOf(r).u, 'healthy');
		c.destroy();
		await healthy('a request byte by byte');
	});

	await t.test('two requests in one write; a frame split across many writes', async () => {
		const c = await h.Client.open(env.sock);
		const p1 = new Promise((res, rej) => c.pending.set(50, { resolve: res, reject: rej }));
		const p2 = new Promise((res, rej) => c.pending.set(51, { resolve: res, reject: rej }));
		c.write(Buffer.concat([h.frame({ id: 50, op: 'ping' }), h.frame({ id: 51, op: 'verify', token: good })]));
		h.ok(await h.within(p1, 5000, 'first of two'));
		assert.strictEqual(h.payloadOf(h.ok(await h.within(p2, 5000, 'second of two'))).u, 'healthy');

		const f = h.frame({ id: 52, op: 'verify', token: good, opts: '{"complete":true}' });
		const p3 = new Promise((res, rej) => c.pending.set(52, { resolve: res, reject: rej }));
		for (let i = 0; i < f.length; i += 7) {
			c.write(f.subarray(i, i + 7));
			await h.sleep(2);
		}
		const r = h.ok(await h.within(p3, 5000, 'split frame'));
		assert.ok(r.header, 'complete:true lost in a split frame');
		assert.deepStrictEqual(c.strays, []);
		c.destroy();
		await healthy('coalesced and split frames');
	});

	await healthy('the whole malformed suite');
	await d.stop();
});
