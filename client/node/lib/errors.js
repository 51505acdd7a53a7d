'use strict';
/*
 * errors.js - the errors a JavaScript client rebuilds from an engine reply.
 *
 * agauthd answers a failed sign or verify with {code, name, message,
 * date}.  Applications (and SocketCluster, which maps errors by `name`)
 * must see exactly what jsonwebtoken 9 would have thrown, so the three
 * jsonwebtoken classes are rebuilt here the way its lib/*.js defines them:
 * same constructor style, same own properties (name, message, inner,
 * expiredAt, date), same prototype chain under Error.
 */

function JsonWebTokenError(message, error) {
	Error.call(this, message);
	if (Error.captureStackTrace)
		Error.captureStackTrace(this, this.constructor);
	this.name = 'JsonWebTokenError';
	this.message = message;
	if (error)
		this.inner = error;
}
JsonWebTokenError.prototype = Object.create(Error.prototype);
JsonWebTokenError.prototype.constructor = JsonWebTokenError;

function TokenExpiredError(message, expiredAt) {
	JsonWebTokenError.call(this, message);
	this.name = 'TokenExpiredError';
	this.expiredAt = expiredAt;
}
TokenExpiredError.prototype = Object.create(JsonWebTokenError.prototype);
TokenExpiredError.prototype.constructor = TokenExpiredError;

function NotBeforeError(message, date) {
	JsonWebTokenError.call(this, message);
	this.name = 'NotBeforeError';
	this.date = date;
}
NotBeforeError.prototype = Object.create(JsonWebTokenError.prototype);
NotBeforeError.prototype.constructor = NotBeforeError;

/*
 * sc-errors' InvalidArgumentsError, which ag-auth rejects a token that is
 * not a string with: own name and message, a stack, and its prototype
 * made with Object.create(Error.prototype) and no constructor of its own.
 */
function InvalidArgumentsError(message) {
	this.name = 'InvalidArgumentsError';
	this.message = message;
	Error.captureStackTrace(this, InvalidArgumentsError);
}
InvalidArgumentsError.prototype = Object.create(Error.prototype);

/*
 * agauthd's own failures, and this client's (cannot connect, connection
 * lost, timeout): an Error named AgauthError with the symbolic code
 * (AG_E_CONNECT, AG_E_DISCONNECTED, AG_E_UNAUTHORIZED, ...), as
 * rebuildError makes them from a reply.
 */
function agauthError(code, message, cause) {
	const e = new Error(message);

	e.name = 'AgauthError';
	e.code = code;
	if (cause !== undefined)
		e.cause = cause;
	return e;
}

/*
 * agauthd did not answer at path (cause: the connection's error): what to
 * check, for engine.ready() and the warning at start.
 */
function unreachableError(path, cause) {
	/* the system's word (ENOENT, ECONNREFUSED, EACCES) when there is one */
	const why = (cause.cause && cause.cause.code) || cause.message;

	return agauthError('AGAUTHD_UNREACHABLE',
		`agauthd is not answering at ${path} (${why}): check that ` +
		'agauthd runs and listens on that socket (the path is the engine\'s ' +
		'socketPath option, else the AGAUTHD_SOCKET environment variable)', cause);
}

/* The reply's date in seconds as jsonwebtoken's `new Date(s * 1000)`;
 * a date that is not finite crosses JSON as null and means Invalid Date. */
function replyDate(date) {
	return new Date(typeof date === 'number' ? date * 1000 : NaN);
}

/*
 * V8's own SyntaxError for the payload of a typ:JWT token, produced the
 * way jsonwebtoken produces it (jws decodes the segment as base64 and
 * UTF-8, then JSON.parse).  The engine cannot spell V8's message, so it
 * only says "SyntaxError"; the exact error is made here.
 */
function payloadSyntaxError(reply, token) {
	const parts = typeof token === 'string' ? token.split('.') : [];

	if (parts.length === 3) {
		try {
			JSON.parse(Buffer.from(parts[1], 'base64').toString('utf8'));
		} catch (e) {
			return e;
		}
	}
	/* the engine and V8 disagree on this payload: keep the engine's word */
	return new SyntaxError(reply.message);
}

/*
 * rebuildError(reply, token): the Error instance for a failure reply
 * {code, name, message, date} of the driver or the daemon.  `token` is
 * the verified token (needed for SyntaxError only).
 */
function rebuildError(reply, token) {
	switch (reply.name) {
	case 'JsonWebTokenError':
		return new JsonWebTokenError(reply.message);
	case 'TokenExpiredError':
		return new TokenExpiredError(reply.message, replyDate(reply.date));
	case 'NotBeforeError':
		return new NotBeforeError(reply.message, replyDate(reply.date));
	case 'Error': {
		const e = new Error(reply.message);

		/* jws tags the one Error it throws itself */
		if (reply.message === 'Missing algorithm parameter for jws.verify')
			e.code = 'MISSING_ALGORITHM';
		return e;
	}
	case 'TypeError':
		return new TypeError(reply.message);
	case 'SyntaxError':
		return payloadSyntaxError(reply, token);
	default: {
		/* agauthd's own failures (limits, keys, configuration) */
		const e = new Error(reply.message);

		e.name = reply.name || 'AgauthError';
		if (reply.code !== undefined)
			e.code = reply.code;
		return e;
	}
	}
}

module.exports = {
	JsonWebTokenError,
	TokenExpiredError,
	NotBeforeError,
	InvalidArgumentsError,
	agauthError,
	unreachableError,
	rebuildError,
};
