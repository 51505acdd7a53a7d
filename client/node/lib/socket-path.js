'use strict';
/*
 * socket-path.js - where agauthd listens, as libagauth finds it: the
 * caller's path, else $AGAUTHD_SOCKET, else /run/agauthd/agauthd.sock.
 */

const SOCKET_ENV = 'AGAUTHD_SOCKET';
const DEFAULT_SOCKET_PATH = '/run/agauthd/agauthd.sock';

/* The socket path to use; read when an engine is made. */
function defaultSocketPath(socketPath) {
	return socketPath || process.env[SOCKET_ENV] || DEFAULT_SOCKET_PATH;
}

module.exports = { SOCKET_ENV, DEFAULT_SOCKET_PATH, defaultSocketPath };
