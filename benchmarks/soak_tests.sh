#!/usr/bin/env bash
# The test suite where and how a new user runs it (issue 16): README's Quick start test
# command, in a fresh clone under a private folder (mktemp -d, mode 0700, no ../shared
# beside it),
#   1. as root,
#   2. as an ordinary user (a throwaway system user is created when none is given),
#   3. RUNS more times in a row (default 5) as root while every core is kept busy by
#      another process (one `yes > /dev/null` per core).
# Each run's closing pytest line and time are reported; logs are kept in a folder that
# is printed at the end. Exits non-zero if any run failed.
#
# Usage (as root): bash benchmarks/soak_tests.sh [RUNS] [USER]
# It tests the committed HEAD of this repository (a clone is what a user gets).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
user=${2:-syndicate-soak}
test_cmd=$(python3 "$repo/.ci/quickstart.py" test) || exit 1
logs=$(mktemp -d /tmp/syndicate-soak-logs.XXXXXX)
chmod 755 "$logs"
results=()
failures=0
busy=()

stop_busy() {
  local pid
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${busy[@]}"; do wait "$pid" 2>/dev/null; done
  busy=()
}
trap stop_busy EXIT

# run NAME DIR [runuser args...]: README's test command in DIR; one line of result.
run() {
  local name=$1 dir=$2
  shift 2
  local log start=$SECONDS status
  log="$logs/$(( ${#results[@]} + 1 ))-$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-').log"
  if [ $# -gt 0 ]; then
    "$@" bash -c "cd '$dir' && $test_cmd" >"$log" 2>&1
  else
    (cd "$dir" && bash -c "$test_cmd") >"$log" 2>&1
  fi
  status=$?
  local closing
  closing=$(grep -E ' in [0-9]+(\.[0-9]+)?s( \(|$| =)' "$log" | tail -n1)
  local verdict=PASS
  if [ $status -ne 0 ]; then verdict="FAIL (exit $status)"; failures=$((failures + 1)); fi
  results+=("$(printf '%-22s %-14s %4ds  %s' "$name" "$verdict" $((SECONDS - start)) "$closing")")
  echo "${results[-1]}"
}

fresh_clone() {  # fresh_clone OWNER: a clone in a new 0700 folder owned by OWNER
  local tmp
  tmp=$(mktemp -d) || return 1
  git clone -q "$repo" "$tmp/syndicate" || return 1
  if [ "$1" != root ]; then chown -R "$1:" "$tmp" || return 1; fi
  echo "$tmp/syndicate"
}

echo "soak: $(git -C "$repo" log -1 --format='%h %s'), $(nproc) cores, logs in $logs"
echo "command: $test_cmd"

if [ "$(id -u)" != 0 ]; then
  echo "soak: run this as root: it runs the suite as root and as another user" >&2
  exit 2
fi

root_clone=$(fresh_clone root) || exit 1
echo "root clone: $root_clone (folder mode $(stat -c %a "$(dirname "$root_clone")"))"
run "root" "$root_clone"

if ! id "$user" >/dev/null 2>&1; then
  useradd --system --shell /bin/bash --no-create-home "$user" || exit 1
  echo "created the throwaway user $user"
fi
user_home=$(mktemp -d)
chown "$user:" "$user_home"
user_clone=$(fresh_clone "$user") || exit 1
echo "user clone: $user_clone (owner $user, folder mode $(stat -c %a "$(dirname "$user_clone")"))"
# A clean login-like environment: the user's own HOME, a PATH without root's tools (an
# interpreter under /root is not theirs to use), the machine's pip settings.
run "user $user" "$user_clone" runuser -u "$user" -- env -i HOME="$user_home" \
  PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
  ${PIP_FIND_LINKS:+PIP_FIND_LINKS="$PIP_FIND_LINKS"} \
  ${PIP_CERT:+PIP_CERT="$PIP_CERT"} ${PIP_DEFAULT_TIMEOUT:+PIP_DEFAULT_TIMEOUT="$PIP_DEFAULT_TIMEOUT"}

for _ in $(seq "$(nproc)"); do
  yes >/dev/null &
  busy+=($!)
done
echo "busy: ${#busy[@]} processes of 'yes' keep every core busy"
for i in $(seq "$runs"); do
  run "root, busy cores $i/$runs" "$root_clone"
done
stop_busy

rm -rf "$(dirname "$root_clone")" "$(dirname "$user_clone")" "$user_home"
echo
echo "soak summary ($failures failed of $((runs + 2))):"
printf '  %s\n' "${results[@]}"
echo "logs: $logs"
[ "$failures" -eq 0 ]
