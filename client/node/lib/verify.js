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
function verifyPlan(options) {
	const o = Object.assign({}, options);
	let audience;

	delete o.socket;
	if (o.audience && hasRegExp(o.audience)) {
		audience = o.audience;
		delete o.audience;
	}
	return { json: JSON.stringify(o), audience, complete: o.complete === true };
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
