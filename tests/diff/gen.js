'use strict';
/*
 * gen.js - the cases of the differential suite, generated from a seed.
 *
 * A case is the input of one jsonwebtoken call and of one agjwt request:
 *
 *   sign:   {op, key, payload: JSON text, options: JSON text, now: ms,
 *            pub: PEM that verifies an RS/PS/ES token (or undefined)}
 *   verify: {op, key: string or null, token, options: JSON text, now: ms}
 *
 * plus `note`, a short label for the report.  The case list is a pure
 * function of the seed (sfc32, seeded by xmur3; no Math.random), except
 * the bytes of PS and ES signatures in crafted tokens, which those
 * algorithms randomize themselves; no expected outcome depends on them.
 *
 *   node tests/diff/gen.js [seed]    prints the number of cases per category
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const SEED = 'agauthd-diff-1';
const KEYDIR = path.join(__dirname, '..', 'vectors', 'keys');

function readKey(name) {
	return fs.readFileSync(path.join(KEYDIR, name), 'utf8');
}

const KEYS = {
	rsa: {
		pkcs1: readKey('rsa2048.pkcs1.pem'),
		pkcs8: readKey('rsa2048.pkcs8.pem'),
		spki: readKey('rsa2048.spki.pem'),
		pkcs1pub: readKey('rsa2048.pkcs1.pub.pem'),
	},
	rsa2: {
		pkcs1: readKey('rsa2048b.pkcs1.pem'),
		spki: readKey('rsa2048b.spki.pem'),
	},
	p256: {
		sec1: readKey('ecp256.sec1.pem'),
		pkcs8: readKey('ecp256.pkcs8.pem'),
		spki: readKey('ecp256.spki.pem'),
	},
	p384: {
		sec1: readKey('ecp384.sec1.pem'),
		pkcs8: readKey('ecp384.pkcs8.pem'),
		spki: readKey('ecp384.spki.pem'),
	},
	p521: {
		sec1: readKey('ecp521.sec1.pem'),
		pkcs8: readKey('ecp521.pkcs8.pem'),
		spki: readKey('ecp521.spki.pem'),
	},
};

/* Secrets: short, exactly one hash block, longer than the SHA-256 and
 * SHA-512 blocks (hashed first), non-ASCII, and PEM-looking text. */
const SECRETS = [
	'secret', 's', 'k'.repeat(64), 'k'.repeat(65), 'x'.repeat(100),
	'y'.repeat(128), 'z'.repeat(129), 'w'.repeat(200), 'é€😀 key',
	'-----BEGIN not a key-----', 'a b\tc\nd', 'shhh-0123456789',
];

/* 2025-11-27T08:00:00Z; every case adds up to 30 days of milliseconds */
const NOW0 = 1764230400000;

// ---------------------------------------------------------------- PRNG

function xmur3(str) {
	let h = 1779033703 ^ str.length;

	for (let i = 0; i < str.length; i++) {
		h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
		h = (h << 13) | (h >>> 19);
	}
	return function () {
		h = Math.imul(h ^ (h >>> 16), 2246822507);
		h = Math.imul(h ^ (h >>> 13), 3266489909);
		return (h ^= h >>> 16) >>> 0;
	};
}

function sfc32(a, b, c, d) {
	return function () {
		a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
		let t = (a + b) | 0;
		a = b ^ (b >>> 9);
		b = (c + (c << 3)) | 0;
		c = (c << 21) | (c >>> 11);
		d = (d + 1) | 0;
		t = (t + d) | 0;
		c = (c + t) | 0;
		return (t >>> 0) / 4294967296;
	};
}

class Rng {
	constructor(seed) {
		const h = xmur3(String(seed));

		this.f = sfc32(h(), h(), h(), h());
		for (let i = 0; i < 16; i++)
			this.f();
	}
	next() { return this.f(); }
	int(n) { return Math.floor(this.f() * n); }
	range(a, b) { return a + this.int(b - a + 1); }
	pick(a) { return a[this.int(a.length)]; }
	chance(p) { return this.f() < p; }
	shuffle(a) {
		const b = a.slice();

		for (let i = b.length - 1; i > 0; i--) {
			const j = this.int(i + 1);
			[b[i], b[j]] = [b[j], b[i]];
		}
		return b;
	}
	now() { return NOW0 + this.int(30 * 86400000); }
}

// ---------------------------------------------------------------- JSON text

const WS = [' ', '\n', '\t', '\r\n  ', '  '];

function ws(r) {
	return r.chance(0.12) ? r.pick(WS) : '';
}

/* Pieces of JSON string bodies, as JSON text: raw BMP and astral
 * characters, every short escape, \u escapes including lone surrogates
 * (only ever as escapes: raw lone surrogates cannot cross the driver's
 * UTF-8 line), U+2028, DEL, NBSP and BOM raw. */
const STR_PIECES = [
	'a', 'hello', 'x y', 'é', 'ñ', '日本', '☃', '€', '😀', '𝄞', 'Ω',
	'\\n', '\\t', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\r', '\\u0000',
	'\\u001f', '\\u007f', '\\u00e9', '\\u2028', '\\u2029', '\\ud800',
	'\\udfff', '\\ud83d\\ude00', '\\uD83D\\uDE00', '\\ud83d', 'x\\ude00',
	'\u007f', '\u2028', '\u00a0', '\ufeff', '<>&\'', '%s', '{}', '0',
	'\\u00ff', '\\u0100', 'ÿ', 'Ā',
];

function strLit(r, max = 4) {
	let s = '';

	for (let n = r.int(max + 1); n > 0; n--)
		s += r.pick(STR_PIECES);
	return '"' + s + '"';
}

/* Numbers of every shape JSON allows, written as JSON text. */
const NUM_LITS = [
	'0', '-0', '1', '-1', '42', '1.0', '1E2', '1e2', '1e+2', '1E-2',
	'-1.5e-3', '0.1', '0.30000000000000004', '1e21', '1e20', '1e-7', '1e-6',
	'123e-20', '5e-324', '2.2250738585072014e-308', '1e308',
	'1.7976931348623157e308', '9007199254740991', '9007199254740992',
	'9007199254740993', '12345678901234567890',
	'123456789012345678901234567890', '100000000000000000000',
	'0.000001', '0.0000001', '1e-400', '1e400', '-1e400', '4294967295',
	'4294967296', '-9007199254740993', '3.14159', '2.5e-5', '1.5',
	'0.5', '-0.0', '0e10', '100', '1234567.125', '1e15', '1e16', '1e17',
	'999999999999999999999', '0.1e1', '10.50', '7E+0',
];

function numLit(r) {
	switch (r.int(4)) {
	case 0:
	case 1:
		return r.pick(NUM_LITS);
	case 2: {
		const v = r.next() * Math.pow(10, r.int(40) - 15) *
			  (r.chance(0.3) ? -1 : 1);

		return v.toPrecision(r.range(1, 17));
	}
	default: {
		let s = r.chance(0.3) ? '-' : '';

		s += String(r.range(1, 9));
		for (let n = r.range(0, 24); n > 0; n--)
			s += String(r.int(10));
		return s;
	}
	}
}

