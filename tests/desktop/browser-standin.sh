#!/bin/sh
# The person's browser, stood in for by a script (a named mock at the edge:
# no real browser can sign in at a bank here). The app opens bank pages
# through the opener plugin → xdg-open → $BROWSER = this script. It signs in
# at the sandbox bank over HTTP and approves, follows the bank's redirect,
# and hands a saldo:// callback to a second saldo-desktop invocation —
# exactly what the OS does with a registered URL scheme — or calls a
# loopback address like a browser would.
set -eu
echo "open $1" >> "${SALDO_BROWSER_LOG:-/dev/null}"
location=$("$SALDO_SANDBOX_BIN" approve "$1")
echo "redirect ${location%%\?*}" >> "${SALDO_BROWSER_LOG:-/dev/null}"
# The whole address (its one-time values) for the test that checks the app's
# log never repeats them.
echo "$location" >> "${SALDO_BROWSER_LOG:-/dev/null}.full"
case "$location" in
  saldo://*) exec "$SALDO_DESKTOP_BIN" "$location" ;;
  http://127.0.0.1*) exec curl -fsS -o /dev/null "$location" ;;
  *) echo "unexpected redirect: $location" >&2; exit 1 ;;
esac
