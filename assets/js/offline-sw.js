// The service worker of a unit's pages: the workspace and its answer pages open without a
// connection once they were opened with one.
//
// Served by Django at /opd/sw.js (opd/views_offline.py), so its scope is /opd/; registered by
// assets/js/offline.js for units only. Bundled by esbuild (`npm run build`) into
// static/build/offline-sw.js; workbox's modules come from npm.
//
// Pages: network first, the copy kept by this browser when the network fails or takes
// longer than PAGE_TIMEOUT_SECONDS (a weak signal is worse than none). Copies are kept per
// address, only complete answers of the server (200, not a redirect to the login page),
// and are emptied by the page script at logout and when another person logs in here.
// Static files (CSS, scripts, icons) are served from the copy and refreshed behind it.
// Nothing else is kept: downloads, uploads and saves always go to the network. The page
// script (assets/js/offline.js) puts a first visit, made before this worker served it, into
// the same caches.

import { clientsClaim } from "workbox-core";
import { registerRoute } from "workbox-routing";
import { NetworkFirst, StaleWhileRevalidate } from "workbox-strategies";

const PAGES = "kla-pages";
const STATIC = "kla-static";
const PAGE_TIMEOUT_SECONDS = 8;

// The workspace (with or without its filters) and an answer page; nothing else under /opd/.
const KEPT_PAGE = /^\/opd\/(jawaban\/\d+\/\d+\/)?$/;

const complete = (response) => response && response.status === 200 && !response.redirected && response.type === "basic";

const onlyComplete = {
  // A page that is not the page asked for (a login form after the session ended, an error)
  // must never stand in for it later.
  cacheWillUpdate: async ({ response }) => (complete(response) ? response : null),
};

const onlyUnitPages = {
  // Only what the server marked as a unit's own page (opd/views_offline.py, X-KLA-Offline):
  // a reviewer's view of an answer under the same address is never kept.
  cacheWillUpdate: async ({ response }) => (complete(response) && response.headers.get("X-KLA-Offline") === "keep" ? response : null),
};

self.addEventListener("install", () => self.skipWaiting());
clientsClaim();

registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.origin === self.location.origin && KEPT_PAGE.test(url.pathname),
  new NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: PAGE_TIMEOUT_SECONDS,
    plugins: [onlyUnitPages],
    // Django varies its pages on Cookie, which a worker's requests never show: the address alone is the key.
    matchOptions: { ignoreVary: true },
  }),
);

registerRoute(
  ({ request, url }) => request.method === "GET" && url.origin === self.location.origin && url.pathname.startsWith("/static/"),
  new StaleWhileRevalidate({ cacheName: STATIC, plugins: [onlyComplete], matchOptions: { ignoreVary: true } }),
);
