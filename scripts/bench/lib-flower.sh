# Sourced by the Flower side of the benchmarks (scripts/bench/vs-flower.sh):
# `ensure_flower_venv` makes $REPO/.venv-flower (gitignored) hold the pinned Flower
# simulation and numpy, and sets FLOWER_PYTHON to its interpreter. A venv of its own keeps
# Ray's and Flower's pins away from the repository's .venv. Idempotent: pip runs only
# when the import fails or the installed Flower is not the pinned one.
#
#   source scripts/bench/lib-flower.sh && ensure_flower_venv
#   "$FLOWER_PYTHON" scripts/bench/flower_digits.py --json out.json

FLOWER_VERSION=${FLOWER_VERSION:-1.41.0}

ensure_flower_venv() {
	local repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	local venv="$repo/.venv-flower"
	FLOWER_PYTHON="$venv/bin/python"
	if [ -x "$FLOWER_PYTHON" ] && "$FLOWER_PYTHON" -c "
import sys, flwr, numpy, ray
sys.exit(flwr.__version__ != '$FLOWER_VERSION')" 2>/dev/null; then
		return 0
	fi
	[ -x "$FLOWER_PYTHON" ] || python3 -m venv "$venv" || return 1
	# The machine may be busy building; pip waits its turn.
	nice -n 19 "$FLOWER_PYTHON" -m pip install --quiet --disable-pip-version-check \
		"flwr[simulation]==$FLOWER_VERSION" numpy || return 1
}
