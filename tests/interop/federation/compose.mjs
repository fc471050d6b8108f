// Compose a Federation 2 supergraph from live subgraphs with the MIT composer
// (@theguild/federation-composition), the way a deployment that splits Hello's modules would.
//
//   node compose.mjs hello=https://hello.internal/graphql colors=http://colors:4001/graphql \
//     > supergraph.graphql
//
// Each subgraph's SDL is read from its `_service { sdl }`. Hello answers that field in
// production only to the gateway, so the `x-hello-gateway-secret` header carries
// HELLO_GATEWAY_SECRET (when set) to every subgraph; subgraphs that do not know it ignore it.
// Prints the supergraph SDL on stdout, or the composition errors as JSON lines on stderr and
// exits 1.
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const SERVICE_SDL = "query { _service { sdl } }";

async function fetchSdl(name, url) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (process.env.HELLO_GATEWAY_SECRET) {
    headers["x-hello-gateway-secret"] = process.env.HELLO_GATEWAY_SECRET;
  }
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: SERVICE_SDL }),
  });
  const body = await response.json();
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== "string") {
    throw new Error(`${name} (${url}) gave no SDL: ${response.status} ${JSON.stringify(body)}`);
  }
  return sdl;
}

const subgraphs = process.argv.slice(2).map((arg) => {
  const at = arg.indexOf("=");
  if (at < 1) {
    throw new Error(`expected name=url, got ${JSON.stringify(arg)}`);
  }
  return { name: arg.slice(0, at), url: arg.slice(at + 1) };
});
if (subgraphs.length === 0) {
  console.error("usage: node compose.mjs name=url [name=url ...] > supergraph.graphql");
  process.exit(2);
}

const services = await Promise.all(
  subgraphs.map(async ({ name, url }) => ({
    name,
    url,
    typeDefs: parse(await fetchSdl(name, url)),
  })),
);
const result = composeServices(services);
if (result.errors) {
  for (const error of result.errors) {
    console.error(JSON.stringify({ message: error.message, code: error.extensions?.code }));
  }
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
