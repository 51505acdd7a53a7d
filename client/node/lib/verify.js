'use strict';
/*
 * verify.js - a verify's options on their way to agauthd, and its result
 * on the way back, as ag-auth 2.1 and jsonwebtoken 9 hand them out.
 */
const { hasRegExp } = require('./audience');

/*
 * ag-auth's copy of the options without `socket`, as the JSON text agauthd
 * (and the cache) take: {json, audience, complete}.  An audience with a
 * RegExp stays out of the JSON and is returned to be checked here
 * (audience.js); undefined otherwise.
 */
function makePlan(options) {
	const o = Object.assign({}, options);
	let audience;

	/* (undefined members are left out of the JSON, as deleted ones) */
	o.socket = undefined;
	if (o.audience && hasRegExp(o.audience)) {
		audience = o.audience;
		o.audience = undefined;
	}
	return { json: JSON.stringify(o), audience, complete: o.complete === true };
}

/*
 * A worker passes the same options every time (SocketCluster a fresh
 * object with the same members and a `socket`), so the last plan is
 * kept with what it was made from: the own enumerable members but
 * `socket`, in order, each a string, a finite number, a boolean, or an
 * array of those (compared member by member: it may have been changed
 * in place).  Options equal in that sense have the same JSON text, so
 * they get the same plan; anything else makes a new one.
 */
let last = null;           /* {keys, values, plan} */

/* A copy of options' members to compare with later, or null if one of
 * them is not simple enough to compare. */
function snapshot(options, keys) {
	const values = [];

	for (const k of keys) {
		const v = options[k];

		if (Array.isArray(v)) {
			if (!v.every(plain))
				return null;
			values.push(v.slice());
		} else if (plain(v)) {
			values.push(v);
		} else {
			return null;
		}
	}
	return values;
}

function plain(v) {
	return typeof v === 'string' || typeof v === 'boolean' ||
	       (typeof v === 'number' && Number.isFinite(v));
}

/* Whether options has exactly the members last was made from. */
function same(options, keys) {
	const { keys: lk, values } = last;

	if (keys.length !== lk.length)
		return false;
	for (let i = 0; i < keys.length; i++) {
		if (keys[i] !== lk[i])
			return false;
		const v = options[keys[i]];
		const w = values[i];

		if (Array.isArray(w)) {
			if (!Array.isArray(v) || v.length !== w.length)
				return false;
			for (let j = 0; j < w.length; j++)
				if (v[j] !== w[j])
					return false;
		} else if (v !== w) {
			return false;
		}
	}
	return true;
}

function verifyPlan(options) {
	let keys = Object.keys(options);

	if (keys.includes('socket'))
		keys = keys.filter((k) => k !== 'socket');
	if (last !== null && same(options, keys))
		return last.plan;
	const plan = makePlan(options);
	const values = snapshot(options, keys);

	last = values === null ? null : { keys, values, plan };
	return plan;
}

/* The text of a reply's bin field (msgpackr gives a Buffer view). */
function text(bin) {
	return Buffer.isBuffer(bin) ? bin.toString('utf8') :
	       Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength).toString('utf8');
}

function completed(token, header, payload) {
	return { header, payload, signature: token.split('.')[2] };
}

/* jsonwebtoken's value from agauthd's verify reply. */
function fromReply(r, token, complete) {
	const t = text(r.payload);
	const payload = r.kind === 'json' ? JSON.parse(t) : t;

	return complete ? completed(token, JSON.parse(text(r.header)), payload) : payload;
}

/* jsonwebtoken's value from a cache hit: the payload's JSON text, or
 * [payload, header, kid] with complete: true (the cache holds object
 * payloads only).  A fresh object every time. */
function fromHit(hit, token, complete) {
	if (typeof hit === 'string')
		return JSON.parse(hit);
	const payload = JSON.parse(hit[0]);

	return complete ? completed(token, JSON.parse(hit[1]), payload) : payload;
}

/* The payload inside a value (complete: true wraps it). */
function payloadOf(value, complete) {
	return complete ? value.payload : value;
}

module.exports = { verifyPlan, fromReply, fromHit, payloadOf };
