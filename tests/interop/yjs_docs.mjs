// Two stock Yjs documents (the `yjs` package) editing one Hello doc, each through its own
// graphql-ws connection (possibly to different Hello processes), driven by
// tests/interop/test_yjs_docs.py.
//
//   node yjs_docs.mjs <ws url A> <token A> <ws url B> <token B> <doc id> <inserts> <seed>
//
// For each document: subscribe to docEvents (remote updates are applied with origin 'remote'),
// docSync (Yjs sync step 2 both ways), then prove the subscription is live by sending a probe
// (a key in the root map `interop`) until its own echo arrives. Prints {"ready":true}; then
// both type <inserts> single characters at random positions into blocks[0].text, each as one
// docUpdate (base64 of the `update` event's bytes, sent one at a time per document), and
// print {"typed":true}. On the line "check" on stdin, each waits until docSync says it lacks
// nothing (so everything arrived live), records whether it got there, applies the sync answer
// anyway, and prints one line per document: its text, blocks as JSON and its whole state.
// Anything unexpected exits non-zero with the reason on stderr.

import { createInterface } from 'node:readline';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as Y from 'yjs';

const [urlA, tokenA, urlB, tokenB, docId, insertsArg, seedArg] = process.argv.slice(2);
if (!seedArg) {
  console.error('usage: node yjs_docs.mjs <urlA> <tokenA> <urlB> <tokenB> <docId> <inserts> <seed>');
  process.exit(2);
}
const INSERTS = Number(insertsArg);
const TIMEOUT_MS = 240_000;
const LIVE_WAIT_MS = 30_000;

const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const fail = (what) => {
  console.error(what instanceof Error ? what.stack : what);
  process.exit(1);
};
setTimeout(() => fail(`not done within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

// A small seeded generator (mulberry32), so a failing run can be repeated.
let seed = Number(seedArg) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));

const EVENTS = `subscription($d: ID!) { docEvents(docId: $d) {
  __typename ... on DocUpdateEvent { update revision clientTag } } }`;
const SYNC = `query($d: ID!, $sv: String) { docSync(docId: $d, stateVector: $sv) {
  update stateVector revision } }`;
const UPDATE = `mutation($i: DocUpdateInput!) { docUpdate(input: $i) {
  revision changed errors { code message } } }`;

class Peer {
  constructor(name, url, token) {
    this.name = name;
    this.tag = `node-${name}-${Math.floor(random() * 1e9)}`;
    this.doc = new Y.Doc();
    this.received = 0;
    this.sent = 0;
    this.echoes = 0;
    this.typed = 0;
    this.client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: (e) => fail(`${name}: connection failed: ${JSON.stringify(e)}`),
    });
    this.outbox = [];
    this.doc.on('update', (update, origin) => {
      if (origin !== 'remote') this.outbox.push(update);
    });
  }

  request(query, variables) {
    return new Promise((resolve, reject) => {
      let result;
      this.client.subscribe(
        { query, variables },
        {
          next: (r) => (result = r),
          error: (e) => reject(new Error(`${this.name}: ${JSON.stringify(e)}`)),
          complete: () =>
            result?.errors ? reject(new Error(JSON.stringify(result.errors))) : resolve(result.data),
        },
      );
    });
  }

  subscribe() {
    this.client.subscribe(
      { query: EVENTS, variables: { d: docId } },
      {
        next: (r) => {
          if (r.errors) fail(`${this.name}: docEvents: ${JSON.stringify(r.errors)}`);
          const event = r.data.docEvents;
          if (event.__typename !== 'DocUpdateEvent') return;
          if (event.clientTag === this.tag) {
            this.echoes += 1; // our own, already applied
            return;
          }
          this.received += 1;
          Y.applyUpdate(this.doc, unb64(event.update), 'remote');
        },
        error: (e) => fail(`${this.name}: docEvents ended: ${JSON.stringify(e)}`),
        complete: () => {},
      },
    );
  }

  async sync() {
    const got = (await this.request(SYNC, { d: docId, sv: b64(Y.encodeStateVector(this.doc)) }))
      .docSync;
    Y.applyUpdate(this.doc, unb64(got.update), 'remote');
    const missing = Y.encodeStateAsUpdate(this.doc, unb64(got.stateVector));
    if (missing.length > 2) await this.send(missing);
  }

  async send(update) {
    const out = (await this.request(UPDATE, { i: { docId, update: b64(update), clientTag: this.tag } }))
      .docUpdate;
    if (out.errors.length) fail(`${this.name}: docUpdate: ${JSON.stringify(out.errors)}`);
    this.sent += 1;
  }

  async flush() {
    while (this.outbox.length) await this.send(this.outbox.shift());
  }

  async probe() {
    // Our own echo proves the server listens on the doc's channel for us.
    for (let attempt = 1; this.echoes === 0; attempt += 1) {
      if (attempt > 100) fail(`${this.name}: no echo of the probe`);
      this.doc.getMap('interop').set(this.name, attempt);
      await this.flush();
      const until = Date.now() + 200;
      while (this.echoes === 0 && Date.now() < until) await sleep(10);
    }
  }

  text() {
    return this.doc.getArray('blocks').get(0).get('text');
  }

  async type(count) {
    const text = this.text();
    for (let i = 0; i < count; i += 1) {
      const at = Math.floor(random() * (text.length + 1));
      text.insert(at, String.fromCharCode(97 + Math.floor(random() * 26)));
      await this.flush();
      this.typed += 1;
    }
  }

  // Does the server hold anything this document lacks? (Without applying it.)
  async lacking() {
    const got = (await this.request(SYNC, { d: docId, sv: b64(Y.encodeStateVector(this.doc)) }))
      .docSync;
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(this.doc));
    const before = b64(Y.encodeStateVector(copy));
    Y.applyUpdate(copy, unb64(got.update));
    return { lacks: b64(Y.encodeStateVector(copy)) !== before, update: got.update };
  }

  async check() {
    const until = Date.now() + LIVE_WAIT_MS;
    let state = await this.lacking();
    while (state.lacks && Date.now() < until) {
      await sleep(200);
      state = await this.lacking();
    }
    const liveComplete = !state.lacks;
    Y.applyUpdate(this.doc, unb64(state.update), 'remote');
    return {
      name: this.name,
      liveComplete,
      received: this.received,
      sent: this.sent,
      text: this.text().toString(),
      blocks: this.doc.getArray('blocks').toJSON(),
      title: this.doc.getText('title').toString(),
      state: b64(Y.encodeStateAsUpdate(this.doc)),
    };
  }
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

try {
  const peers = [new Peer('A', urlA, tokenA), new Peer('B', urlB, tokenB)];
  for (const p of peers) p.subscribe();
  for (const p of peers) await p.sync();
  await Promise.all(peers.map((p) => p.probe()));
  emit({ ready: true });
  await Promise.all(peers.map((p) => p.type(INSERTS)));
  emit({ typed: peers.map((p) => p.typed) });
  const { value } = await lines.next();
  if (value?.trim() !== 'check') fail(`expected "check" on stdin, got ${value}`);
  for (const p of peers) emit(await p.check());
  await Promise.all(peers.map((p) => p.client.dispose()));
  process.exit(0);
} catch (e) {
  fail(e);
}
