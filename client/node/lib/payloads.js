'use strict';
/*
 * payloads.js - the payloads of tokens the cache answered before in this
 * process, parsed once.
 *
 * A hit hands out a fresh object every time (jsonwebtoken does, and a
 * caller may change what it got), and copying a parsed payload costs a
 * fifth of parsing its JSON again.  A token's payload is its own middle
 * segment, so an entry never goes stale: whether the token is still
 * valid is the cache's to say at every verify (cache.js).  The first hit
 * of a token keeps its text, the second parses it once more into the
 * template that later hits copy.
 *
 * A table of ENTRIES places, a token's place chosen by its last three
 * characters (a JWT's signature: as good as random), each place holding
 * the last token kept there: finding a token costs no hash of it, so a
 * verify that misses the cache pays next to nothing here.
 */
const PLACE_BITS = 12;
const ENTRIES = 1 << PLACE_BITS;
/* deeper payloads are parsed every time, so that a copy's recursion
 * stays short (agauthd caches none deeper than its AG_JSON_MAX_DEPTH,
 * 32, today) */
const DEPTH_MAX = 32;

/* token's place in the table */
function place(token) {
	const n = token.length;

	if (n < 3)
		return 0;
	const tail = token.charCodeAt(n - 1) | token.charCodeAt(n - 2) << 8 |
		     token.charCodeAt(n - 3) << 16;

	return Math.imul(tail, 0x9e3779b1) >>> (32 - PLACE_BITS);
}

class Payloads {
	constructor() {
		this.table = new Array(ENTRIES).fill(null);   /* {token, text, template} */
	}

	/* token's entry, or undefined */
	get(token) {
		const e = this.table[place(token)];

		return e !== null && e.token === token ? e : undefined;
	}

	/* Keeps the payload text of a token the cache answered. */
	add(token, text) {
		this.table[place(token)] = { token, text, template: undefined };
	}

	/* A fresh payload object from entry, as JSON.parse of its text. */
	value(entry) {
		if (!pristine())
			return JSON.parse(entry.text);
		if (entry.template === undefined) {
			const o = JSON.parse(entry.text);

			entry.template = copyable(o, 0) ? o : null;
			if (entry.template === null)
				return o;
		}
		return entry.template === null ? JSON.parse(entry.text) : copy(entry.template);
	}
}

const EMPTY = {};

/* Whether Object.prototype has no enumerable member, which a copy's
 * for-in would make an own member of every object (a polluted
 * prototype; its setters are not looked for). */
function pristine() {
	for (const _ in EMPTY)
		return false;
	return true;
}

/* Whether copy(v) makes what JSON.parse made: not too deep, and no
 * member named __proto__ (JSON.parse makes it an own member, an
 * assignment would set the prototype). */
function copyable(v, depth) {
	if (typeof v !== 'object' || v === null)
		return true;
	if (depth > DEPTH_MAX)
		return false;
	if (Array.isArray(v))
		return v.every((x) => copyable(x, depth + 1));
	for (const k in v) {
		if (k === '__proto__' || !copyable(v[k], depth + 1))
			return false;
	}
	return true;
}

/* A deep copy of a value JSON.parse made: members in the same order. */
function copy(v) {
	if (typeof v !== 'object' || v === null)
		return v;
	if (Array.isArray(v)) {
		const a = [];

		for (let i = 0; i < v.length; i++)
			a.push(copy(v[i]));
		return a;
	}
	const o = {};

	for (const k in v)
		o[k] = copy(v[k]);
	return o;
}

module.exports = { Payloads };
