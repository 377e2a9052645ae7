// two-on-links.mjs --a WS_URL --b WS_URL [--members 2000] [--edits 2] [--quiet-ms 1500]
//                  [--timeout-ms 60000]
//
// Two automerge-repo 2.x peers, A and B, each reaching the sync server by its own URL (a test
// puts a slow link in front of each). A makes a group of --members members in one change, as
// an import does, and waits until the server's storage id (from its handshake) has it; B opens
// it; then A and B take turns changing one member's name, each change waited for on the other
// side. After each step and --quiet-ms with nothing more to say (so the step's
// acknowledgements are counted with it), one JSON line on stdout:
//   {"step": "put" | "first-sync" | "edit-1-by-a" | "edit-1-by-b" | ..., "ms": <step's time>}
// The caller reads what each link carried when a line arrives. Exit code 0 on success; on
// failure (or --timeout-ms) exit code 1 and one line `error: ...` on stderr.

import { parseArgs } from "node:util"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

// Library diagnostics (console.log) go to stderr: stdout carries only our JSON lines.
console.log = (...a) => console.error(...a)
console.info = (...a) => console.error(...a)

function fail(message) {
  process.stderr.write(`error: ${String(message).split("\n")[0]}\n`)
  process.exit(1)
}
process.on("uncaughtException", err => fail(err?.message ?? err))
process.on("unhandledRejection", err => fail(err?.message ?? err))

const { values: args } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    members: { type: "string", default: "2000" },
    edits: { type: "string", default: "2" },
    "quiet-ms": { type: "string", default: "1500" },
    "timeout-ms": { type: "string", default: "60000" },
  },
})
if (!args.a || !args.b) fail("give --a and --b, the sync server's WebSocket URL for each peer")
const members = Number(args.members)
const edits = Number(args.edits)
const quietMs = Number(args["quiet-ms"])
setTimeout(() => fail(`not done in ${args["timeout-ms"]} ms`), Number(args["timeout-ms"])).unref()
const keepAlive = setInterval(() => {}, 1 << 30)

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** A Repo with no storage, once the server has answered its join. */
async function connected(url) {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url, 500)] })
  await new Promise(resolve => {
    if (repo.peers.length > 0) return resolve()
    repo.networkSubsystem.once("peer", () => resolve())
  })
  return repo
}

/** Resolves once pick(doc) holds, now or after a later change. */
function until(handle, pick) {
  return new Promise(resolve => {
    const check = () => {
      if (pick(handle.doc())) {
        handle.off("change", check)
        resolve()
      }
    }
    handle.on("change", check)
    check()
  })
}

async function step(name, work) {
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  await sleep(quietMs)
  process.stdout.write(JSON.stringify({ step: name, ms }) + "\n")
}

const repoA = await connected(args.a)
let a
await step("put", async () => {
  const group = {}
  for (let n = 0; n < members; n++) {
    group[`m${n}`] = { name: `Member ${n}`, email: `m${n}@example.org`, phone: `1380000${n}` }
  }
  a = repoA.create({ name: "Readers", members: group })
  const storageId = repoA.getStorageIdOfPeer(repoA.peers[0])
  if (!storageId) fail("the server announced no storage id")
  const same = (x, y) => x && y && x.length === y.length && x.every(h => y.includes(h))
  await new Promise(resolve => {
    const check = () => {
      if (same(a.getSyncInfo(storageId)?.lastHeads, a.heads())) {
        a.off("remote-heads", check)
        resolve()
      }
    }
    a.on("remote-heads", check)
    check()
  })
})

const repoB = await connected(args.b)
let b
await step("first-sync", async () => {
  b = await repoB.find(a.url)
})

for (let n = 1; n <= edits; n++) {
  for (const [editor, other, who] of [[a, b, "a"], [b, a, "b"]]) {
    const name = `Edit ${n} by ${who}`
    await step(`edit-${n}-by-${who}`, async () => {
      editor.change(d => {
        d.members.m5.name = name
      })
      await until(other, doc => doc.members.m5.name === name)
    })
  }
}
clearInterval(keepAlive)
process.exit(0)
