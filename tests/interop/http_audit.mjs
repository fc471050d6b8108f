// The graphql-http server audit (GraphQL over HTTP spec conformance) against a live Hello:
// `node http_audit.mjs <url>` prints one JSON array of {id, name, status, reason}.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
console.log(JSON.stringify(results));
