'use strict';
/*
 * memscan.js - reading another process's memory for the key hygiene
 * tests (hygiene.test.js): its mappings with their VmFlags
 * (/proc/PID/smaps), their bytes (/proc/PID/mem, which root may read even
 * of a process that is not dumpable), and where byte patterns occur in
 * them.  Also the forms a secret may take as text, and the SHA-256 state
 * an HMAC key schedule leaves in memory.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');

/* Mappings larger than this are not read (none of the processes scanned
 * has one: the cache is configured small). */
const MAP_MAX = 512 * 1024 * 1024;
const CHUNK = 1 << 20;

/* [{ lo, hi, perms, name, flags: Set }] from /proc/PID/smaps. */
function mappings(pid) {
	const out = [];
	let cur = null;
	for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
		const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
		if (m) {
			cur = { lo: BigInt(`0x${m[1]}`), hi: BigInt(`0x${m[2]}`), perms: m[3], name: m[4], flags: new Set() };
			out.push(cur);
		} else if (cur && line.startsWith('VmFlags:')) {
			cur.flags = new Set(line.slice(8).trim().split(/\s+/));
		}
	}
	return out;
}

/*
 * Calls fn(mapping, buffer, address) for each readable chunk of each
 * readable mapping (filter(mapping) may narrow them).  Chunks overlap by
 * `overlap` bytes so that no match is cut in two.  Pages that cannot be
 * read (EIO) are skipped.
 */
function eachChunk(pid, fn, { filter = () => true, overlap = 4096 } = {}) {
	const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
	try {
		for (const m of mappings(pid)) {
			if (m.perms[0] !== 'r' || m.name === '[vvar]' || m.name === '[vsyscall]' ||
			    m.name === '[vvar_vclock]' || m.hi - m.lo > BigInt(MAP_MAX) || !filter(m))
				continue;
			for (let a = m.lo; a < m.hi; a += BigInt(CHUNK)) {
				const end = a + BigInt(CHUNK + overlap) < m.hi ? a + BigInt(CHUNK + overlap) : m.hi;
				const buf = Buffer.alloc(Number(end - a));
				let n;
				try {
					n = fs.readSync(fd, buf, 0, buf.length, a);
				} catch (e) {
					continue;
				}
				fn(m, buf.subarray(0, n), a);
			}
		}
	} finally {
		fs.closeSync(fd);
	}
}

/* Every place each pattern occurs: { label: [{ addr, mapping }] }. */
function find(pid, patterns, opts) {
	const hits = {};
	for (const label of Object.keys(patterns))
		hits[label] = [];
	const seen = new Set();
	eachChunk(pid, (m, buf, base) => {
		for (const [label, pat] of Object.entries(patterns)) {
			for (let i = buf.indexOf(pat); i >= 0; i = buf.indexOf(pat, i + 1)) {
				const addr = base + BigInt(i);
				const key = `${label}@${addr}`;
				if (seen.has(key))
					continue;   /* found again in the overlap */
				seen.add(key);
				hits[label].push({ addr, mapping: m });
			}
		}
	}, opts);
	return hits;
}

/* The forms a secret takes as bytes or text. */
function forms(secret) {
	const b64 = secret.toString('base64');
	return {
		raw: secret,
		base64: Buffer.from(b64),
		base64_unpadded: Buffer.from(b64.replace(/=+$/, '')),
		base64url: Buffer.from(secret.toString('base64url')),
		hex: Buffer.from(secret.toString('hex')),
		HEX: Buffer.from(secret.toString('hex').toUpperCase()),
	};
}

/* Every pattern of forms() in a buffer: [label] of those found. */
function foundIn(buf, patterns) {
	return Object.entries(patterns).filter(([, p]) => buf.indexOf(p) >= 0).map(([l]) => l);
}

// ------------------------------------------------------------ SHA-256

const ror = (x, n) => (x >>> n) | (x << (32 - n));

/* The constants from their definition (fractions of roots of primes);
 * sha256Check() proves them. */
const PRIMES = [];
for (let n = 2; PRIMES.length < 64; n++)
	if (PRIMES.every((p) => n % p !== 0))
		PRIMES.push(n);
const frac32 = (x) => Math.floor((x - Math.floor(x)) * 2 ** 32) >>> 0;
const K = PRIMES.map((p) => frac32(Math.cbrt(p)));
const IV = PRIMES.slice(0, 8).map((p) => frac32(Math.sqrt(p)));

/* One compression of a 64-byte block into state (8 words). */
function compress(state, block) {
	const w = new Array(64);
	for (let i = 0; i < 16; i++)
		w[i] = block.readUInt32BE(4 * i);
	for (let i = 16; i < 64; i++) {
		const s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >>> 3);
		const s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >>> 10);
		w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
	}
	let [a, b, c, d, e, f, g, h] = state;
	for (let i = 0; i < 64; i++) {
		const t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
		const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
		h = g; g = f; f = e; e = (d + t1) >>> 0;
		d = c; c = b; b = a; a = (t1 + t2) >>> 0;
	}
	return [a, b, c, d, e, f, g, h].map((x, i) => (x + state[i]) >>> 0);
}

/* The compression above against node:crypto, on a one-block message. */
function sha256Check() {
	const msg = Buffer.from('agauthd key hygiene: one block of SHA-256');
	const block = Buffer.alloc(64);
	msg.copy(block);
	block[msg.length] = 0x80;
	block.writeUInt32BE(msg.length * 8, 60);
	const out = Buffer.alloc(32);
	compress(IV, block).forEach((x, i) => out.writeUInt32BE(x, 4 * i));
	return out.equals(crypto.createHash('sha256').update(msg).digest());
}

/*
 * The states HMAC-SHA-256 pre-keys from a secret (at most 64 bytes): the
 * inner and outer pads absorbed, as mbedtls_sha256_context.state holds
 * them (eight 32-bit words, little-endian on this machine).
 */
function hmacStates(secret) {
	const le = (words) => {
		const b = Buffer.alloc(32);
		words.forEach((x, i) => b.writeUInt32LE(x, 4 * i));
		return b;
	};
	const pad = (v) => {
		const b = Buffer.alloc(64, v);
		for (let i = 0; i < secret.length; i++)
			b[i] ^= secret[i];
		return b;
	};
	return { ipad_state: le(compress(IV, pad(0x36))), opad_state: le(compress(IV, pad(0x5c))) };
}

/* A big-endian number as mbedTLS keeps it: 64-bit limbs, least
 * significant first, each little-endian - the bytes reversed. */
function mpiBytes(be) {
	return Buffer.from(be).reverse();
}

module.exports = { mappings, eachChunk, find, forms, foundIn, hmacStates, sha256Check, mpiBytes };
