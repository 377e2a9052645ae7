// client.mjs --url ws://127.0.0.1:P/ (--doc automerge:XXXX | --create)
//            [--add-member NAME] [--wait-member NAME] [--print] [--sync-info] [--timeout-ms 20000]
//
// A JavaScript automerge-repo 2.x peer of a Cohort group document (schema: docs/schema.md),
// talking to a sync server over WebSocket. It has no storage: everything it reads comes from the
// server, and everything it writes is confirmed by a second, fresh Repo that reads it back
// through the server before the script reports success.
//
// Steps, in this order, each printing one JSON line on stdout:
//   --create            new group document          {"url": "automerge:..."}
//   --add-member NAME   adds an active member       {"added": "<id>"}
//   --wait-member NAME  waits for a member by name  {"seen": "<id>"}
//   --print             the document as JSON        {"doc": {...}}   (timestamps as ms numbers)
//   --sync-info         waits until the server's storage id (from its handshake) has this
//                       repo's heads in getSyncInfo  {"sync_info": {"storage_id", "last_heads",
//                       "heads", "heads_hex"}}
// Exit code 0 on success; on failure (including --timeout-ms for the whole run) exit code 1
// and one line `error: ...` on stderr.

import { parseArgs } from "node:util"
import { randomBytes } from "node:crypto"
import { Repo, isValidAutomergeUrl } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { ImmutableString, isImmutableString, Counter, getHeads } from "@automerge/automerge"

// Library diagnostics (console.log) go to stderr: stdout carries only our JSON lines.
console.log = (...a) => console.error(...a)
console.info = (...a) => console.error(...a)

const USAGE =
  "usage: client.mjs --url WS_URL (--doc automerge:ID | --create) [--add-member NAME] " +
  "[--wait-member NAME] [--print] [--sync-info] [--timeout-ms MS]"

const repos = new Set()
let phase = "starting"

/** Closes a Repo's WebSocket; a Repo is closed once. */
function closeRepo(repo) {
  if (!repos.delete(repo)) return
  try {
    repo.networkSubsystem.disconnect()
  } catch {
    // never connected or already closed
  }
}

function fail(message) {
  process.stderr.write(`error: ${String(message).split("\n")[0]}\n`)
  for (const repo of [...repos]) closeRepo(repo)
  process.exit(1)
}

process.on("uncaughtException", err => fail(`${phase}: ${err?.message ?? err}`))
process.on("unhandledRejection", err => fail(`${phase}: ${err?.message ?? err}`))

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n")
}

// ---- arguments -------------------------------------------------------------------------------

let args
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      doc: { type: "string" },
      create: { type: "boolean", default: false },
      "add-member": { type: "string" },
      "wait-member": { type: "string" },
      "timeout-ms": { type: "string", default: "20000" },
      print: { type: "boolean", default: false },
      "sync-info": { type: "boolean", default: false },
    },
    strict: true,
  }).values
} catch (err) {
  fail(`${err.message} (${USAGE})`)
}
if (!args.url) fail(`--url is required (${USAGE})`)
if (!/^wss?:\/\//.test(args.url)) fail(`--url must be a ws:// or wss:// URL, got ${args.url}`)
if (args.create === (args.doc !== undefined)) fail(`give exactly one of --doc and --create (${USAGE})`)
if (args.doc !== undefined && !isValidAutomergeUrl(args.doc)) {
  fail(`--doc is not an automerge URL: ${args.doc}`)
}
for (const opt of ["add-member", "wait-member"]) {
  if (args[opt] !== undefined && args[opt].trim() === "") fail(`--${opt} needs a non-empty name`)
}
const timeoutMs = Number(args["timeout-ms"])
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
  fail(`--timeout-ms must be a positive integer, got ${args["timeout-ms"]}`)
}
if (!args.create && !args.print && !args["sync-info"] && args["add-member"] === undefined && args["wait-member"] === undefined) {
  fail(`nothing to do: give --print, --sync-info, --add-member or --wait-member (${USAGE})`)
}

// One deadline for the whole run; the message names the step that was under way.
setTimeout(() => fail(`timed out after ${timeoutMs} ms while ${phase}`), timeoutMs).unref()
// Keep the process alive while we wait on promises alone.
const keepAlive = setInterval(() => {}, 1 << 30)

// ---- helpers ---------------------------------------------------------------------------------

/** A Repo with one WebSocket client adapter and no storage, connected to the server. */
async function connectedRepo(label) {
  phase = `connecting to ${args.url} (${label})`
  // Retry every 500 ms (the adapter's default is 5 s) so a server that starts late is found soon.
  const adapter = new WebSocketClientAdapter(args.url, 500)
  const repo = new Repo({ network: [adapter] })
  repos.add(repo)
  // repo.find() gives up on a document if no peer is connected yet, so wait for the server's
  // "peer" answer to our "join" first.
  await new Promise(resolve => {
    if (repo.peers.length > 0) return resolve()
    repo.networkSubsystem.once("peer", () => resolve())
  })
  return repo
}

