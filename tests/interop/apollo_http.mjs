// Apollo Client 4 (HttpLink, its default Accept header) against a live Hello:
// `node apollo_http.mjs <url> <cases.json>` runs each case
//   {name, query, token?, raw?}   (raw: the text sent instead of the printed query)
// and prints one JSON line per case: how Apollo reported it, and the HTTP answer it read.
import { readFileSync } from 'node:fs';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';

const [url, casesFile] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));

for (const c of cases) {
  const seen = [];
  const fetchLogged = async (input, init) => {
    const response = await fetch(input, init);
    seen.push({
      status: response.status,
      contentType: response.headers.get('content-type'),
      accept: new Headers(init?.headers).get('accept'),
    });
    return response;
  };
  const link = new HttpLink({
    uri: url,
    fetch: fetchLogged,
    headers: c.token ? { authorization: `Bearer ${c.token}` } : {},
    ...(c.raw ? { print: () => c.raw } : {}),
  });
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const out = { name: c.name };
  try {
    const document = gql(c.query);
    const result = document.definitions[0].operation === 'mutation'
      ? await client.mutate({ mutation: document })
      : await client.query({ query: document, fetchPolicy: 'no-cache' });
    out.kind = 'data';
    out.data = result.data ?? null;
  } catch (error) {
    out.kind = CombinedGraphQLErrors.is(error) ? 'CombinedGraphQLErrors' : error.name;
    out.message = String(error.message);
    out.codes = CombinedGraphQLErrors.is(error)
      ? error.errors.map((e) => e.extensions?.code ?? null)
      : [];
    out.hasData = CombinedGraphQLErrors.is(error) ? error.data !== undefined : null;
  }
  out.http = seen;
  console.log(JSON.stringify(out));
}
