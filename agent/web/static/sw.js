// The page's service worker: it keeps this version of the page (its shell) so that the page
// opens at once and, with the controller unreachable, still opens and shows the last known
// state. The versioned files never change, so they come from the cache; the page itself and
// config.json come from the controller when it answers within a moment, from the cache when not.
'use strict';

const VERSION = 'sprinkler-{v}';
const SHELL = {shell};
const WAIT_MS = 2500;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(VERSION).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('sprinkler-') && k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  const scope = new URL(self.registration.scope);
  if (e.request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const rel = url.pathname.slice(scope.pathname.length);
  if (rel.startsWith('a/')) {
    e.respondWith(caches.match(e.request).then((hit) => hit || fetch(e.request)));
  } else if (e.request.mode === 'navigate' || rel === '' || rel === 'index.html') {
    e.respondWith(fresh(e.request, './'));
  } else if (rel === 'config.json' || rel === 'manifest.webmanifest') {
    e.respondWith(fresh(e.request, rel));
  }
});

// fresh answers from the controller, keeping a copy, or from the copy when the controller
// fails or takes longer than WAIT_MS.
async function fresh(request, key) {
  const cache = await caches.open(VERSION);
  const network = fetch(request).then((r) => {
    if (r.ok) cache.put(key, r.clone());
    return r;
  });
  const late = new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  const first = await Promise.race([network.catch(() => null), late]);
  if (first) return first;
  return (await cache.match(key)) || network;
}
