"""The GraphQL documents of the benchmark: what a client sends for the screens measured."""

from __future__ import annotations

# The chat list a client asks for on start: chats with last message, sender, unread and
# mention counts.
CHAT_LIST = """query ChatList($first: Int) {
  viewer {
    chats(first: $first) {
      edges {
        cursor
        node {
          id
          kind
          name
          lastActivityAt
          unreadCount
          mentionCount
          lastMessage { id seq text createdAt sender { id displayName } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

# A page of messages with sender and reactions. The same document serves figure 1 (from the
# database) and figure 2 (from memory, against graphql-yoga).
MESSAGE_PAGE = """query MessagePage($chat: ID!, $last: Int) {
  chat(id: $chat) {
    id
    messages(last: $last) {
      hasOlder
      messages {
        id
        seq
        text
        createdAt
        editedAt
        sender { id displayName }
        reactions { emoji count viewerReacted }
      }
    }
  }
}"""

TYPENAME = "{ __typename }"

# What each subscriber of the fan-out holds.
CHAT_EVENTS = """subscription ChatEvents($chat: ID!) {
  chatEvents(chatId: $chat) {
    __typename
    ... on MessageAdded { message { id seq text createdAt sender { id displayName } } }
  }
}"""

MESSAGE_SEND = """mutation Send($input: MessageSendInput!) {
  messageSend(input: $input) { message { id seq } errors { code message } }
}"""
