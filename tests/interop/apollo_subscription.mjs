// Apollo Client 4's HttpLink receiving a subscription over Apollo's multipart subscription
// protocol (https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol),
// driven by tests/interop/test_apollo_subscription.py:
//
//   node apollo_subscription.mjs <url> <access token> <query> [<variables json>]
//
// Prints {"connected":...} with the HTTP status, content type and the Accept header Apollo
// sent once the response arrives, {"next":{data, error}} for each result Apollo emits, and
// {"complete":true} (exit 0) when the subscription ends; an error that ends it prints
// {"error":...} and exits 0 too (the test decides); no end within TIMEOUT_MS exits 2.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';

const TIMEOUT_MS = 20_000;
const [url, token, query, variables] = process.argv.slice(2);
if (!url || !token || !query) {
  console.error('usage: node apollo_subscription.mjs <url> <token> <query> [<variables json>]');
  process.exit(2);
}
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const timer = setTimeout(() => {
  console.error(`no end within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS);

const loggedFetch = async (input, init) => {
  const response = await fetch(input, init);
  emit({
    connected: {
      status: response.status,
      contentType: response.headers.get('content-type'),
      accept: new Headers(init?.headers).get('accept'),
    },
  });
  return response;
};

const client = new ApolloClient({
  link: new HttpLink({ uri: url, fetch: loggedFetch, headers: { authorization: `Bearer ${token}` } }),
  cache: new InMemoryCache(),
});

const describe = (error) => ({
  name: error?.name ?? null,
  message: error?.message ?? String(error),
  codes: (error?.errors ?? []).map((e) => e.extensions?.code ?? null),
});

const end = (obj) => {
  clearTimeout(timer);
  emit(obj);
  process.exit(0);
};

client
  .subscribe({ query: gql(query), variables: variables ? JSON.parse(variables) : {} })
  .subscribe({
    next: (result) =>
      emit({ next: { data: result.data ?? null, error: result.error ? describe(result.error) : null } }),
    error: (error) => end({ error: describe(error) }),
    complete: () => end({ complete: true }),
  });