async function findDoc(repo, url, label) {
  phase = `finding ${url} (${label})`
  const handle = await repo.find(url)
  return handle
}

/** Resolves with the first non-undefined value of pick(doc), now or after a later change. */
function waitFor(handle, pick, what) {
  phase = `waiting for ${what}`
  return new Promise(resolve => {
    const check = () => {
      const value = pick(handle.doc())
      if (value !== undefined) {
        handle.off("change", check)
        resolve(value)
      }
    }
    handle.on("change", check)
    check()
  })
}

function str(value) {
  if (typeof value === "string") return value
  if (isImmutableString(value)) return value.toString()
  return undefined
}

function memberIdByName(doc, name) {
  const members = doc?.members
  if (!members || typeof members !== "object") return undefined
  for (const [id, member] of Object.entries(members)) {
    if (member && typeof member === "object" && str(member.name) === name) return id
  }
  return undefined
}

/** An Automerge document as plain JSON: timestamps become ms numbers, strings and Text become
 *  JSON strings, counters numbers, bytes arrays of numbers. */
function toPlain(value) {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.getTime()
  if (isImmutableString(value)) return value.toString()
  if (value instanceof Counter) return value.value
  if (value instanceof Uint8Array) return Array.from(value)
  if (Array.isArray(value)) return value.map(toPlain)
  if (typeof value === "object") {
    const out = {}
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v)
    return out
  }
  return value
}

function newId() {
  return randomBytes(8).toString("hex")
}

/** Confirms through a second, fresh Repo that the server holds what pick() looks for. */
async function confirmThroughServer(url, pick, what) {
  const checker = await connectedRepo("second repo")
  const handle = await findDoc(checker, url, "second repo")
  const value = await waitFor(handle, pick, `${what} to reach a second repo through the server`)
  closeRepo(checker)
  return value
}

// ---- run -------------------------------------------------------------------------------------

const repo = await connectedRepo("main repo")
let handle

if (args.create) {
  phase = "creating the document"
  handle = repo.create({
    schema: 1,
    members: {},
    roles: {},
    feedback: {},
    profile: { name: new ImmutableString("JS group") },
    created_at: new Date(),
  })
  await confirmThroughServer(handle.url, doc => (doc?.profile ? true : undefined), "the new document")
  emit({ url: handle.url })
} else {
  handle = await findDoc(repo, args.doc, "main repo")
}

if (args["add-member"] !== undefined) {
  const name = args["add-member"].trim()
  const doc = handle.doc()
  if (!doc.members || typeof doc.members !== "object") {
    fail(`${handle.url} is not a Cohort group: it has no members map`)
  }
  let id = newId()
  while (id in doc.members) id = newId()
  phase = "adding the member"
  const now = new Date()
  handle.change(d => {
    // One change: the member and its tags, status_history and notes (docs/schema.md).
    d.members[id] = {
      name: new ImmutableString(name),
      status: new ImmutableString("active"),
      tags: {},
      status_history: [{ status: new ImmutableString("active"), at: now }],
      notes: "", // a plain string becomes Automerge Text
      added_at: now,
    }
  })
  await confirmThroughServer(handle.url, d => (d?.members?.[id] ? true : undefined), `member ${id}`)
  emit({ added: id })
}

if (args["wait-member"] !== undefined) {
  const name = args["wait-member"].trim()
  const id = await waitFor(handle, doc => memberIdByName(doc, name), `a member named ${JSON.stringify(name)}`)
  emit({ seen: id })
}

if (args.print) {
  emit({ doc: toPlain(handle.doc()) })
}

if (args["sync-info"]) {
  const server = repo.peers[0]
  const storageId = repo.getStorageIdOfPeer(server)
  if (!storageId) fail(`the server ${server} announced no storage id in its handshake`)
  phase = `waiting for the sync info of storage ${storageId} to reach this repo's heads`
  const same = (a, b) => a && b && a.length === b.length && a.every(h => b.includes(h))
  await new Promise(resolve => {
    const check = () => {
      if (same(handle.getSyncInfo(storageId)?.lastHeads, handle.heads())) {
        handle.off("remote-heads", check)
        resolve()
      }
    }
    handle.on("remote-heads", check)
    check()
  })
  emit({
    sync_info: {
      storage_id: storageId,
      last_heads: handle.getSyncInfo(storageId).lastHeads,
      heads: handle.heads(),
      heads_hex: getHeads(handle.doc()),
    },
  })
}

phase = "shutting down"
clearInterval(keepAlive)
for (const r of [...repos]) closeRepo(r)
process.exit(0)