/* Member names: words, integer-like names (array indices sort first in
 * JavaScript), names that only look like indices, escapes. */
const KEY_BODIES = [
	'a', 'b', 'c', 'name', 'data', 'x y', 'role', 'id', '1', '0', '01',
	'10', '2', '7', '4294967294', '4294967295', '4294967296', '-1', '1.5',
	'1e3', '', ' ', 'é', '日本', '😀', '\\u0031', '\\u0030', '\\u0030\\u0031',
	'\\n', '\\u0000', '\\ud800', 'length', 'prototype', 'Exp', 'IAT',
	'00', '+1', '9007199254740993', '123',
];

/* Object.prototype's names (never "__proto__"): jsonwebtoken's sign
 * throws a TypeError for them at the top of a payload or options, so
 * they stay rare there. */
const PROTO_KEYS = [
	'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
	'toLocaleString', '__lookupGetter__', 'propertyIsEnumerable',
];

function keyLit(r, depth) {
	const proto = r.chance(depth > 1 ? 0.1 : 0.015);

	return '"' + r.pick(proto ? PROTO_KEYS : KEY_BODIES) + '"';
}

function valLit(r, depth, budget) {
	budget.n++;
	switch (r.int(depth >= 3 || budget.n > 80 ? 6 : 9)) {
	case 0:
	case 1:
		return strLit(r);
	case 2:
	case 3:
		return numLit(r);
	case 4:
		return r.pick(['true', 'false']);
	case 5:
		return 'null';
	case 6:
	case 7:
		return objLit(r, depth + 1, budget);
	default:
		return arrLit(r, depth + 1, budget);
	}
}

function arrLit(r, depth, budget) {
	const items = [];

	for (let n = r.int(5); n > 0; n--)
		items.push(ws(r) + valLit(r, depth, budget) + ws(r));
	return '[' + items.join(',') + ws(r) + ']';
}

/* An object as text; `extra` members (already text) are mixed in. */
function objLit(r, depth, budget, extra = [], max = 5) {
	const keys = [], members = extra.slice();

	for (let n = r.int(max + 1); n > 0; n--) {
		const k = keys.length && r.chance(0.12) ? r.pick(keys) : keyLit(r, depth);

		keys.push(k);
		members.push(ws(r) + k + ws(r) + ':' + ws(r) +
			     valLit(r, depth, budget) + ws(r));
	}
	return '{' + r.shuffle(members).join(',') + ws(r) + '}';
}

function member(k, v) {
	return JSON.stringify(k) + ':' + v;
}

/* A payload object as text, without any registered claim names. */
function payloadLit(r, extra = [], max = 5) {
	return objLit(r, 1, { n: 0 }, extra, max);
}

/* Object text from [name, valueText] pairs, in order. */
function objText(pairs) {
	return '{' + pairs.map(([k, v]) => member(k, v)).join(',') + '}';
}

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/* Raw lone surrogates cannot cross the driver's UTF-8 request line. */
function checkText(text, what) {
	if (LONE.test(text))
		throw new Error(what + ' holds a raw lone surrogate: ' + text);
	return text;
}

function checkJson(text, what) {
	JSON.parse(text);  /* a generator bug must fail loudly, here */
	return checkText(text, what);
}

// ---------------------------------------------------------------- tokens

function seg(text, enc = 'utf8') {
	return Buffer.isBuffer(text) ? text.toString('base64url') :
	       Buffer.from(text, enc).toString('base64url');
}

const SHA = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/* The base64url signature jwa would produce for alg over input. */
function signWith(alg, input, key) {
	const m = /^(HS|RS|PS|ES)(256|384|512)$/.exec(alg);

	if (alg === 'none')
		return '';
	if (!m)
		throw new Error('no signer for ' + alg);
	const sha = SHA[m[2]];

	switch (m[1]) {
	case 'HS':
		return crypto.createHmac(sha, Buffer.from(key)).update(input)
			.digest('base64url');
	case 'RS':
		return crypto.sign(sha, Buffer.from(input), key)
			.toString('base64url');
	case 'PS':
		return crypto.sign(sha, Buffer.from(input), {
			key,
			padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
			saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST,
		}).toString('base64url');
	default:
		return crypto.sign(sha, Buffer.from(input), {
			key, dsaEncoding: 'ieee-p1363',
		}).toString('base64url');
	}
}

/* A compact JWS over header and payload texts (or Buffers of raw bytes),
 * or over given segments (`hseg`, `pseg`). */
