'use strict';
/*
 * sign.js - a sign's payload and options on their way to agauthd, and
 * what comes back applied as jsonwebtoken 9 applies it.
 *
 * The payload goes as JSON.stringify makes it (agauthd writes its members
 * back in the same order and form, so tokens are byte for byte
 * jsonwebtoken's; payloadText says where it differs), the options as JSON
 * without ag-auth's `socket`.  With
 * mutatePayload: true the caller's object gains the claims sign added
 * (iat, nbf, exp, aud, iss, sub, jti; noTimestamp deletes iat), as
 * jsonwebtoken's own assignments would leave it.
 */

/* lodash.isplainobject, which jsonwebtoken checks an object payload
 * with; JSON cannot tell a class instance from a plain object. */
function isPlainObject(v) {
	if (v === null || typeof v !== 'object' ||
	    Object.prototype.toString.call(v) !== '[object Object]')
		return false;
	const proto = Object.getPrototypeOf(v);

	if (proto === null)
		return true;
	const Ctor = Object.prototype.hasOwnProperty.call(proto, 'constructor') &&
		     proto.constructor;

	return typeof Ctor === 'function' && Ctor instanceof Ctor &&
	       Function.prototype.toString.call(Ctor) ===
	       Function.prototype.toString.call(Object);
}

const CLAIMS = ['iat', 'exp', 'nbf'];

function infinite(v) {
	return v === Infinity || v === -Infinity;
}

/*
 * JSON.stringify(token), except for infinite numbers, which JSON writes
 * as null: an infinite payload (jws writes it as "Infinity") and an
 * infinite iat, exp or nbf (a number to jsonwebtoken's checks, null in
 * its token) go as 1e400 or -1e400, which agauthd reads as the same
 * number and writes back as jws and JSON.stringify do.  (NaN has no JSON
 * form agauthd could read: it goes as null.)
 */
function payloadText(token) {
	if (infinite(token))
		return token > 0 ? '1e400' : '-1e400';      /* jws writes "Infinity" */
	if (token === null || typeof token !== 'object' || Array.isArray(token) ||
	    typeof token.toJSON === 'function' || !CLAIMS.some((c) => infinite(token[c])))
		return JSON.stringify(token);
	const members = [];

	for (const k of Object.keys(token)) {
		const v = token[k];
		const text = CLAIMS.includes(k) && infinite(v) ? (v > 0 ? '1e400' : '-1e400') :
			     JSON.stringify(v);

		if (text !== undefined)
			members.push(JSON.stringify(k) + ':' + text);
	}
	return '{' + members.join(',') + '}';
}

/*
 * {payload, opts, mutate, noTimestamp}, the JSON texts of the request;
 * throws what jsonwebtoken would throw before any option is looked at,
 * or what this client cannot send.
 */
function signPlan(token, options) {
	const o = Object.assign({}, options);

	delete o.socket;
	if (token === undefined)
		throw new Error('payload is required');
	if (Buffer.isBuffer(token))
		throw new TypeError('agauthd: a Buffer payload cannot be sent; ' +
				    'pass an object or a string');
	/* null and arrays JSON carries, and agauthd refuses them alike */
	if (token !== null && typeof token === 'object' && !Array.isArray(token) &&
	    !isPlainObject(token))
		throw new Error('Expected "payload" to be a plain object.');
	const payload = payloadText(token);

	if (payload === undefined)
		throw new TypeError(`agauthd: a ${typeof token} payload has no JSON form`);
	return {
		payload,
		opts: JSON.stringify(o),
		mutate: o.mutatePayload === true && token !== null && typeof token === 'object',
		noTimestamp: !!o.noTimestamp,
	};
}

/* mutatePayload: the claims of the reply's `added` onto the caller's
 * object. */
function applyAdded(token, plan, added) {
	if (plan.noTimestamp)
		delete token.iat;
	Object.assign(token, JSON.parse(added));
}

module.exports = { signPlan, applyAdded, isPlainObject };
