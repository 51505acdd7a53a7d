'use strict';
/*
 * agauthd - a SocketCluster AuthEngine (ag-auth 2.1's contract) that
 * signs and verifies through agauthd, the key-holding JWT daemon.
 *
 *   const { AuthEngine } = require('agauthd');
 *   agServer.setAuthEngine(new AuthEngine({ socketPath: '/run/agauthd/agauthd.sock' }));
 *
 * README.md documents the API; index.d.ts types it.
 */
const { AuthEngine } = require('./lib/engine');
const { Watcher } = require('./lib/watcher');
const {
	JsonWebTokenError, TokenExpiredError, NotBeforeError, InvalidArgumentsError,
	rebuildError,
} = require('./lib/errors');
const { SOCKET_ENV, DEFAULT_SOCKET_PATH, defaultSocketPath } = require('./lib/socket-path');

module.exports = {
	AuthEngine,
	Watcher,
	JsonWebTokenError,
	TokenExpiredError,
	NotBeforeError,
	InvalidArgumentsError,
	rebuildError,
	SOCKET_ENV,
	DEFAULT_SOCKET_PATH,
	defaultSocketPath,
};
