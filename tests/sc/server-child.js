'use strict';
/*
 * server-child.js - one SocketCluster server process for the suite's
 * multi-process test (forked by sc.js's child()): an AGServer whose
 * authEngine is `new AuthEngine()` (the daemon's socket from
 * $AGAUTHD_SOCKET, the engine's default), on its own HTTP server on
 * 127.0.0.1:0.  It tells its parent { ready, port, cacheAttached } over IPC, then
 * answers { id, cmd } messages with { id, result } or { id, error }:
 *
 *   sockets   [{ id, authState, authToken, signedAuthToken }] of its clients
 *   stats     the engine's stats() (the daemon's admin counters)
 *   exit      closes the server, the engine and exits 0
 *
 * Clients may invoke 'login' (data: the authToken to set): the server
 * signs it with socket.setAuthToken, as an application's login does.
 */
const http = require('node:http');
const path = require('node:path');

const scServer = require('socketcluster-server');

const { AuthEngine } = require(path.join(__dirname, '..', '..', 'client', 'node'));

const engine = new AuthEngine();
const httpServer = http.createServer();
const agServer = scServer.attach(httpServer, { authEngine: engine });

(async () => {
	for await (const { socket } of agServer.listener('connection')) {
		(async () => {
			for await (const req of socket.procedure('login')) {
				try {
					await socket.setAuthToken(req.data);
					req.end();
				} catch (e) {
					req.error(e);
				}
			}
		})();
	}
})();

async function close() {
	agServer.closeAllListeners();
	await agServer.close();
	httpServer.closeAllConnections();
	await new Promise((resolve) => httpServer.close(resolve));
	await engine.close();
}

const commands = {
	sockets: () => Object.values(agServer.clients).map((s) => ({
		id: s.id, authState: s.authState, authToken: s.authToken,
		signedAuthToken: s.signedAuthToken,
	})),
	stats: () => engine.stats(),
	exit: async () => {
		await close();
		setImmediate(() => process.exit(0));
		return true;
	},
};

process.on('message', async (m) => {
	try {
		const result = await commands[m.cmd](m);
		process.send({ id: m.id, result });
	} catch (e) {
		process.send({ id: m.id, error: e.stack || String(e) });
	}
});
/* the parent went away: nothing may be left running */
process.on('disconnect', () => process.exit(1));

/* ready once listening and with the daemon's cache attached (the engine
 * maps it in the background), so that known tokens are cache hits */
httpServer.listen(0, '127.0.0.1', async () => {
	const end = Date.now() + 5000;
	while (!engine.cacheAttached && Date.now() < end)
		await new Promise((r) => setTimeout(r, 10));
	process.send({ ready: true, port: httpServer.address().port, cacheAttached: engine.cacheAttached });
});
