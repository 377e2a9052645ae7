// sync-server.mjs --port P --dir D
//
// Runs the reference automerge-repo sync server, @automerge/automerge-repo-sync-server 0.2.8,
// with its own code unmodified: it imports the package's `src/server.js` (the module its CLI
// `src/index.js` runs) with PORT=P and DATA_DIR=D, which is how that server is configured.
// Two things are added around it, without touching its code:
//   - its listen call is pinned to 127.0.0.1 (the package's `app.listen(PORT)` would bind every
//     interface);
//   - its console output goes to stderr, so stdout carries only JSON lines.
// The server accepts the WebSocket upgrade on any path, so ws://127.0.0.1:P/ and
// ws://127.0.0.1:P/sync both work. It stores documents with NodeFSStorageAdapter(D).
//
// stdout: {"listening":P} once it listens. SIGTERM/SIGINT stop it with exit code 0.
// On failure: exit code 1 and one line `error: ...` on stderr.

import fs from "node:fs"
import net from "node:net"
import { parseArgs } from "node:util"

const HOST = "127.0.0.1"

function fail(message) {
  process.stderr.write(`error: ${String(message).split("\n")[0]}\n`)
  process.exit(1)
}

process.on("uncaughtException", err => fail(err?.message ?? err))
process.on("unhandledRejection", err => fail(err?.message ?? err))

let args
try {
  args = parseArgs({
    options: {
      port: { type: "string" },
      dir: { type: "string" },
    },
    strict: true,
  }).values
} catch (err) {
  fail(`${err.message} (usage: sync-server.mjs --port P --dir D)`)
}
if (args.port === undefined || args.dir === undefined) {
  fail("usage: sync-server.mjs --port P --dir D")
}
const port = Number(args.port)
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  fail(`--port must be an integer from 1 to 65535, got ${JSON.stringify(args.port)}`)
}
try {
  fs.mkdirSync(args.dir, { recursive: true })
} catch (err) {
  fail(`cannot create --dir ${args.dir}: ${err.message}`)
}

// The reference server reads exactly these two variables (src/server.js).
process.env.PORT = String(port)
process.env.DATA_DIR = args.dir

// Everything the server and its Repo print goes to stderr.
console.log = (...a) => console.error(...a)
console.info = (...a) => console.error(...a)

// Pin the server's one listen call, `app.listen(PORT, cb)`, to 127.0.0.1, and turn a listen
// error (EADDRINUSE, ...) into a clean failure.
const originalListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...listenArgs) {
  net.Server.prototype.listen = originalListen
  this.once("error", err => fail(`cannot listen on ${HOST}:${port}: ${err.message}`))
  if (typeof listenArgs[0] === "number" && typeof listenArgs[1] === "function") {
    return originalListen.call(this, listenArgs[0], HOST, listenArgs[1])
  }
  return originalListen.call(this, { port, host: HOST }, ...listenArgs.filter(a => typeof a === "function"))
}

let server
try {
  const { Server } = await import("@automerge/automerge-repo-sync-server/src/server.js")
  server = new Server()
  await server.ready()
} catch (err) {
  fail(`cannot start the sync server: ${err.message}`)
}
process.stdout.write(JSON.stringify({ listening: port }) + "\n")

let stopping = false
function stop() {
  if (stopping) return
  stopping = true
  try {
    server.close()
  } catch {
    // already closed
  }
  // The server's Repo saves to disk at most every 100 ms; give a pending save time to land.
  setTimeout(() => process.exit(0), 300).unref()
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
