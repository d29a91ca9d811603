// A minimal tus v1 server (@tus/server + @tus/file-store), used as a negative control for the
// SERVER role: it speaks tus, not the IETF "Resumable Uploads for HTTP" draft, so it has no
// 200 + Upload-Limit preflight (NET-03) and sends no 104 on creation (NET-06).
//
//   node server.js [PORT]        (or PORT=... node server.js; 0 or nothing = a free port)
//
// Listens on 127.0.0.1 only, accepts uploads at /upload, stores them in a fresh temporary
// directory (removed on exit), and prints `listening http://127.0.0.1:PORT` once ready.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const HOST = "127.0.0.1";
const raw = process.argv[2] ?? process.env.PORT ?? "0";
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`server.js: not a port: ${JSON.stringify(raw)}`);
  process.exit(2);
}

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "tus-negative-control-"));
const tus = new Server({ path: "/upload", datastore: new FileStore({ directory }) });
const server = http.createServer((req, res) => tus.handle(req, res));

function cleanup() {
  fs.rmSync(directory, { recursive: true, force: true });
}

function stop() {
  server.close();
  server.closeAllConnections();
  cleanup();
  process.exit(0);
}

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("exit", cleanup);

server.on("error", (err) => {
  console.error(`server.js: ${err.message}`);
  process.exit(1);
});

server.listen(port, HOST, () => {
  process.stdout.write(`listening http://${HOST}:${server.address().port}\n`);
});
