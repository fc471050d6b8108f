// Apollo Client 4's PersistedQueryLink in front of HttpLink, against a live Hello:
// `node persisted_apollo.mjs <url> <token> <post|get>` runs one query twice and then another
// once, and prints one JSON line: their data, and every HTTP request the link made (hash only,
// or with the query; its status, error codes and ETag).
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [url, token, mode] = process.argv.slice(2);
const requests = [];

async function fetchLogged(input, init) {
  const target = new URL(String(input));
  const body = init?.body ? JSON.parse(init.body) : null;
  const extensions = body?.extensions ?? JSON.parse(target.searchParams.get('extensions') ?? 'null');
  const response = await fetch(input, init);
  const text = await response.clone().text();
  requests.push({
    method: init?.method ?? 'GET',
    hasQuery: Boolean(body?.query ?? target.searchParams.get('query')),
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    codes: (JSON.parse(text).errors ?? []).map((e) => e.extensions?.code ?? null),
    etag: response.headers.get('etag'),
    cacheControl: response.headers.get('cache-control'),
  });
  return response;
}

const link = new PersistedQueryLink({
  sha256: (text) => createHash('sha256').update(text).digest('hex'),
  useGETForHashedQueries: mode === 'get',
}).concat(
  new HttpLink({ uri: url, fetch: fetchLogged, headers: { authorization: `Bearer ${token}` } }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });

// An alias of the test's own makes the documents ones nobody registered before (Apollo
// prints documents before hashing them: a comment would not do).
const tag = `t${process.argv[5] ?? 'x'}`;
const me = gql(`query Me { viewer { id } ${tag}: __typename }`);
const first = await client.query({ query: me, fetchPolicy: 'no-cache' });
const second = await client.query({ query: me, fetchPolicy: 'no-cache' });
const third = await client.query({
  query: gql(`query Org { viewer { organization { name } } ${tag}: __typename }`),
  fetchPolicy: 'no-cache',
});
console.log(JSON.stringify({ first: first.data, second: second.data, third: third.data, requests }));
