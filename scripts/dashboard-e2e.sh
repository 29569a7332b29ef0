#!/usr/bin/env bash
# The web dashboard in a real browser, end to end: din-node --dev with eth-rpc in front of
# it, `din dashboard` on it, a real task run by scripts/fl-run.sh (store, owner, two
# participants, two evaluator daemons, `din task watch`), and headless Chromium (the
# system's) driven by playwright-core through client/cli/dashboard/test: the page shows the
# task's phases advance and at the end the payouts `din task watch --json` reports for it,
# to the unit; a wallet injected into the page (EIP-1193, signing with a dev key) funds a
# crowdfunding contract and launches a task that `din task status` reports.
#
# Before the task, `din task create` under a pseudo-terminal must draw a spinner for its
# Groth16 setup. A failing browser test leaves its screenshot and the page's errors in
# $CARGO_TARGET_DIR/test-logs/dashboard (DIN_ARTIFACTS).
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$DIN_ROOT/scripts/setup.sh" test eth-rpc
din_build
(cd "$DIN_ROOT/contracts" && node compile.js)
CHROMIUM="${DIN_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || { echo "FAILED: no Chromium at $CHROMIUM (scripts/setup.sh test installs Debian's)" >&2; exit 1; }
ARTIFACTS="${DIN_ARTIFACTS:-$CARGO_TARGET_DIR/test-logs/dashboard}"
rm -rf "$ARTIFACTS"

WORK="$(mktemp -d)"
source "$DIN_ROOT/scripts/lib/processes.sh"
source "$DIN_ROOT/scripts/lib/dev-chain.sh"
NODE_PORT=$(free_port)
ETH_PORT=$(free_port)
start_dev_chain "$NODE_PORT" "$ETH_PORT"
URL="ws://127.0.0.1:$NODE_PORT"
DIN="$CARGO_TARGET_DIR/debug/din"

DASHBOARD_PORT=$(free_port)
"$DIN" dashboard --url "$URL" --port "$DASHBOARD_PORT" >"$WORK/dashboard.log" 2>&1 &
PIDS+=($!)
DASHBOARD="http://127.0.0.1:$DASHBOARD_PORT"
for _ in $(seq 60); do
	curl -sf -m 2 "$DASHBOARD/api/overview" >/dev/null && break
	sleep 1
done
curl -sf -m 2 "$DASHBOARD/api/overview" >/dev/null ||
	{ echo "FAILED: the dashboard does not answer" >&2; tail -20 "$WORK/dashboard.log" >&2; exit 1; }
echo "==> dashboard on $DASHBOARD"

# What a user sees of a long step: on a terminal, `din task create` shows a spinner while the
# Groth16 setup runs (the same command's log files elsewhere, fl-run.sh's, must hold no
# escape character at all).
echo "==> din task create under a pseudo-terminal (script -qc): a spinner for the Groth16 setup"
script -qec "$DIN task create --spec-only --url $URL --suri //Ferdie --owner-dir $WORK/tty-owner \
	--store-dir $WORK/tty-store --scoring zk --reward 100 --rounds 1 --test-samples 16" \
	"$WORK/tty.log" >/dev/null
# The spinner's message (no log line says it) and indicatif's clearing of its line.
grep -q 'Groth16 setup for 16 test samples (tens of seconds)' "$WORK/tty.log" && grep -q $'\e\[2K' "$WORK/tty.log" ||
	{ echo "FAILED: no spinner for the Groth16 setup on a terminal" >&2; tail -c 2000 "$WORK/tty.log" >&2; exit 1; }

# Two rounds of a median-scored task (no Groth16 setup: the page shows proven and median
# scores alike).
"$DIN_ROOT/scripts/fl-run.sh" --url "$URL" --participants 2 --evaluators 2 --subgroup-size 2 --q 1 \
	--rounds 2 --scoring median --summary "$WORK/summary.json" >"$WORK/fl-run.log" 2>&1 &
FL_RUN=$!
PIDS+=($FL_RUN)
TASK=""
for _ in $(seq 300); do
	TASK="$(sed -n 's/.*task \([0-9][0-9]*\) created.*/\1/p' "$WORK/fl-run.log" | head -1)"
	[ -n "$TASK" ] && break
	kill -0 "$FL_RUN" 2>/dev/null || break
	sleep 1
done
[ -n "$TASK" ] || { echo "FAILED: fl-run.sh created no task" >&2; tail -30 "$WORK/fl-run.log" >&2; exit 1; }
echo "==> task $TASK is running; the browser tests"

show_logs() {
	for log in fl-run dashboard eth-rpc node; do
		echo "--- $log.log"
		tail -20 "$WORK/$log.log"
	done
}
cd "$DIN_ROOT/client/cli/dashboard"
DIN_DASHBOARD="$DASHBOARD" DIN_URL="$URL" DIN_ETH_RPC="http://127.0.0.1:$ETH_PORT" DIN_BIN="$DIN" \
	DIN_WORK="$WORK" DIN_TASK="$TASK" DIN_SUMMARY="$WORK/summary.json" DIN_ARTIFACTS="$ARTIFACTS" \
	DIN_CHROMIUM="$CHROMIUM" timeout 1500 node --test --test-concurrency=1 test/ ||
	{ show_logs >&2; echo "screenshots: $ARTIFACTS" >&2; exit 1; }
# fl-run.sh's own checks (every participant's metrics, the watcher's end) must pass too.
wait "$FL_RUN" || { show_logs >&2; exit 1; }
echo "==> the dashboard showed the task's phases and its payouts; a wallet in the page launched a crowdfunded task"
