'use strict';
/*
 * frames.js - agauthd's frames (docs/protocol.md): a uint32 big-endian
 * length, then one msgpack map.  encodeFrame packs a request with room
 * for the length in front (no copy); FrameReader cuts a byte stream into
 * decoded messages.
 */
const { Packr, Unpackr, RESERVE_START_SPACE } = require('msgpackr');

const packr = new Packr({ useRecords: false });
/* uint64 values a double cannot hold (none the protocol sends today)
 * come as BigInt, the rest as numbers */
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true,
			      int64AsType: 'auto' });

/* The frame of request object req: a Buffer of 4 + body bytes. */
function encodeFrame(req) {
	const b = packr.pack(req, RESERVE_START_SPACE | 4);

	b.writeUInt32BE(b.length - 4, 0);
	return b;
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
			const msg = unpackr.unpack(buf.subarray(off + 4, off + 4 + len));

			off += 4 + len;
			if (msg === null || typeof msg !== 'object')
				throw new Error('frame that is not a map');
			this.onMessage(msg);
		}
		this.rest = off < buf.length ? buf.subarray(off) : null;
	}
}

module.exports = { encodeFrame, FrameReader };
