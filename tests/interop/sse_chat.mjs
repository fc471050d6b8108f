// The graphql-sse client (https://github.com/enisdenjo/graphql-sse) in distinct connections
// mode against Hello, driven by tests/interop/test_graphql_sse_client.py:
//
//   node sse_chat.mjs <url> <access token or ""> <query> [<variables json>]
//
// Prints one JSON line per thing the client reports: {"connected":true} once the server
// accepted the stream, {"next":<result>} for each result, then {"complete":true} and exits 0
// when the server completes the operation. An error (the client does not retry: it reports
// the first one) prints {"error":...} and exits 1; no completion within TIMEOUT_MS exits 2.
import { createClient } from 'graphql-sse';

const TIMEOUT_MS = 20_000;
const [url, token, query, variables] = process.argv.slice(2);
if (!url || token === undefined || !query) {
  console.error('usage: node sse_chat.mjs <url> <token> <query> [<variables json>]');
  process.exit(2);
}
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const timer = setTimeout(() => {
  console.error(`no completion within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS);

const client = createClient({
  url,
  singleConnection: false, // distinct connections mode: one HTTP request per operation
  retryAttempts: 0, // report the first failure as it is
  headers: token ? { authorization: `Bearer ${token}` } : {},
  on: { connected: () => emit({ connected: true }) },
});

client.subscribe(
  { query, variables: variables ? JSON.parse(variables) : {} },
  {
    next: (result) => emit({ next: result }),
    error: (err) => {
      emit({ error: err?.message ?? String(err), status: err?.response?.status ?? null });
      process.exit(1);
    },
    complete: () => {
      clearTimeout(timer);
      emit({ complete: true });
      client.dispose();
      process.exit(0);
    },
  },
);