function craft({ header, payload, hseg, pseg, alg, key, henc = 'utf8' }) {
	const h = hseg !== undefined ? hseg : seg(header, henc);
	const p = pseg !== undefined ? pseg : seg(payload);

	return h + '.' + p + '.' + signWith(alg, h + '.' + p, key);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/* Replaces the character at i with another base64url character (one
 * draw, whatever the character was, so that randomized signatures leave
 * the rest of the case list alone). */
function flipAt(r, s, i) {
	const c = B64[(B64.indexOf(s[i]) + 1 + r.int(63)) % 64];

	return s.slice(0, i) + c + s.slice(i + 1);
}

/* Flips one character of segment k (0 header, 1 payload, 2 signature);
 * `middle` keeps away from the last character of the segment, whose
 * unused low bits other decoders may ignore. */
function tamper(r, token, k, middle) {
	const parts = token.split('.');
	const s = parts[k];

	if (s.length === 0)
		return token;
	const i = middle ? Math.floor(s.length / 4) + r.int(Math.max(1, Math.floor(s.length / 2))) :
		  r.int(s.length);

	parts[k] = flipAt(r, s, Math.min(i, s.length - 1));
	return parts.join('.');
}

function hdr(alg, typ = 'JWT', extra = '') {
	let t = '{"alg":' + JSON.stringify(alg);

	if (typ !== undefined)
		t += ',"typ":' + JSON.stringify(typ);
	return t + extra + '}';
}

// ---------------------------------------------------------------- sign cases

function signCase(cases, note, key, payload, options, now, pub) {
	cases.push({
		op: 'sign', note, key,
		payload: checkJson(payload, 'payload'),
		options: checkJson(options, 'options'),
		now, pub,
	});
}

const SPANS = [
	'120', '0', '-5', '1.5', '"120"', '"1.5h"', '"-1h"', '"10y"',
	'"2 days"', '" 1d"', '"1D"', '"abc"', '""', '"1e3"', '".5h"', '1e21',
	'"1 d"', '"1  hours"', '"-.5d"', '"1ms"', '"5 Minutes"', '"3 weeks"',
	'"2 yrs"', '"1.5 s"', '"007"', '"1."', '"-"', '"1h "', '"100"',
	'"1000"', '"1500"', '"-1500"', 'null', 'true', '[]', '{}',
	JSON.stringify('x'.repeat(101)), JSON.stringify('1' + ' '.repeat(98) + 'd'),
	JSON.stringify('1' + ' '.repeat(99) + 'd'), '1e400', '-1e400', '2.0',
	'1E2', '-0', '86400', '"\\u0031h"', '"１h"', '"1.5.5h"', '"1hour"',
	'"2 Years"', '"1y"', '"0.001s"', '"1\\u0020d"', '"60000"', '-86400',
	'"1 msecs"', '"1 millisecond"', '"9007199254740993"',
	'"1' + '0'.repeat(30) + '"',
];

const AUDS = [
	'"aud1"', '["a","b"]', '[]', '[1,null,{"x":1},[2,3]]', '5', 'null',
	'""', '"日本"', 'true', '{}', '["\\ud800"]', '["a"]', '[""]',
];

const STRS = [
	'"iss1"', '""', '"é😀"', '"\\u0000x"', '5', 'null', 'true', '[]',
	'{"a":1}', '"a b"', '"\\ud800"',
];

const HEADERS = [
	'{}', '{"typ":"JOSE"}', '{"alg":"HS256"}', '{"alg":"HS512"}',
	'{"kid":"k1"}', '{"kid":5}', '{"x":1,"0":"z","10":1,"2":2}',
	'{"typ":null}', '{"kid":null}', '{"alg":5}', '{"alg":null}',
	'{"alg":"HS999"}', '{"alg":"none"}', '{"alg":""}', '{"alg":"RS256"}',
	'{"alg":true}', '{"alg":["HS256"]}', '{"alg":{}}', '"str"', '[]',
	'null', '5', '{"typ":"JWT","typ":"X"}', '{"crit":["b64"],"b64":false}',
	'{"kid":"é€😀","x5t":"\\ud800"}', '{"alg":"HS256","alg":"HS384"}',
	'{"4294967295":1,"4294967294":2,"a":3}', '{"alg":"hs256"}',
	'{"typ":"JWT","kid":"k","alg":"HS256","extra":{"a":[1,2]}}',
	'{"jku":"https://x/y","1":[null]}', '{"kid":"../../etc/passwd"}',
	'{"alg":"HS384","typ":"at+jwt","kid":"k","cty":"JWT"}', '{"typ":5}',
	'{"alg":"ES256"}', '{"alg":"none","typ":null}', '{"01":1,"1":2}',
];

/* Option name -> candidate values (JSON text). */
const SIGN_OPTS = {
	expiresIn: SPANS,
	notBefore: SPANS,
	audience: AUDS,
	issuer: STRS,
	subject: STRS,
	jwtid: STRS,
	keyid: STRS.concat(['"kid-1"', '"../k"']),
	header: HEADERS,
	noTimestamp: ['true', 'false', '"yes"', '1', 'null', '0'],
	mutatePayload: ['true', 'false', '"x"', 'null'],
	encoding: ['"utf8"', '"latin1"', '"UTF8"', '"utf-8"', '"binary"',
		   '"Latin1"', '""', '5', 'null', '"UTF-8"'],
	algorithm: ['"HS256"', '"HS384"', '"HS512"', '"none"', '"RS256"',
		    '"ES256"', '"PS256"', '"hs256"', '5', '""', 'null', '0',
		    'true', '{}', '"HS256 "', '[]', '"HS256"'],
	allowInsecureKeySizes: ['true', 'false', '"x"', 'null'],
	allowInvalidAsymmetricKeyTypes: ['true', 'false', '"x"', 'null', '1'],
};

const UNKNOWN_OPTS = [
	['foo', '1'], ['expiresin', '60'], ['1', '1'], ['Audience', '"a"'],
	['exp', '5'], ['', '1'], ['algorithms', '["HS256"]'],
	['clockTolerance', '5'], ['é', '1'], ['complete', 'true'],
	['0', 'null'], ['allowInsecureKeySize', 'true'], ['constructor', '1'],
	['toString', 'null'], ['valueOf', '"x"'],
];

/* Payload members that are registered claims, valid or not. */
function claimMembers(r) {
	const now = Math.floor(r.now() / 1000);
	const good = ['0', '-0', '-5', '1.5', String(now), '1e10', '1e21',
		      '5e-324', '1e400', String(now - 3600), '1E3', '-1e400'];
	const bad = ['"123"', 'null', 'true', '[]', '{}', '"abc"', 'false',
		     '[1]', '""'];
	const out = [];

	for (const c of ['iat', 'exp', 'nbf']) {
		if (!r.chance(0.35))
			continue;
		out.push(member(c, r.chance(0.8) ? r.pick(good) : r.pick(bad)));
		if (r.chance(0.1))  /* a duplicate: the last one wins */
			out.push(member(c, r.pick(good.concat(bad))));
	}
	for (const c of ['aud', 'iss', 'sub', 'jti']) {
		if (r.chance(0.12))
			out.push(member(c, r.chance(0.5) ? strLit(r, 2) :
					r.pick(['5', 'null', '["x"]', '{}'])));
	}
	return out;
}

const NONOBJ_PAYLOADS = [
	'"hello"', '"\\ud800x"', '"😀 é"', '123', '-0', '1e21', '1.50', 'true',
	'false', '"日本\\n\\u0000"', '""', '"{\\"a\\":1}"', '0', '5e-324',
	'12345678901234567890', '"\\u00ff\\u0100"', '[]', '[1,2]', 'null',
	'[{"a":1}]', '"  "', '-1e400', '"ÿĀ"',
];

const HS_ALGS = ['HS256', 'HS384', 'HS512'];

function genSignPayloads(r) {
	const cases = [];
	const easy = [
		'{}', '{"expiresIn":120}', '{"noTimestamp":true}',
		'{"algorithm":"HS384"}', '{"algorithm":"HS512","expiresIn":"1h"}',
		'{"encoding":"latin1"}', '{"mutatePayload":true}',
		'{"notBefore":"-1h","expiresIn":"10y"}', '{"keyid":"k"}',
	];

	/* random objects: unicode, escapes, numbers, keys, nesting */
	for (let i = 0; i < 200; i++)
		signCase(cases, 'random payload', r.pick(SECRETS), payloadLit(r),
			 r.pick(easy), r.now());
	/* every number shape, alone and in arrays */
	for (const n of NUM_LITS)
		signCase(cases, 'number ' + n, 'secret', '{"n":' + n + '}',
			 r.pick(easy), r.now());
	for (let i = 0; i < 20; i++) {
		const ns = [];

		for (let k = r.range(1, 6); k > 0; k--)
			ns.push(numLit(r));
		signCase(cases, 'numbers', 'secret', '{"v":[' + ns.join(',') + ']}',
			 '{}', r.now());
	}
	/* integer-like keys against string keys, in every order */
	for (let i = 0; i < 30; i++) {
		const pool = ['"1"', '"0"', '"01"', '"4294967295"', '"4294967294"',
			      '"10"', '"2"', '"b"', '"a"', '"iat"', '"-1"', '"\\u0032"',
			      '"1"', '"a"'];
		const m = [];

		for (let k = r.range(2, 7); k > 0; k--)
			m.push(r.pick(pool) + ':' + numLit(r));
		signCase(cases, 'key order', 'secret', '{' + m.join(',') + '}',
			 r.pick(easy), r.now());
	}
	/* existing iat/exp/nbf, good and bad */
	for (let i = 0; i < 70; i++) {
		const opts = r.pick(['{}', '{"expiresIn":60}', '{"notBefore":5}',
				     '{"noTimestamp":true}', '{"expiresIn":"2 days"}',
				     '{"noTimestamp":true,"expiresIn":1}',
				     '{"notBefore":"1.5h","expiresIn":-5}']);

		signCase(cases, 'claims in payload', r.pick(SECRETS),
			 payloadLit(r, claimMembers(r), 3), opts, r.now());
	}
	/* payloads that are not objects */
	for (const p of NONOBJ_PAYLOADS) {
		for (const o of ['{}', '{"encoding":"latin1"}',
				 '{"algorithm":"HS512","keyid":"k"}'])
			signCase(cases, 'non-object payload', 'secret', p, o,
				 r.now());
		signCase(cases, 'non-object payload + object option', 'secret',
			 p, r.pick(['{"expiresIn":60}', '{"noTimestamp":false}',
				    '{"audience":"a","issuer":"i"}',
				    '{"jwtid":"j","subject":"s","notBefore":1}',
				    '{"header":{"typ":"JWT"}}']), r.now());
	}
	return cases;
}

function randomSignOptions(r, max = 4) {
	const names = Object.keys(SIGN_OPTS);
	const pairs = [];

	for (let n = r.range(1, max); n > 0; n--) {
		if (r.chance(0.06)) {
			pairs.push(r.pick(UNKNOWN_OPTS));
			continue;
		}
		const name = r.pick(names);

		pairs.push([name, r.pick(SIGN_OPTS[name])]);
	}
	return objText(pairs);
}

function genSignOptions(r) {
	const cases = [];

	/* each option alone, every value */
	for (const [name, values] of Object.entries(SIGN_OPTS))
		for (const v of values)
			signCase(cases, 'option ' + name, r.pick(SECRETS),
				 payloadLit(r, [], 3), objText([[name, v]]), r.now());
	for (const u of UNKNOWN_OPTS)
		signCase(cases, 'unknown option', 'secret', '{"a":1}',
			 objText([u]), r.now());
	/* combinations, with claims in the payload for the conflicts */
	for (let i = 0; i < 260; i++) {
		let payload;

		if (r.chance(0.12))
			payload = r.pick(NONOBJ_PAYLOADS);
		else
			payload = payloadLit(r, r.chance(0.4) ? claimMembers(r) : [], 3);
		signCase(cases, 'option mix', r.pick(SECRETS), payload,
			 randomSignOptions(r), r.now());
	}
	/* {alg, typ, kid} merged with options.header, keyid and typ */
	const merges = ['{}', '{"kid":"h"}', '{"typ":"X"}', '{"alg":"HS384"}',
			'{"b":1,"kid":"h","1":0,"a":2}', '{"0":1,"typ":"T","alg":"HS512"}',
			'{"kid":"h","kid":"i"}', '{"zz":null,"alg":"HS256","4294967294":1}',
			'{"typ":"JWT","alg":"HS256","kid":"k"}'];
	for (const h of merges) {
		for (const keyid of [undefined, '"kid-opt"']) {
			for (const payload of ['{"a":1}', '"text"']) {
				const pairs = [['header', h]];

				if (keyid)
					pairs.splice(r.int(2), 0, ['keyid', keyid]);
				if (r.chance(0.3))
					pairs.push(['algorithm', r.pick(['"HS512"', '"HS256"'])]);
				signCase(cases, 'header merge', 'secret', payload,
					 objText(pairs), r.now());
			}
		}
	}
	/* payload claims against the options that set them */
	const conflicts = [
		['exp', 'expiresIn', '60'], ['nbf', 'notBefore', '60'],
		['aud', 'audience', '"a"'], ['iss', 'issuer', '"i"'],
		['sub', 'subject', '"s"'], ['jti', 'jwtid', '"j"'],
	];
	for (const [claim, opt, v] of conflicts) {
		for (const cv of ['1', 'null', '"x"', '0', 'false']) {
			signCase(cases, 'conflict ' + claim, 'secret',
				 '{' + member(claim, cv) + ',"a":1}',
				 objText([[opt, v]]), r.now());
		}
	}
	/* first failure wins: several bad options in different orders */
	for (let i = 0; i < 20; i++) {
		const bad = r.shuffle([['issuer', '5'], ['expiresIn', '"abc"'],
				       ['audience', '5'], ['noTimestamp', '"x"'],
				       ['zzz', '1'], ['header', '[]'],
				       ['notBefore', '""']]).slice(0, 3);

		signCase(cases, 'option order', 'secret', '{"a":1}', objText(bad),
			 r.now());
	}
	return cases;
}

const ALGS = [
	'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512',
	'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512',
];

/* Private keys (with the public key that verifies them) per family. */
function keysFor(alg) {
	const k = KEYS;

	if (alg.startsWith('HS') || alg === 'none')
		return SECRETS.map((s) => [s, undefined]);
	if (alg.startsWith('RS') || alg.startsWith('PS'))
		return [[k.rsa.pkcs1, k.rsa.spki], [k.rsa.pkcs8, k.rsa.pkcs1pub],
			[k.rsa2.pkcs1, k.rsa2.spki]];
	const c = { ES256: k.p256, ES384: k.p384, ES512: k.p521 }[alg];

	return [[c.sec1, c.spki], [c.pkcs8, c.spki]];
}

function genSignAlgorithms(r) {
	const cases = [];
	const k = KEYS;
	const extras = [
		[], [['expiresIn', '"1h"']], [['keyid', '"k1"']],
		[['audience', '["a","b"]'], ['issuer', '"me"']],
		[['noTimestamp', 'true']], [['header', '{"typ":"JOSE","x":1}']],
		[['notBefore', '-5'], ['jwtid', '"j"']],
		[['mutatePayload', 'true']], [['encoding', '"latin1"']],
	];

	/* every algorithm with every fitting key */
	for (const alg of ALGS) {
		const ks = keysFor(alg);

		for (let i = 0; i < 8; i++) {
			const [priv, pub] = ks[i % ks.length];
			const pairs = [['algorithm', JSON.stringify(alg)]]
				.concat(r.pick(extras));
			const payload = i === 7 ? r.pick(['"text"', '42', 'true']) :
					payloadLit(r, [], 3);

			signCase(cases, 'sign ' + alg, priv, payload,
				 objText(r.chance(0.8) || i === 7 ? pairs.slice(0, 1) : pairs),
				 r.now(), pub);
		}
		/* the algorithm given by options.header.alg */
		const [priv, pub] = ks[0];

		signCase(cases, 'header.alg ' + alg, priv, payloadLit(r, [], 2),
			 objText([['header', '{"alg":' + JSON.stringify(alg) + '}']]),
			 r.now(), pub);
	}
	/* "none" (the driver signs it: allowNone) */
	for (const key of ['secret', k.rsa.pkcs1, k.p256.sec1, k.rsa.spki])
		for (const o of ['{"algorithm":"none"}', '{"header":{"alg":"none"}}'])
			signCase(cases, 'sign none', key, payloadLit(r, [], 2), o,
				 r.now());
	/* keys that do not fit the algorithm */
	const mismatch = [
		['RS256', 'secret'], ['PS384', 'k'.repeat(200)], ['ES256', 'secret'],
		['HS256', k.rsa.pkcs1], ['HS384', k.rsa.pkcs8], ['HS512', k.p256.sec1],
		['ES256', k.p384.sec1], ['ES384', k.p256.pkcs8], ['ES512', k.p384.sec1],
		['ES256', k.p521.sec1], ['RS256', k.p256.sec1], ['PS256', k.p384.pkcs8],
		['ES256', k.rsa.pkcs1], ['ES512', k.rsa.pkcs8],
		/* public keys do not sign: Node takes the PEM text as a secret */
		['RS256', k.rsa.spki], ['PS256', k.rsa.pkcs1pub], ['ES256', k.p256.spki],
		['HS256', k.rsa.spki], ['HS256', k.rsa.pkcs1pub], ['HS512', k.p521.spki],
	];
	for (const [alg, key] of mismatch) {
		for (let i = 0; i < 2; i++)
			signCase(cases, 'mismatch ' + alg, key, payloadLit(r, [], 2),
				 objText([['algorithm', JSON.stringify(alg)]].concat(
					 i ? [['expiresIn', '60']] : [])), r.now());
	}
	/* header.alg against options.algorithm */
	for (let i = 0; i < 16; i++) {
		const a1 = r.pick(ALGS), a2 = r.pick(ALGS.concat(['none', 'HS1', '']));
		/* a key for one of the two, so that either may win */
		const [priv, pub] = r.pick(keysFor(ALGS.includes(a2) && r.chance(0.5) ? a2 : a1));

		signCase(cases, 'algorithm vs header.alg', priv, '{"a":1}',
			 objText([['algorithm', JSON.stringify(a1)],
				  ['header', '{"alg":' + JSON.stringify(a2) + '}']]),
			 r.now(), pub);
	}
	return cases;
}

// ---------------------------------------------------------------- verify cases

function verifyCase(cases, note, key, token, options, now) {
	cases.push({
		op: 'verify', note, key, token: checkText(token, 'token'),
		options: checkJson(options, 'options'), now,
	});
}

/* Payload claims against which the verify options are drawn. */
function claimPayload(r, nowS) {
	const m = [];
	const t = (d) => String(nowS + d);
	const deltas = [-100000, -1000, -2, -1, 0, 1, 2, 1000, 100000];
	const time = () => {
		if (r.chance(0.8)) {
			const d = r.pick(deltas) + (r.chance(0.2) ? r.pick([0.5, -0.5, 0.25]) : 0);

			return t(d);
		}
		return r.pick(['"x"', 'null', 'true', '[]', '{}', '1e308', '-1e308',
			       '1e400', '-1e400', '0', '"123"', '5e-324', '1e21']);
	};

	if (r.chance(0.7))
		m.push(member('iat', r.chance(0.85) ? t(r.pick([-100000, -3600, -60, -1, 0, 5])) :
			      r.pick(['0', '-5', '1.5', '"123"', 'null', '1e21', 'true'])));
	if (r.chance(0.6))
		m.push(member('exp', time()));
	if (r.chance(0.4))
		m.push(member('nbf', time()));
	if (r.chance(0.5))
		m.push(member('aud', r.pick(['"a"', '"b"', '["a","b"]', '[]', '5',
					    'null', '["x",5]', '[["a"]]', '"日本"',
					    '""', '["c"]', 'true', '-0', '5.0',
					    '"\\u0061"', '"\\ud83d\\ude00"',
					    '["\\u65e5\\u672c","b"]'])));
	if (r.chance(0.4))
		m.push(member('iss', r.pick(['"i1"', '"i2"', '5', 'null', '["i1"]',
					    '""'])));
	if (r.chance(0.4))
		m.push(member('sub', r.pick(['"s1"', '"s2"', '5', 'null', '""'])));
	if (r.chance(0.3))
		m.push(member('jti', r.pick(['"j1"', '"j2"', '1', 'null'])));
	if (r.chance(0.3))
		m.push(member('nonce', r.pick(['"n1"', '" n1 "', '"n2"', '1',
					      'null'])));
	return payloadLit(r, m, 2);
}

const VERIFY_OPTS = {
	audience: ['"a"', '["a","c"]', '["c"]', '""', '[]', '5', '["x",5]',
		   '[null,"b"]', '[[1,2],"q"]', '{}', 'true', '"日本"', '[["a"]]',
		   'null', '["b"]', '[0]', '"😀"', '["5"]', '[5e0]', '[true]'],
	issuer: ['"i1"', '["i1","i2"]', '["i3"]', '5', '""', '[]', 'null',
		 '["i1"]', '"i2"', '{"a":1}', '[5]', '[[1,2],null]'],
	subject: ['"s1"', '""', '5', '["s1"]', '"s2"', 'null', 'true'],
	jwtid: ['"j1"', '""', '1', '"j2"', '["j1"]'],
	nonce: ['"n1"', '""', '"   "', '"\\u00a0"', '5', 'null', '" n1 "',
		'"n2"', '"\\ufeff"', '"\\u2028"', 'true', '[]', '"n1"', '"n1"',
		'"n1"', '"n2"', '" n1 "', '"n1"', '"n3"', '"n1"', '"\\u180e"',
		'"\\u0085"', '"\\u000b"', '"\\u3000\\u205f"'],
	ignoreExpiration: ['true', 'false', '1', '"yes"', '0', 'null'],
	ignoreNotBefore: ['true', 'false', '1', '""', 'null'],
	clockTolerance: ['0', '1', '5', '-1', '0.5', '1000', '1e21', '-1e21',
			 '100000', '2.5', '-0'],
	maxAge: ['60', '0.5', '-1', '0', '1e10', '"1h"', '"60"', '"60000"',
		 '"abc"', '""', '"2 days"', '"-1h"', '"1.5s"', 'true', '[]', '{}',
		 'null', '"1e3"', '-1e400', '3600', '"3600000"', '100000',
		 '"1y"', '" 1h"'],
	complete: ['true', 'false', '"yes"', '1'],
	allowInvalidAsymmetricKeyTypes: ['false', '"x"', 'true', 'null', '1'],
	algorithms: ['["HS256"]', '"HS256"', '["HS384","HS256"]', '[]',
		     '"HS256,RS256"', '""', 'null', '5', '{}', 'true',
		     '["none"]', '["HS256",null]', '"none"', '0'],
};

/* How often each option is drawn (the early checks of nonce and
 * allowInvalidAsymmetricKeyTypes would hide the rest if drawn as often). */
const VERIFY_WEIGHTS = {
	audience: 4, issuer: 3, subject: 2, jwtid: 2, nonce: 1,
	ignoreExpiration: 2, ignoreNotBefore: 2, clockTolerance: 3, maxAge: 3,
	complete: 3, allowInvalidAsymmetricKeyTypes: 0.4, algorithms: 2,
	clockTimestamp: 2,
};

function pickWeighted(r, weights) {
	const total = Object.values(weights).reduce((a, b) => a + b, 0);
	let x = r.next() * total;

	for (const [k, w] of Object.entries(weights)) {
		x -= w;
		if (x < 0)
			return k;
	}
	return Object.keys(weights)[0];
}

function verifyOptions(r, nowS, max = 4) {
	const pairs = [];

	for (let n = r.int(max + 1); n > 0; n--) {
		const name = pickWeighted(r, VERIFY_WEIGHTS);

		if (name === 'clockTimestamp') {
			pairs.push([name, r.chance(0.7) ?
				String(nowS + r.pick([-100000, -1000, -1, 0, 1, 1000, 0.5])) :
				r.pick(['0', '-5', '1.5', '"123"', 'true', 'false',
					'null', '""', '[]'])]);
			continue;
		}
		pairs.push([name, r.pick(VERIFY_OPTS[name])]);
	}
	if (r.chance(0.05))
		pairs.push(['foo', '1']);
	return objText(pairs);
}

function genVerifyClaims(r) {
	const cases = [];

	for (let i = 0; i < 330; i++) {
		const now = r.now(), nowS = Math.floor(now / 1000);
		const key = r.pick(SECRETS), alg = r.pick(HS_ALGS);
		const token = craft({ header: hdr(alg), payload: claimPayload(r, nowS),
				      alg, key });

		verifyCase(cases, 'claims', key, token, verifyOptions(r, nowS), now);
	}
	/* payloads that are not objects, against claim options */
	const payloads = [
		['"hello"', undefined], ['hello', undefined], ['5', 'JWT'],
		['"str"', 'JWT'], ['null', 'JWT'], ['[1,{"aud":"a"}]', 'JWT'],
		['true', 'JWT'], ['[]', undefined], ['null', undefined],
		['{"aud":"a"}', undefined], ['{"exp":1}', 'jwt'], ['123', undefined],
	];
	for (const [p, typ] of payloads) {
		for (let i = 0; i < 5; i++) {
			const now = r.now(), nowS = Math.floor(now / 1000);

			verifyCase(cases, 'claims, payload ' + p, 'secret',
				   craft({ header: hdr('HS256', typ), payload: p,
					   alg: 'HS256', key: 'secret' }),
				   verifyOptions(r, nowS, 3), now);
		}
	}
	/* maxAge against iat */
	for (let i = 0; i < 40; i++) {
		const now = r.now(), nowS = Math.floor(now / 1000);
		const age = r.pick([0, 1, 59, 60, 61, 3599, 3600, 3601, 86400, 0.5]);
		const iat = r.chance(0.9) ? String(nowS - age) : r.pick(['"1"', 'null']);
		const opts = [['maxAge', r.pick(['60', '"1m"', '"60s"', '3600', '"1h"',
						 '"60000"', '59.5', '"1.5m"', '"1d"',
						 '"0.5s"', '1e21', '-60'])]];

		if (r.chance(0.3))
			opts.push(['clockTolerance', r.pick(['1', '-1', '0.5', '60'])]);
		if (r.chance(0.2))
			opts.push(['clockTimestamp', String(nowS + r.pick([-60, 0, 60]))]);
		verifyCase(cases, 'maxAge', 'secret', craft({
			header: hdr('HS256'), payload: '{"iat":' + iat + ',"a":1}',
			alg: 'HS256', key: 'secret' }), objText(opts), now);
	}
	/* expiry arithmetic at the edges */
	for (let i = 0; i < 40; i++) {
		const now = r.now(), nowS = Math.floor(now / 1000);
		const d = r.pick([-1, 0, 1, -0.5, 0.5, -0.25, 1e-9]);
		const tol = r.pick(['0', '1', '-1', '0.5', '0.25']);
		const claim = r.pick(['exp', 'nbf']);
		const payload = objText([[claim, String(nowS + d)],
					 ['iat', String(nowS - 10)]]);
		const opts = objText([['clockTolerance', tol]].concat(
			r.chance(0.4) ? [['maxAge', r.pick(['10', '9', '11', '"10s"', '"10000"'])]] : []));

		verifyCase(cases, 'time edge ' + claim, 'secret',
			   craft({ header: hdr('HS256'), payload, alg: 'HS256',
				   key: 'secret' }), opts, now);
	}
	return cases;
}

/* Segments of a valid HS256 token, to cut, pad and splice. */
function baseToken(r, key = 'secret', alg = 'HS256') {
	const nowS = Math.floor(NOW0 / 1000);

	return craft({ header: hdr(alg), payload: payloadLit(r, [
		member('iat', String(nowS)), member('exp', String(nowS + 40 * 86400)),
	], 3), alg, key });
}

function genVerifyTokens(r) {
	const cases = [];
	const opt = () => r.pick(['{}', '{}', '{"algorithms":["HS256"]}',
				  '{"complete":true}', '{"algorithms":"HS256"}',
				  '{"ignoreExpiration":true}']);
	const add = (note, token, key = 'secret', options = opt()) =>
		verifyCase(cases, note, key, token, options, r.now());

	/* valid, then tampered in each part */
	for (let i = 0; i < 30; i++) {
		const key = r.pick(SECRETS), t = baseToken(r, key, r.pick(HS_ALGS));

		add('valid', t, key);
		add('tampered header', tamper(r, t, 0, false), key);
		add('tampered payload', tamper(r, t, 1, false), key);
		add('tampered signature', tamper(r, t, 2, false), key);
	}
	/* truncated, extra dots, padding, bad characters */
	for (let i = 0; i < 25; i++) {
		const t = baseToken(r);
		const parts = t.split('.');

		add('truncated', t.slice(0, r.int(t.length)));
		const at = r.int(t.length + 1);

		add('extra dot', t.slice(0, at) + '.' + t.slice(at));
		add('padded', parts.map((p, k) => k === i % 3 ? p + r.pick(['=', '==', '===']) : p).join('.'));
		const bad = r.pick(['+', '/', ' ', '=', '*', 'é', '\n', '%', '\t',
				    '~', '\u0000', '"', '😀']);
		const pos = r.int(t.length + 1);

		add('bad character', t.slice(0, pos) + bad + t.slice(pos));
	}
	for (const t of ['', '.', '..', '...', 'a.b', 'a.b.c.d', 'a..c', '.b.c',
			 'a.b.', 'abc', ' ', 'null', 'eyJhbGciOiJIUzI1NiJ9..',
			 'e30.e30.', 'e30.e30.e30', 'e30.e30.e30.']) {
		add('shape ' + JSON.stringify(t), t);
		add('shape, key null ' + JSON.stringify(t), t, null,
		    r.pick(['{"algorithms":["none"]}', '{}']));
	}
	/* headers that are not JSON, falsy, or not objects */
	const headers = [
		'{"alg":"HS256"', 'abc', '{"alg":"HS256",}', "{'alg':'HS256'}",
		'0', '""', 'null', 'false', '1', '"HS256"', 'true', '[1]', '[]',
		'{}', '["HS256"]', '{"alg":"HS256"}x', ' {"alg":"HS256"} ',
		'\ufeff{"alg":"HS256"}', '{"alg":"HS256","typ":"JWT"}\n',
		'{"alg":"HS256","alg":"none"}', '{"alg":"none","alg":"HS256"}',
		'{"alg":"HS256","typ":"JWT","typ":"jwt"}',
		'{"alg":"HS\\u0032\\u00356"}', '{"alg":"HS256","typ":"\\u004aWT"}',
		'{"alg":"hs256"}', '{"alg":"HS256 "}', '{"alg":""}', '{"alg":null}',
		'{"alg":5}', '{"alg":["HS256"]}', '{"alg":{}}', '{"typ":"JWT"}',
		'{"alg":"HS256","kid":"../../x"}', '{"alg":"HSé"}',
		'{"alg":"HS256","x":"é"}', '{"alg":"HS256","typ":5}', '-0', '1e400',
		'{"alg":"HS256","typ":"JWT","a":[[[[[[[1]]]]]]]}', '{"alg":"HS256",\t"typ" : "JWT"}',
		'{"alg":"HS512","typ":"JWT"}', '{"alg":"RS256","typ":"JWT"}',
		'{"alg":"none","typ":"JWT"}', '{"alg":"HS1"}', '{"alg":"HS"}',
	];
	const algOpts = ['{}', '{"algorithms":["HS256"]}', '{"algorithms":"HS256"}',
			 '{"algorithms":"HS256null"}', '{"algorithms":"nullundefined"}',
			 '{"algorithms":[null]}', '{"algorithms":[5]}',
			 '{"algorithms":["HS256",null]}', '{"algorithms":"HS2565"}',
			 '{"algorithms":["HSé"]}', '{"algorithms":"HSé"}',
			 '{"algorithms":"HSÃ©"}', '{"algorithms":["HSÃ©"]}',
			 '{"algorithms":"[object Object]"}', '{"algorithms":"HS1"}',
			 '{"algorithms":["HS1","HS"]}', '{"algorithms":"HS"}',
			 '{"complete":true}', '{"algorithms":["HS256"],"complete":true}'];
	for (const h of headers) {
		for (const henc of ['utf8', 'latin1']) {
			if (henc === 'latin1' && !/[^\x00-\x7f]/.test(h))
				continue;
			const p = r.pick(['{"a":1}', '"s"', 'x']);
			const t = craft({ header: h, payload: p, alg: 'HS256',
					  key: 'secret', henc });

			for (let i = 0; i < 3; i++)
				add('header ' + h, t, 'secret', r.pick(algOpts));
		}
	}
	/* payloads that are not JSON, with and without typ */
	const payloads = [
		'hello', '{"a":1', '{a:1}', "{'a':1}", '{"a":1}x', 'NaN', '01',
		'[1,]', '{"a":"\x01"}', '\ufeff{}', '{"a":1,}', '1.', '.5', '-',
		'+1', '1e', '"abc', '{"a":"\\x"}', '{"a":"\\u12"}', 'tru', 'nul',
		'{"a" 1}', '{"a":1 "b":2}', '[1 2]', '{"a":[}', '{"a":01}',
		'Infinity', '{"a":1}}', '{}{}', ' ', '\t{}\n', '{"\\ud800":1}',
		'{"a":"\\uD83D\\uDE00"}', '{"a":1,"a":2}', '{"exp":1,"exp":9999999999}',
		'{"nbf":9999999999,"nbf":1}', '{"a":-0}', '{"a":1e400}',
		'{"a":"\x7f"}', '{"a":"\u2028"}', '[]', '{"a":1e}', '{"a":[1,2,]}',
		'{"a":true,"b":false,"c":null}', '{"a":TRUE}', '{"a":"\\/"}',
		'{"a":"\\\'"}',
	];
	for (const p of payloads) {
		for (const typ of ['JWT', undefined]) {
			const t = craft({ header: hdr('HS256', typ), payload: p,
					  alg: 'HS256', key: 'secret' });

			add('payload ' + JSON.stringify(p), t);
		}
	}
	/* payload bytes that are not UTF-8 */
	const raw = [
		[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d],
		[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d],
		[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d],
		[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d],
		[0x7b, 0x22, 0xf0, 0x9f, 0x98, 0x22, 0x3a, 0x31, 0x7d],
		[0xef, 0xbb, 0xbf, 0x7b, 0x7d], [0x7b, 0x7d, 0x00], [0xff],
		[0x7b, 0x22, 0x61, 0x75, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d],
	];
	for (const bytes of raw) {
		for (const typ of ['JWT', undefined]) {
			const t = craft({ header: hdr('HS256', typ), payload: Buffer.from(bytes),
					  alg: 'HS256', key: 'secret' });

			add('payload bytes ' + Buffer.from(bytes).toString('hex'), t,
			    'secret', r.pick(['{}', '{"audience":"\\ufffd"}',
					      '{"complete":true}']));
		}
	}
	/* segments decoded leniently: a lone trailing character, non-zero
	 * trailing bits (signed after the change, so only decoding decides) */
	for (let i = 0; i < 16; i++) {
		const h = seg(hdr('HS256')), p = seg(payloadLit(r, [], 2));
		const k = i % 2;
		const parts = [h, p];

		if (i < 8)
			parts[k] += r.pick(B64);
		else
			parts[k] = flipAt(r, parts[k], parts[k].length - 1);
		add('lenient segment', craft({ hseg: parts[0], pseg: parts[1],
					       alg: 'HS256', key: 'secret' }));
	}
	/* alg "none" */
	const nowS = Math.floor(NOW0 / 1000);
	for (const typ of ['JWT', undefined]) {
		const p = objText([['sub', '"x"'], ['exp', String(nowS + 40 * 86400)]]);
		const t = craft({ header: hdr('none', typ), payload: p, alg: 'none' });

		for (const o of ['{"algorithms":["none"]}', '{}', '{"algorithms":"none"}',
				 '{"algorithms":["none","HS256"]}', '{"algorithms":["HS256"]}',
				 '{"algorithms":["none"],"complete":true}',
				 '{"algorithms":["none"],"audience":"a"}',
				 '{"algorithms":[]}', '{"algorithms":""}']) {
			add('none', t, null, o);
			add('none with a secret', t, 'secret', o);
			add('none with an RSA key', t, KEYS.rsa.spki, o);
			add('none, signature appended', t + 'AAAA', null, o);
			add('none, signature appended, secret', t + 'AAAA', 'secret', o);
		}
	}
	/* an unsigned token claiming HS256 */
	const hsNoSig = craft({ header: hdr('HS256'), payload: '{"a":1}', alg: 'none' });
	for (const o of ['{"algorithms":["HS256"]}', '{}', '{"algorithms":["none"]}'])
		for (const key of [null, 'secret'])
			add('HS256 without signature', hsNoSig, key, o);
	/* HS256 with a public key PEM as the HMAC secret */
	for (const pub of [KEYS.rsa.spki, KEYS.rsa.pkcs1pub, KEYS.p256.spki, KEYS.rsa.pkcs1]) {
		const t = craft({ header: hdr('HS256'), payload: '{"sub":"admin"}',
				  alg: 'HS256', key: pub });

		for (const o of ['{"algorithms":["HS256"]}', '{}',
				 '{"algorithms":["HS256","RS256"]}', '{"algorithms":"HS256"}'])
			add('algorithm confusion', t, pub, o);
	}
	return cases;
}

/* Public keys (or private PEMs, which verify too) for a family. */
const EC_OF = { ES256: 'p256', ES384: 'p384', ES512: 'p521' };

function genVerifyAlgorithms(r) {
	const cases = [];
	const k = KEYS;
	const add = (note, key, token, options, now = r.now()) =>
		verifyCase(cases, note, key, token, options, now);
	const algOpts = (alg) => r.pick(['{}', '{}', '{}', objText([['algorithms', '[' + JSON.stringify(alg) + ']']]),
					 '{"algorithms":["RS256"]}', '{"algorithms":"RS256,PS256,ES256"}',
					 '{"algorithms":["HS256",' + JSON.stringify(alg) + ']}', '{"algorithms":[]}',
					 '{"complete":true}', '{"algorithms":"' + alg + '","complete":true}']);

	for (const alg of ALGS.slice(3)) {
		const ec = EC_OF[alg];
		const priv = ec ? k[ec].sec1 : k.rsa.pkcs1;
		const goodKeys = ec ? [k[ec].spki, k[ec].sec1, k[ec].pkcs8] :
				 [k.rsa.spki, k.rsa.pkcs1pub, k.rsa.pkcs1, k.rsa.pkcs8];
		const badKeys = ec ? [k.rsa.spki, ec === 'p256' ? k.p384.spki : k.p256.spki,
				      'secret', k.rsa2.spki] :
				 [k.rsa2.spki, k.p256.spki, 'secret', k.p521.sec1];

		for (let i = 0; i < 8; i++) {
			const now = r.now(), nowS = Math.floor(now / 1000);
			const token = craft({ header: hdr(alg), payload: claimPayload(r, nowS),
					      alg, key: priv });

			add(alg + ' valid', r.pick(goodKeys), token,
			    r.chance(0.6) ? r.pick(['{}', '{"complete":true}',
						    '{"algorithms":["' + alg + '"]}']) : algOpts(alg),
			    now);
			add(alg + ' other key', r.pick(badKeys), token, algOpts(alg));
			add(alg + ' tampered signature (middle)', r.pick(goodKeys),
			    tamper(r, token, 2, true), algOpts(alg));
			if (i < 3) {
				add(alg + ' tampered header', goodKeys[0], tamper(r, token, 0, true), '{}');
				add(alg + ' tampered payload', goodKeys[0], tamper(r, token, 1, true), '{}');
			}
		}
		/* the payload claims, checked after the signature */
		const t2 = craft({ header: hdr(alg), payload: objText([
			['exp', String(Math.floor(NOW0 / 1000) - 10)], ['aud', '"a"']]),
				  alg, key: priv });
		for (const o of ['{}', '{"ignoreExpiration":true,"audience":"b"}',
				 '{"ignoreExpiration":true,"audience":"a","complete":true}'])
			add(alg + ' claims', goodKeys[0], t2, o);
		/* signature lengths */
		const parts = t2.split('.');
		const sig = Buffer.from(parts[2], 'base64url');

		for (const n of [0, 1, -1, 3, -3, -sig.length + 1]) {
			let s;

			if (n === 0)
				continue;
			if (n > 0)
				s = Buffer.concat([sig, Buffer.alloc(n, 0x41)]);
			else
				s = sig.subarray(0, sig.length + n);
			add(alg + ' signature of ' + s.length + ' bytes', goodKeys[0],
			    parts[0] + '.' + parts[1] + '.' + s.toString('base64url'),
			    r.pick(['{}', '{"ignoreExpiration":true}']));
		}
		/* ECDSA r = s = 0, r = s = 1, and all ones */
		if (ec) {
			for (const fill of [0x00, 0x01, 0xff]) {
				const z = Buffer.alloc(sig.length, 0);

				if (fill === 0x01) {
					z[sig.length / 2 - 1] = 1;
					z[sig.length - 1] = 1;
				} else {
					z.fill(fill);
				}
				add(alg + ' r,s fill ' + fill, goodKeys[0],
				    parts[0] + '.' + parts[1] + '.' + z.toString('base64url'),
				    r.pick(['{}', '{"ignoreExpiration":true}']));
			}
		}
	}
	/* an RSA signature under the other padding, or the other digest */
	for (const [hAlg, sAlg] of [['RS256', 'PS256'], ['PS256', 'RS256'],
				     ['RS384', 'RS256'], ['PS512', 'PS384'],
				     ['ES256', 'ES384'], ['ES384', 'ES256']]) {
		const key = sAlg.startsWith('ES') ? k[EC_OF[sAlg]].sec1 : k.rsa.pkcs1;
		const h = seg(hdr(hAlg)), p = seg('{"a":1}');
		const t = h + '.' + p + '.' + signWith(sAlg, h + '.' + p, key);

		for (const pub of [k.rsa.spki, k.p256.spki, k.p384.spki])
			add('alg ' + hAlg + ' signed as ' + sAlg, pub, t,
			    r.pick(['{}', '{"algorithms":["' + hAlg + '"]}']));
	}
	/* key type against alg, with explicit algorithms */
	for (let i = 0; i < 30; i++) {
		const alg = r.pick(ALGS);
		const ks = keysFor(alg);
		const [priv] = ks[0];
		const t = craft({ header: hdr(alg), payload: '{"a":1}', alg, key: priv });
		const key = r.pick([k.rsa.spki, k.p256.spki, k.p384.spki, k.p521.spki,
				    'secret', k.rsa.pkcs1pub, k.p521.pkcs8]);

		add('key type vs alg ' + alg, key, t,
		    objText([['algorithms', JSON.stringify(r.shuffle(ALGS).slice(0, r.range(1, 12)))]]));
	}
	return cases;
}

// ---------------------------------------------------------------- all

const CATEGORIES = {
	'sign: payloads': genSignPayloads,
	'sign: options': genSignOptions,
	'sign: algorithms and keys': genSignAlgorithms,
	'verify: claims and options': genVerifyClaims,
	'verify: token shapes': genVerifyTokens,
	'verify: algorithms and keys': genVerifyAlgorithms,
};

function generate(seed = SEED) {
	const out = {};

	for (const [name, fn] of Object.entries(CATEGORIES))
		out[name] = fn(new Rng(seed + ':' + name));
	return out;
}

module.exports = {
	SEED, KEYS, SECRETS, NOW0, Rng, generate, craft, seg, signWith, hdr,
	flipAt,
};

if (require.main === module) {
	const all = generate(process.argv[2] || SEED);
	let total = 0;

	for (const [name, cases] of Object.entries(all)) {
		console.log(String(cases.length).padStart(6) + '  ' + name);
		total += cases.length;
	}
	console.log(String(total).padStart(6) + '  total');
}
