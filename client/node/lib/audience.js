'use strict';
/*
 * audience.js - jsonwebtoken's `audience` check, for audiences JSON
 * cannot carry to agauthd: a RegExp, alone or in an array.
 *
 * Such a verify goes to agauthd (or the cache) without `audience`, and
 * the check runs here, exactly as jsonwebtoken 9 runs it (verify.js):
 * after the signature, nbf and exp, before issuer, subject, jwtid,
 * nonce and maxAge.  So an error of those later checks (and agauthd's
 * "jwt revoked", which comes after every claim) yields to a failed
 * audience; the payload is then decoded from the token, as jws decodes
 * it, since no reply carries it.
 */

/* The codes of the checks that come after the audience. */
const AFTER_AUDIENCE = new Set([
	'AG_E_ISSUER', 'AG_E_SUBJECT', 'AG_E_JWTID', 'AG_E_NONCE',
	'AG_E_IAT_REQUIRED', 'AG_E_MAXAGE_SPAN', 'AG_E_MAXAGE', 'AG_E_REVOKED',
]);

function hasRegExp(audience) {
	return audience instanceof RegExp ||
	       (Array.isArray(audience) && audience.some((a) => a instanceof RegExp));
}

/* jsonwebtoken's check: null, or the JsonWebTokenError to throw. */
function audienceError(audience, payload, JsonWebTokenError) {
	const audiences = Array.isArray(audience) ? audience : [audience];
	const target = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
	const match = target.some((t) => audiences.some((a) =>
		(a instanceof RegExp ? a.test(t) : a === t)));

	return match ? null :
	       new JsonWebTokenError('jwt audience invalid. expected: ' + audiences.join(' or '));
}

/* The payload as jsonwebtoken's decode makes it: jws parses it for typ
 * JWT, then a string that parses to an object becomes that object. */
function tokenPayload(token) {
	const [h, p] = token.split('.');
	const header = JSON.parse(Buffer.from(h, 'base64').toString('binary'));
	let payload = Buffer.from(p, 'base64').toString('utf8');

	if (header.typ === 'JWT')
		payload = JSON.parse(payload);
	if (typeof payload === 'string') {
		try {
			const o = JSON.parse(payload);

			if (o !== null && typeof o === 'object')
				payload = o;
		} catch (e) {
			/* a plain string payload */
		}
	}
	return payload;
}

module.exports = { AFTER_AUDIENCE, hasRegExp, audienceError, tokenPayload };
