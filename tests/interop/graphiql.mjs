// GraphiQL in headless Chromium (Debian's `chromium`, driven by playwright-core) against Hello,
// with every request that is not to Hello blocked, driven by tests/interop/test_graphiql.py.
//
//   node graphiql.mjs <hello base url> <access token>
//
// Prints one JSON line per step on stdout; the test reads them in order:
//   {"step":"query","response":...}        a query run with the token in the Headers tab
//   {"step":"storage",...}                 localStorage, sessionStorage and cookies after it
//   {"step":"subscribing"}                 a subscription is running: the test makes an event
//   {"step":"subscription","response":...} the response pane once the event arrived
//   {"step":"docs","found":[...],...}      the docs explorer's search for messageSend
//   {"step":"done",...}                    after the explorer plugin and the settings dialog:
//                                          blocked requests, CSP violations, page errors
// Anything else (wrong usage, a step that never completes) exits non-zero with the reason.

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.HELLO_CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 15_000;

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node graphiql.mjs <hello base url> <access token>');
  process.exit(2);
}
const origin = new URL(base).origin;
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const blocked = [];
const served = [];
const pageErrors = [];
const consoleErrors = [];
const websockets = [];

// CodeMirror 5 keeps its instance on the wrapper element: set and read editors through it,
// the way typing would (GraphiQL listens to its change events).
async function setEditor(page, selector, value) {
  await page.waitForSelector(selector, { state: 'visible', timeout: STEP_MS });
  await page.$eval(selector, (el, text) => el.CodeMirror.setValue(text), value);
}
// GraphiQL parses the document after a short debounce and only then knows its operation
// name; executing before that would send the previous one. It saves the name once parsed.
async function setOperation(page, text, name) {
  await setEditor(page, '.graphiql-query-editor .CodeMirror', text);
  await page.waitForFunction((n) => localStorage.getItem('graphiql:operationName') === n, name, {
    timeout: STEP_MS,
  });
}
async function waitForResponse(page, needle) {
  const selector = '.result-window .CodeMirror';
  const shown = () => page.$eval(selector, (el) => el.CodeMirror.getValue());
  try {
    await page.waitForFunction(
      ([sel, text]) => document.querySelector(sel)?.CodeMirror.getValue().includes(text),
      [selector, needle],
      { timeout: STEP_MS },
    );
  } catch (err) {
    throw new Error(`no ${needle} in the response pane, which shows: ${await shown()}`);
  }
  return JSON.parse(await shown());
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext();
    // The air gap: anything not for Hello is aborted (and reported, so the test can say what
    // the page tried to reach).
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) {
        served.push(url);
        return route.continue();
      }
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    // Runs before the page's scripts (injected by the browser, so the page's CSP does not
    // apply to it): record every CSP violation the page causes.
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
    });
    // What a page that did persist headers (strawberry's stock one) leaves behind: the page
    // must forget it. Seeded once, before the first load.
    await context.addInitScript(() => {
      if (sessionStorage.getItem('seeded')) return;
      sessionStorage.setItem('seeded', '1');
      const headers = '{"Authorization": "Bearer legacy-token"}';
      localStorage.setItem('graphiql:headers', headers);
      localStorage.setItem(
        'graphiql:queries',
        JSON.stringify({ queries: [{ query: '{ __typename }', variables: '', headers }] }),
      );
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
    page.on('websocket', (ws) => websockets.push(ws.url()));

    await page.goto(`${base}/graphql`, { waitUntil: 'load', timeout: STEP_MS });
    await page.waitForSelector('.graphiql-container', { timeout: STEP_MS });

    // A query, signed in through the Headers tab.
    await setOperation(page, 'query Me { viewer { id displayName } }', 'Me');
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await setEditor(
      page,
      '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror',
      JSON.stringify({ Authorization: `Bearer ${token}` }),
    );
    await page.click('.graphiql-execute-button');
    emit({ step: 'query', response: await waitForResponse(page, 'viewer') });

    // GraphiQL writes its tabs to storage after a 500 ms debounce: wait past it.
    await page.waitForTimeout(1200);
    emit({
      step: 'storage',
      localStorage: await page.evaluate(() => ({ ...localStorage })),
      sessionStorage: await page.evaluate(() => ({ ...sessionStorage })),
      cookies: await context.cookies(),
      url: page.url(),
    });

    // A subscription over the page's graphql-transport-ws connection; the test causes the event.
    await setOperation(
      page,
      'subscription Joined { organizationEvents { __typename ... on MemberJoined { user { displayName } } } }',
      'Joined',
    );
    await page.click('.graphiql-execute-button');
    emit({ step: 'subscribing' });
    const event = await waitForResponse(page, 'MemberJoined');
    emit({ step: 'subscription', response: event, websockets });
    await page.click('.graphiql-execute-button'); // stop it

    // The docs explorer knows the schema: search it for messageSend.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector('.graphiql-doc-explorer', { timeout: STEP_MS });
    const search = '.graphiql-doc-explorer-search-input input';
    await page.click(search);
    await page.fill(search, 'messageSend');
    // The field itself (Mutation.messageSend), among the types whose names contain it.
    const field =
      '[data-cy="doc-explorer-option"]:has(.graphiql-doc-explorer-search-field:text-is("messageSend"))';
    await page.waitForSelector(field, { timeout: STEP_MS });
    const found = await page.$$eval('[data-cy="doc-explorer-option"]', (els) =>
      els.map((el) => el.textContent.trim()),
    );
    await page.click(field);
    await page.waitForSelector('.graphiql-doc-explorer-title', { timeout: STEP_MS });
    const title = await page.$eval('.graphiql-doc-explorer-title', (el) => el.textContent.trim());
    const text = await page.$eval('.graphiql-doc-explorer', (el) => el.textContent);
    emit({ step: 'docs', found, title, text: text.slice(0, 2000) });

    // The other panels, for what they load and inject: the query builder (explorer plugin)
    // lists the schema's fields too, and the settings dialog offers no "persist headers".
    await page.click('button[aria-label="Show GraphiQL Explorer"]');
    await page.waitForSelector('.graphiql-explorer-root >> text=viewer', { timeout: STEP_MS });
    await page.click('button[aria-label="Open settings dialog"]');
    await page.waitForSelector('.graphiql-dialog', { timeout: STEP_MS });
    const persistSetting = (await page.$('#enable-persist-headers')) !== null;
    await page.keyboard.press('Escape');
    await page.waitForSelector('.graphiql-dialog', { state: 'detached', timeout: STEP_MS });

    if (process.env.HELLO_GRAPHIQL_SCREENSHOT) {
      // For a look by hand: HELLO_GRAPHIQL_SCREENSHOT=/tmp/graphiql.png pytest ...
      await page.screenshot({ path: process.env.HELLO_GRAPHIQL_SCREENSHOT });
    }
    emit({
      step: 'done',
      persistSetting,
      blocked,
      served,
      violations: await page.evaluate(() => window.__violations),
      pageErrors,
      consoleErrors,
    });
  } finally {
    await browser.close();
  }
}

const timer = setTimeout(() => {
  console.error('gave up after 90 s');
  process.exit(1);
}, 90_000);
main().then(
  () => {
    clearTimeout(timer);
    process.exit(0);
  },
  (err) => {
    console.error(err.stack || String(err));
    console.error(JSON.stringify({ blocked, pageErrors, consoleErrors }));
    process.exit(1);
  },
);
