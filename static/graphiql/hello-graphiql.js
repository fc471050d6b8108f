// Hello's GraphiQL page, started after React, GraphiQL and the explorer plugin have loaded.
// It is a file rather than an inline <script> so the page's Content-Security-Policy needs no
// 'unsafe-inline' for scripts (server/graphiql.py).
(function () {
  'use strict';

  const WELCOME = `# Welcome to Hello's GraphiQL.
#
# Most fields need a signed-in user: sign in with the signIn mutation, then put
# its access token in the Headers tab below:
#
#     { "Authorization": "Bearer <accessToken>" }
#
# The Headers tab is not saved in this browser's storage (it holds your token),
# so it is empty again after a reload. Subscriptions run over a WebSocket to this
# server and sign in with the same header.
#
# The Docs button (top left) lists every type and field; the Explorer builds
# queries by clicking.
#
#   Run: Ctrl-Enter    Complete: Ctrl-Space    Prettify: Shift-Ctrl-P

query Viewer {
  viewer {
    id
    displayName
  }
}
`;

  // GraphiQL's storage, minus the Headers tab (it holds access tokens). shouldPersistHeaders
  // false keeps headers out of the saved tabs, but GraphiQL 3.8 still saves every run's
  // headers in its history ("graphiql:queries", "graphiql:favorites"): every value written
  // through here loses its "headers" fields, so no saved state can carry a token. It also
  // cleans what pages of older versions (shouldPersistHeaders true) left behind.
  const NAMESPACE = 'graphiql:';
  // The keys whose values are JSON records with a "headers" string (tabs, history).
  const RECORDS = ['tabState', 'queries', 'favorites'].map((name) => NAMESPACE + name);
  function withoutHeaders(key, value) {
    if (!RECORDS.includes(key) || typeof value !== 'string') return value;
    try {
      return JSON.stringify(JSON.parse(value), (k, v) => (k === 'headers' ? null : v));
    } catch {
      return null; // unreadable: GraphiQL starts afresh rather than keep what it cannot check
    }
  }
  const storage = {
    getItem: (key) => localStorage.getItem(key),
    setItem(key, value) {
      if (key === `${NAMESPACE}headers`) return; // the Headers tab itself: never
      const kept = withoutHeaders(key, value);
      if (kept === null) localStorage.removeItem(key);
      else localStorage.setItem(key, kept);
    },
    removeItem: (key) => localStorage.removeItem(key),
    get length() {
      return Object.keys(localStorage).filter((key) => key.startsWith(NAMESPACE)).length;
    },
    clear() {
      for (const key of Object.keys(localStorage)) {
        if (key.startsWith(NAMESPACE)) localStorage.removeItem(key);
      }
    },
  };
  function forgetStoredHeaders() {
    try {
      storage.removeItem(`${NAMESPACE}headers`);
      for (const key of RECORDS) {
        const value = localStorage.getItem(key);
        if (value !== null) storage.setItem(key, value);
      }
    } catch (err) {
      console.warn('could not clean stored GraphiQL headers', err); // storage disabled
    }
  }

  // This page is served by GET /graphql, so its own URL (without query or fragment) is the
  // endpoint, and the same URL with ws(s): is the WebSocket for subscriptions.
  const endpoint = new URL(window.location.href);
  endpoint.search = '';
  endpoint.hash = '';
  const subscriptionUrl = new URL(endpoint.href);
  subscriptionUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  // GraphiQL passes the Headers tab to every HTTP request and, for a subscription, as the
  // graphql-transport-ws connection_init payload, where Hello reads "Authorization".
  const fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: subscriptionUrl.href,
  });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function HelloGraphiQL() {
    return React.createElement(GraphiQL, {
      fetcher,
      storage,
      plugins: [explorer],
      defaultQuery: WELCOME,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Never write the Headers tab to storage; this also hides the setting that would.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  forgetStoredHeaders();
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(HelloGraphiQL));
})();
