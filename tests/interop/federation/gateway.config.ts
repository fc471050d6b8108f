// Hive Gateway in front of Hello and the subgraphs of modules deployed apart:
//
//   HELLO_ENV=production HELLO_GATEWAY_SECRET=... npx hive-gateway supergraph supergraph.graphql
//
// `supergraph.graphql` comes from compose.mjs (or any Federation 2 composer); in it the
// subgraph named `hello` is Hello. Everything below is what Hello needs from its gateway.
import { defineConfig } from "@graphql-hive/gateway";

// Hello in production shows no schema to strangers (no introspection, no GraphiQL, no "did
// you mean", `_service` only to the gateway); a gateway left at its defaults would serve the
// whole supergraph, Hello's part included, to anyone. HELLO_ENV=production here does what it
// does on Hello.
const production = process.env.HELLO_ENV === "production";

export const gatewayConfig = defineConfig({
  disableIntrospection: production ? {} : undefined,
  blockFieldSuggestions: production,
  graphiql: !production,
  landingPage: !production,
  // Hello keys anonymous rate limits (sign-in, sign-up) by the client's address and records it
  // and the User-Agent with sessions and audit entries: pass on the client's, not the
  // gateway's. The address joins any X-Forwarded-For the gateway got; Hello believes the
  // header only from addresses in its FORWARDED_ALLOW_IPS (uvicorn's setting, loopback by
  // default), so list the gateway's there, and a client cannot forge its own.
  propagateHeaders: {
    fromClientToSubgraphs({ request, context, subgraphName }) {
      if (subgraphName !== "hello") {
        return {};
      }
      const peer: string | undefined = (context as any).req?.socket?.remoteAddress;
      const chain = [request.headers.get("x-forwarded-for"), peer].filter(Boolean).join(", ");
      return {
        "x-forwarded-for": chain || undefined,
        "user-agent": request.headers.get("user-agent") ?? undefined,
      };
    },
  },
  transportEntries: {
    hello: {
      headers: [
        // Hello signs every request in from its Bearer token: the client's, passed on as is,
        // so queries, mutations, subscriptions and the `_entities` calls the gateway makes
        // for other subgraphs' fields all run as the client. For clients that reach the
        // gateway over WebSocket, `context.headers` holds their `connection_init` payload, so
        // `{"authorization": "Bearer ..."}` there works the same. Empty values are left out: an
        // anonymous client stays anonymous. Only Hello gets it: a token is Hello's to read.
        ["authorization", "{context.headers.authorization}"],
        // In production `_service` and `_entities` answer only to this header, compared with
        // HELLO_GATEWAY_SECRET: without it every field that joins another subgraph's type to
        // Hello's fails with GATEWAY_ONLY.
        ["x-hello-gateway-secret", "{env.HELLO_GATEWAY_SECRET}"],
      ],
      options: {
        // Subscriptions go to Hello as GraphQL over SSE (a POST answered with
        // `text/event-stream`, the gateway's default for HTTP subgraphs), so they carry the
        // same headers as every other request. Over WebSocket the token would have to move
        // into `connection_init`, and a refused socket (4403) is retried five times with
        // back-off before the client hears of it. POST keeps documents out of URLs and logs.
        method: "POST",
      },
    },
  },
});
