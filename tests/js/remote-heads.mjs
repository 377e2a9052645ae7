// remote-heads.mjs --url WS_URL [--timeout-ms 20000]
//
// automerge-repo 2.x's remote heads gossip through a sync server. Peer A stores documents (in
// memory, which gives it a storage id, announced in its handshake); peer B enables gossiping,
// opens A's document and asks to hear of A's storage id (`Repo.subscribeToRemotes`). After
// each step, one JSON line on stdout once B's sync info for A's storage id holds A's heads:
//   {"step": "subscribed"}   told when B asked, of what A had synced before
//   {"step": "edited"}       told after A changed the document
// Exit code 0 on success; on failure (or --timeout-ms) exit code 1 and one line `error: ...`
// on stderr.

import { parseArgs } from "node:util"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

// Library diagnostics (console.log) go to stderr: stdout carries only our JSON lines.
console.log = (...a) => console.error(...a)
console.info = (...a) => console.error(...a)

let phase = "starting"
function fail(message) {
  process.stderr.write(`error: ${phase}: ${String(message).split("\n")[0]}\n`)
  process.exit(1)
}
process.on("uncaughtException", err => fail(err?.message ?? err))
process.on("unhandledRejection", err => fail(err?.message ?? err))

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    "timeout-ms": { type: "string", default: "20000" },
  },
})
if (!args.url) fail("give --url, the sync server's WebSocket URL")
setTimeout(() => fail(`not done in ${args["timeout-ms"]} ms`), Number(args["timeout-ms"])).unref()
const keepAlive = setInterval(() => {}, 1 << 30)

/** automerge-repo's storage interface over a Map: storage without a disk. */
class MemoryStorage {
  #data = new Map()
  async load(key) {
    return this.#data.get(key.join("/"))
  }
  async save(key, data) {
    this.#data.set(key.join("/"), data)
  }
  async remove(key) {
    this.#data.delete(key.join("/"))
  }
  async loadRange(prefix) {
    const start = prefix.join("/")
    return [...this.#data]
      .filter(([key]) => key.startsWith(start))
      .map(([key, data]) => ({ key: key.split("/"), data }))
  }
  async removeRange(prefix) {
    const start = prefix.join("/")
    for (const key of [...this.#data.keys()]) if (key.startsWith(start)) this.#data.delete(key)
  }
}

/** A Repo once the server has answered its join. */
async function connected(options) {
  const repo = new Repo({ network: [new WebSocketClientAdapter(args.url, 500)], ...options })
  await new Promise(resolve => {
    if (repo.peers.length > 0) return resolve()
    repo.networkSubsystem.once("peer", () => resolve())
  })
  return repo
}

const same = (x, y) => x && y && x.length === y.length && x.every(h => y.includes(h))

/** Resolves once `handle`'s sync info for `storageId` has `heads()`. */
function untilSyncInfo(handle, storageId, heads) {
  return new Promise(resolve => {
    const check = () => {
      if (same(handle.getSyncInfo(storageId)?.lastHeads, heads())) {
        handle.off("remote-heads", check)
        resolve()
      }
    }
    handle.on("remote-heads", check)
    check()
  })
}

phase = "connecting A, which stores documents"
const repoA = await connected({ storage: new MemoryStorage() })
const storageIdA = await repoA.storageId()
if (!storageIdA) fail("A has no storage id")
phase = "A puts a document on the server"
const a = repoA.create({ name: "Readers", n: 0 })
const server = repoA.getStorageIdOfPeer(repoA.peers[0])
if (!server) fail("the server announced no storage id")
await untilSyncInfo(a, server, () => a.heads())

phase = "connecting B, which gossips"
const repoB = await connected({ enableRemoteHeadsGossiping: true })
phase = "B opens the document"
const b = await repoB.find(a.url)
phase = `B asks to hear of A's storage id ${storageIdA}`
repoB.subscribeToRemotes([storageIdA])
await untilSyncInfo(b, storageIdA, () => a.heads())
process.stdout.write(JSON.stringify({ step: "subscribed" }) + "\n")

phase = "A changes the document"
a.change(d => {
  d.n = 1
})
await untilSyncInfo(b, storageIdA, () => a.heads())
process.stdout.write(JSON.stringify({ step: "edited" }) + "\n")
clearInterval(keepAlive)
process.exit(0)
