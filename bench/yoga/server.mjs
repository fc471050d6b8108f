// The peer of figure 2: graphql-yoga on Node.js serving the benchmark's message page from
// memory. Same fixture file as Hello's in-memory endpoint (bench/memory.py), same shape of
// schema, same structure of resolvers (relay-style global IDs, per-request DataLoaders for
// senders and reactions), so both engines do the same work and return the same data.
//
//   PORT=8080 BENCH_FIXTURE=/path/fixture.json node server.mjs

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import DataLoader from "dataloader";
import { createSchema, createYoga } from "graphql-yoga";

const fixture = JSON.parse(readFileSync(process.env.BENCH_FIXTURE, "utf8"));
const users = new Map(fixture.users.map((u) => [u.id, u]));
const reactions = new Map(Object.entries(fixture.reactions).map(([k, v]) => [Number(k), v]));
const messages = fixture.messages;

// strawberry's relay.GlobalID: base64 of "Type:id".
const globalId = (type, id) => Buffer.from(`${type}:${id}`).toString("base64");
const chatGlobalId = globalId("MemoryChat", fixture.chatId);

const typeDefs = /* GraphQL */ `
  scalar DateTime

  type Query {
    chat(id: ID!): MemoryChat
  }

  type MemoryChat {
    id: ID!
    messages(last: Int): MessagePage!
  }

  type MessagePage {
    messages: [Message!]!
    hasNewer: Boolean!
    hasOlder: Boolean!
  }

  type Message {
    id: ID!
    seq: Int!
    text: String!
    createdAt: DateTime!
    editedAt: DateTime
    sender: User
    reactions: [MessageReaction!]!
  }

  type User {
    id: ID!
    displayName: String!
  }

  type MessageReaction {
    emoji: String!
    count: Int!
    viewerReacted: Boolean!
  }
`;

const resolvers = {
  Query: {
    chat: (_, { id }) => (id === chatGlobalId ? { id: fixture.chatId } : null),
  },
  MemoryChat: {
    id: (chat) => globalId("MemoryChat", chat.id),
    messages: (_, { last }) => {
      const size = last == null ? 20 : Math.max(0, Math.min(last, 100));
      return {
        messages: size ? messages.slice(messages.length - size) : [],
        hasNewer: false,
        hasOlder: messages.length > size,
      };
    },
  },
  Message: {
    id: (m) => globalId("Message", m.id),
    sender: (m, _, ctx) => (m.senderId == null ? null : ctx.users.load(m.senderId)),
    reactions: (m, _, ctx) => ctx.reactions.load(m.id),
  },
  User: {
    id: (u) => globalId("User", u.id),
  },
  MessageReaction: {
    viewerReacted: (r) => r.userIds.includes(fixture.viewerId),
  },
};

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers }),
  graphqlEndpoint: "/graphql",
  graphiql: false,
  landingPage: false,
  logging: false,
  context: () => ({
    users: new DataLoader(async (ids) => ids.map((id) => users.get(id) ?? null)),
    reactions: new DataLoader(async (ids) => ids.map((id) => reactions.get(id) ?? [])),
  }),
});

createServer(yoga).listen(Number(process.env.PORT), "127.0.0.1");
