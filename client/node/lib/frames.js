'use strict';
/*
 * frames.js - agauthd's frames (docs/protocol.md): a uint32 big-endian
 * length, then one msgpack map.
 *
 * A request is a flat map of strings and numbers, and a reply almost
 * always one too, so both directions have a path of their own for that
 * shape: encodeFrame writes the request straight into the frame's
 * buffer, and FrameReader decodes flat replies itself.  A reply with an
 * array, a nested map or anything unusual (`keys`, a malformed frame)
 * goes to msgpackr, which decides.  Both give what msgpackr gives for the
 * same bytes: strings (decoded as Buffer's toString does), numbers
 * (uint64 past 2^53 as BigInt), booleans, null, and bin as a Buffer view.
 */
const { Unpackr } = require('msgpackr');

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true,
			      int64AsType: 'auto' });

/* Short ASCII strings (keys, "json", a kid) by a hash of their bytes,
 * decoded once and compared byte for byte when found; the table is
 * bounded (values such as a revoked jti may be anything). */
const SHORT_MAX = 16;
const SHORT_ENTRIES = 1024;
const short = new Map();

/* Requests are written one after another into a slab, each frame a view
 * of its part; a new slab when one is full. */
const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB);
let used = 0;

/* Strings up to this length are written in JavaScript if all ASCII: a
 * native call costs more than the loop. */
const ASCII_LOOP = 64;

/*
 * The frame of request req, a map of strings, booleans and numbers
 * (integers in [0, 2^32) as uint, others as float64): a Buffer of 4 +
 * body bytes.  A string gets the header for its longest UTF-8 form
 * (non-minimal, valid msgpack), so its text is written once.
 */
function encodeFrame(req) {
	let bound = 4 + 3;
	let n = 0;

	for (const k in req) {
		const v = req[k];

		bound += 5 + 3 * k.length + 9;
		if (typeof v === 'string')
			bound += 5 + 3 * v.length;
		n++;
	}
	if (SLAB - used < bound) {
		slab = Buffer.allocUnsafe(Math.max(SLAB, bound));
		used = 0;
	}
	const b = slab;
	const start = used;
	let p = start + 4;

	if (n < 16) {
		b[p++] = 0x80 | n;
	} else {
		b[p++] = 0xde;
		b[p++] = n >> 8;
		b[p++] = n & 0xff;
	}
	for (const k in req) {
		p = putString(b, p, k);
		p = putValue(b, p, req[k]);
	}
	b.writeUInt32BE(p - start - 4, start);
	used = p;
	return b.subarray(start, p);
}

/* s in ASCII at b[p], or -1 (and nothing sure written) if it is not */
function putAscii(b, p, s) {
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);

		if (c >= 0x80)
			return -1;
		b[p + i] = c;
	}
	return s.length;
}

function putString(b, p, s) {
	const max = 3 * s.length;
	const h = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
	let n = s.length <= ASCII_LOOP ? putAscii(b, p + h, s) : -1;

	if (n < 0)
		n = b.utf8Write(s, p + h);
	switch (h) {
	case 1:
		b[p] = 0xa0 | n;
		break;
	case 2:
		b[p] = 0xd9;
		b[p + 1] = n;
		break;
	case 3:
		b[p] = 0xda;
		b[p + 1] = n >> 8;
		b[p + 2] = n & 0xff;
		break;
	default:
		b[p] = 0xdb;
		b.writeUInt32BE(n, p + 1);
	}
	return p + h + n;
}

function putValue(b, p, v) {
	switch (typeof v) {
	case 'string':
		return putString(b, p, v);
	case 'boolean':
		b[p] = v ? 0xc3 : 0xc2;
		return p + 1;
	case 'number':
		if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) {
			if (v < 0x80) {
				b[p] = v;
				return p + 1;
			}
			b[p] = 0xce;
			b.writeUInt32BE(v, p + 1);
			return p + 5;
		}
		b[p] = 0xcb;
		b.writeDoubleBE(v, p + 1);
		return p + 9;
	default:
		throw new TypeError(`agauthd request: ${typeof v} value`);
	}
}

/* What decodeFlat returns for a body it leaves to msgpackr. */
const OTHER = Symbol('other');
/* bytes after the type byte, by type: uint, float64, str and bin lengths */
const FIXED = new Uint8Array(256);

for (const [t, n] of [[0xcc, 1], [0xcd, 2], [0xce, 4], [0xcf, 8], [0xcb, 8],
		      [0xd9, 1], [0xda, 2], [0xdb, 4], [0xc4, 1], [0xc5, 2], [0xc6, 4]])
	FIXED[t] = n;
