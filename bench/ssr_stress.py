#!/usr/bin/env python3
"""Hammer server-rendered pages with fresh sessions and count the ones whose
`<main>` came out without its content (the reactive_graph memo race fixed by
`app::reactive::resource_memo`, 2026-12-02; see bench/NOTES.md).

    python3 bench/ssr_stress.py BASE_URL [ROUNDS] [THREADS]

Each of THREADS threads logs in ROUNDS times (the demo agents alice and
bruno, through the log-in form), then loads `/tickets` (the page the log-in
lands on) and two ticket pages with that fresh session. Run it against a
`guichet serve` with demo data and a relaxed log-in throttle
(GUICHET_LOGIN_FAILURES_PER_ACCOUNT=100000, GUICHET_LOGIN_FAILURES_PER_ADDRESS=100000,
GUICHET_LOGIN_SLOWDOWN_AFTER=100000, GUICHET_RATE_LIMIT_EXEMPT_LOOPBACK=1:
the throttle counts attempts in flight), with something else keeping the
cores busy: the race needs a thread preempted mid-render. Pages that fail
are kept as /tmp/ssr-stress-N.html. Only the standard library.
"""
import collections
import http.cookiejar
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = sys.argv[1].rstrip('/')
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 12
ACCOUNTS = [('alice', 'guichet-alice-demo'), ('bruno', 'guichet-bruno-demo')]
PAGES = [('/tickets/SUP-0001', 'class="ticket'), ('/tickets/SUP-0002', 'class="ticket')]

empty = collections.Counter()
loaded = collections.Counter()
lock = threading.Lock()


def check(path, body, marker):
    main = body.split('<main', 1)[1].split('</main>', 1)[0] if '<main' in body else ''
    with lock:
        loaded[path] += 1
        if marker not in main:
            empty[path] += 1
            with open(f'/tmp/ssr-stress-{sum(empty.values())}.html', 'w') as out:
                out.write(body)


def log_in(login, password):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = urllib.parse.urlencode({'login': login, 'password': password}).encode()
    request = urllib.request.Request(
        BASE + '/fn/log_in',
        data=form,
        headers={'Origin': BASE, 'Referer': BASE + '/login', 'Accept': 'text/html',
                 'Content-Type': 'application/x-www-form-urlencoded'},
    )
    while True:
        try:
            response = opener.open(request)
            return opener, response.read().decode()
        except urllib.error.HTTPError as error:
            if error.code not in (429, 503):
                raise
            time.sleep(0.05)  # the password queue is full: try again


def work(index):
    for round_ in range(ROUNDS):
        opener, landing = log_in(*ACCOUNTS[(index + round_) % len(ACCOUNTS)])
        check('/tickets (after log-in)', landing, '<h1')
        for path, marker in PAGES:
            check(path, opener.open(BASE + path).read().decode(), marker)


threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print('pages loaded:', dict(loaded))
print('without their content:', dict(empty) or 'none')
sys.exit(1 if empty else 0)
