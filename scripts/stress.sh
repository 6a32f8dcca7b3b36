#!/usr/bin/env bash
# make stress: the checks a single-process test run cannot make. Ends with
# "stress: N checks, N failed" and a non-zero exit status when any failed.
#
#   scripts/stress.sh [--examples N] [--jobs N] [--seed N]
#
# Fuzzing: every parser of the protocol package (scripts/stress_fuzz.py), at least 100,000
# generated inputs each (--examples), each in a child process with a 1 GB address-space limit,
# each input answered within 2 s.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo || exit 2
export PUNCHOUT_SHARED="${PUNCHOUT_SHARED:-$ROOT/../shared}"
FUZZ_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --examples | --jobs | --seed)
            FUZZ_ARGS+=("$1" "$2")
            shift
            ;;
        -h | --help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

checks=0
failed=0
OUT="$(mktemp)"
echo "== fuzzing the protocol parsers"
"$PYTHON" "$ROOT/scripts/stress_fuzz.py" "${FUZZ_ARGS[@]}" | tee "$OUT" || true
if summary="$(grep -E '^fuzz: [0-9]+ checks, [0-9]+ failed$' "$OUT" | tail -1)"; then
    read -r c f <<<"$(echo "$summary" | grep -Eo '[0-9]+' | paste -sd' ')"
    checks=$((checks + c))
    failed=$((failed + f))
else
    checks=$((checks + 1))
    failed=$((failed + 1))
fi
rm -f "$OUT"

echo "stress: $checks checks, $failed failed"
[ "$failed" = 0 ]