/* msgpackr's int64AsType 'auto': a uint64 up to 2^53 is a number */
const NUMBER_MAX = 2n ** 53n;

/* A string of b[s, e), short ones from the table. */
function text(b, s, e) {
	const n = e - s;

	if (n > SHORT_MAX)
		return b.utf8Slice(s, e);
	let h = n;

	for (let i = s; i < e; i++)
		h = (Math.imul(h, 31) + b[i]) | 0;
	const t = short.get(h);

	if (t !== undefined && t.length === n && sameAscii(t, b, s))
		return t;
	const u = b.utf8Slice(s, e);

	/* (a string of n characters from n bytes is ASCII) */
	if (u.length === n && (t !== undefined || short.size < SHORT_ENTRIES))
		short.set(h, u);
	return u;
}

function sameAscii(t, b, s) {
	for (let i = 0; i < t.length; i++) {
		if (t.charCodeAt(i) !== b[s + i])
			return false;
	}
	return true;
}

/*
 * The body b[p, end) as an object if it is a map of string keys to
 * scalars, strings and bins, ending exactly at end; OTHER for anything
 * else (msgpackr then decodes it, or throws).
 */
function decodeFlat(b, p, end) {
	let n = b[p++];

	if ((n & 0xf0) === 0x80) {
		n &= 0x0f;
	} else if (n === 0xde && p + 2 <= end) {
		n = b[p] << 8 | b[p + 1];
		p += 2;
	} else {
		return OTHER;
	}
	const o = {};

	for (let i = 0; i < n; i++) {
		if (p >= end || (b[p] & 0xe0) !== 0xa0)
			return OTHER;
		const ke = p + 1 + (b[p] & 0x1f);

		if (ke > end)
			return OTHER;
		let k = text(b, p + 1, ke);

		/* as msgpackr names it */
		if (k === '__proto__')
			k = '__proto_';
		p = ke;
		if (p >= end)
			return OTHER;
		const t = b[p++];
		let v, len = -1;

		if (t < 0x80) {
			v = t;
		} else if ((t & 0xe0) === 0xa0) {
			len = t & 0x1f;
		} else {
			/* the bytes after the type, all within the body */
			if (p + FIXED[t] > end)
				return OTHER;
			switch (t) {
			case 0xc0: v = null; break;
			case 0xc2: v = false; break;
			case 0xc3: v = true; break;
			case 0xcc: v = b[p]; break;
			case 0xcd: v = b.readUInt16BE(p); break;
			case 0xce: v = b.readUInt32BE(p); break;
			case 0xcf:
				v = b.readBigUInt64BE(p);
				/* msgpackr's int64AsType 'auto' */
				if (v <= NUMBER_MAX)
					v = Number(v);
				break;
			case 0xcb: v = b.readDoubleBE(p); break;
			case 0xd9: case 0xc4: len = b[p]; break;
			case 0xda: case 0xc5: len = b.readUInt16BE(p); break;
			case 0xdb: case 0xc6: len = b.readUInt32BE(p); break;
			default:
				return OTHER;
			}
			p += FIXED[t];
		}
		if (len >= 0) {
			if (p + len > end)
				return OTHER;
			v = t >= 0xc4 && t <= 0xc6 ? b.subarray(p, p + len) : text(b, p, p + len);
			p += len;
		}
		o[k] = v;
	}
	return p === end ? o : OTHER;
}

class FrameReader {
	/* onMessage(msg) for every frame; maxFrame bounds a body's length */
	constructor(onMessage, maxFrame = 1 << 20) {
		this.onMessage = onMessage;
		this.maxFrame = maxFrame;
		this.rest = null;
	}

	/* Feeds bytes; throws on a length or body that breaks the protocol
	 * (the caller drops the connection). */
	push(chunk) {
		const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
		let off = 0;

		while (buf.length - off >= 4) {
			const len = buf.readUInt32BE(off);

			if (len === 0 || len > this.maxFrame)
				throw new Error(`frame of ${len} bytes`);
			if (buf.length - off - 4 < len)
				break;
			const start = off + 4;

			off = start + len;
			let msg = decodeFlat(buf, start, off);

			if (msg === OTHER)
				msg = unpackr.unpack(buf.subarray(start, off));
			if (msg === null || typeof msg !== 'object')
				throw new Error('frame that is not a map');
			this.onMessage(msg);
		}
		this.rest = off < buf.length ? buf.subarray(off) : null;
	}
}

module.exports = { encodeFrame, FrameReader };
