'use strict';
/*
 * frames.test.js - the package's own msgpack paths (client/node/lib/
 * frames.js) against msgpackr: a request it encodes decodes to the same
 * map, and a reply its reader decodes (itself or through msgpackr) is
 * what msgpackr makes of it, whole or cut into pieces; a malformed body
 * still throws.  No daemon.
 */
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');

const { Packr, Unpackr } = require('msgpackr');

const { h } = require('./helpers');
const { encodeFrame, FrameReader } = require(path.join(h.ROOT, 'client', 'node', 'lib', 'frames'));

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' });

function frame(body) {
	const f = Buffer.alloc(4 + body.length);

	f.writeUInt32BE(body.length, 0);
	body.copy(f, 4);
	return f;
}

/* every message the reader hands on, for the bytes pushed in `cuts` */
function read(bytes, cuts = [bytes.length]) {
	const got = [];
	const r = new FrameReader((m) => got.push(m));
	let off = 0;

	for (const c of cuts) {
		r.push(bytes.subarray(off, c));
		off = c;
	}
	return got;
}

test('a request decodes to the map it was made from', () => {
	const reqs = [
		{ id: 1, op: 'hello', v: 1, client: 'agauthd-node/0.1.0' },
		{ id: 0xffffffff, op: 'verify', token: 't'.repeat(300), opts: '{"audience":"é€😀"}', ch: 128, cm: 1 },
		{ id: 2, op: 'sign', payload: JSON.stringify({ s: 'ü'.repeat(30000) }), opts: '{}' },
		{ id: 3, op: 'ping', f: 1.5, neg: -1, big: 2 ** 40, yes: true, no: false, empty: '' },
		{ id: 4, op: 'x', s31: 'a'.repeat(31), s64: 'b'.repeat(64), s65: 'c'.repeat(65), sx: 'é'.repeat(64) },
		Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i * 1000])),
	];

	for (const req of reqs) {
		const f = encodeFrame(req);

		assert.strictEqual(f.readUInt32BE(0), f.length - 4);
		assert.deepStrictEqual(unpackr.unpack(f.subarray(4)), req);
	}
	assert.throws(() => encodeFrame({ id: 1, op: 'x', o: {} }), TypeError);
});

test('replies decode as msgpackr decodes them, whole or in pieces', () => {
	const replies = [
		{ id: 3, ok: true, kind: 'json', payload: Buffer.from('{"a":"é"}'), kid: 'hs1' },
		{ id: 4, ok: true, kind: 'json', payload: Buffer.from('{}'), kid: 'k', header: Buffer.from('{"alg":"HS256"}') },
		{ id: 1, ok: true, v: 1, server: 'agauthd', max_frame: 65536, cache: 2n ** 63n + 5n },
		{ id: 5, ok: true, n: 2 ** 53, m: 2 ** 53 + 2, small: 200, mid: 60000 },
		{ id: 2, ok: false, code: 'AG_E_EXPIRED', name: 'TokenExpiredError', message: 'jwt expired', date: 1764253025.5 },
		{ id: 6, ok: true, keys: [{ kid: 'a', alg: 'HS256' }] },
		{ id: 7, nil: null, neg: -5, f32: 0.5, __proto__x: 1, ['__proto__']: 2, long: 'x'.repeat(70000), e: '' },
		{ id: 8, ok: true, revoked: 'ä'.repeat(3), bin: Buffer.alloc(300, 1) },
		Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, `v${i}`])),
	];
	const bodies = replies.map((m) => Buffer.from(packr.pack(m)));
	const all = Buffer.concat(bodies.map(frame));
	const want = bodies.map((b) => unpackr.unpack(b));

	assert.deepStrictEqual(read(all), want);
	for (let cut = 1; cut < all.length; cut += 7)
		assert.deepStrictEqual(read(all, [cut, all.length]), want, `cut at ${cut}`);
	assert.deepStrictEqual(read(all, Array.from({ length: all.length }, (_, i) => i + 1)), want);
});

test('a malformed body throws; a frame past the limit too', () => {
	const good = Buffer.from(packr.pack({ id: 1, ok: true, kind: 'json', payload: Buffer.from('{}') }));

	/* every truncation of a flat reply, given as a whole frame */
	for (let n = 1; n < good.length; n++)
		assert.throws(() => read(frame(good.subarray(0, n))), `cut to ${n} bytes`);
	/* trailing bytes, a body that is not a map */
	assert.throws(() => read(frame(Buffer.concat([good, Buffer.from([0xc0])]))));
	assert.throws(() => read(frame(Buffer.from([0x2a]))), /not a map/);
	const big = Buffer.alloc(4);

	big.writeUInt32BE((1 << 20) + 1, 0);
	assert.throws(() => read(big), /frame of/);
});
