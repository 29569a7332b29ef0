# Assertions over a `din task watch --json` summary, shared by the end-to-end tests.
# Sourced; SUMMARY names the summary file.

# check DESCRIPTION JQ_EXPRESSION: the expression must hold on the summary.
check() {
	if jq -e "$2" "$SUMMARY" >/dev/null; then
		echo "ok: $1"
	else
		echo "FAILED: $1" >&2
		cat "$SUMMARY" >&2
		exit 1
	fi
}
