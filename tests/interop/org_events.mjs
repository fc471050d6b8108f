// The reference graphql-ws client (https://github.com/enisdenjo/graphql-ws) against Hello's
// graphql-transport-ws endpoint, driven by tests/interop/test_graphql_ws_client.py.
//
//   node org_events.mjs <ws url> <access token> subscribe
//     Prints {"ready":true} once the server acknowledged the connection and the subscribe
//     message went out, then each organizationEvents result as one JSON line; exits 0 after
//     the first one.
//   node org_events.mjs <ws url> <token> badtoken
//     Connects with a token the server must refuse and prints {"closed":<code>,"reason":...}
//     for the close the server sent; exits 0 (1 if the server acknowledged instead).
//
// Anything else (wrong usage, an error, no result within TIMEOUT_MS) exits non-zero.

import { createClient } from 'graphql-ws';
import WebSocket from 'ws'; // Node 20 has no global WebSocket

const ORG_EVENTS = `subscription {
  organizationEvents { __typename ... on MemberJoined { user { id displayName } } }
}`;
const TIMEOUT_MS = 15_000;

const [url, token, mode] = process.argv.slice(2);
if (!url || !token || !['subscribe', 'badtoken'].includes(mode)) {
  console.error('usage: node org_events.mjs <ws url> <token> subscribe|badtoken');
  process.exit(2);
}

// One JSON document per line on stdout: that is the whole interface to the test.
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const fail = (what, err) => {
  // Errors arrive as Error, ws ErrorEvent, CloseEvent or GraphQL error lists: keep it short.
  let detail = '';
  if (err !== undefined) {
    detail = err.message ?? (err.code ? `close ${err.code} ${err.reason}` : JSON.stringify(err));
  }
  console.error(what, detail);
  process.exit(1);
};

const timer = setTimeout(() => fail(`no result within ${TIMEOUT_MS} ms`), TIMEOUT_MS);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  // Report the first close as is: no reconnecting (the client would retry on 4403).
  retryAttempts: 0,
  // badtoken mode has no subscription, so connect eagerly; errors arrive via on.closed.
  lazy: mode === 'subscribe',
  onNonLazyError: () => {},
  on: {
    // graphql-ws (like a browser's WebSocket) only parses text frames; name the cause if the
    // server sends binary ones, instead of the client's bare "missing the 'type' property".
    opened: (socket) =>
      socket.on('message', (data, isBinary) => {
        if (isBinary) console.error(`server sent a binary frame: ${String(data).slice(0, 200)}`);
      }),
    connected: () => {
      if (mode === 'badtoken') fail('the server acknowledged a bad token');
      // 'connected' fires synchronously on connection_ack, before the client's pending
      // subscribe() gets to send its subscribe message (a few promise continuations later).
      // setImmediate runs after those microtasks, so by then the message is on the socket.
      setImmediate(() => emit({ ready: true }));
    },
    closed: (event) => {
      if (mode !== 'badtoken') return;
      clearTimeout(timer);
      emit({ closed: event.code, reason: event.reason });
      process.exit(0);
    },
  },
});

if (mode === 'subscribe') {
  let received = false;
  const unsubscribe = client.subscribe(
    { query: ORG_EVENTS },
    {
      next: async (result) => {
        if (received) return;
        received = true;
        emit(result);
        clearTimeout(timer);
        unsubscribe(); // sends "complete" for the operation
        await client.dispose(); // closes the socket with 1000
        process.exit(0);
      },
      error: (err) => fail('subscription error:', err),
      // unsubscribe() above also ends in complete(); only an early one is an error.
      complete: () => received || fail('subscription completed before any event'),
    },
  );
}
