# Shared by the CLI end-to-end scripts: `check NAME COMMAND...` counts and prints one check;
# `contains TEXT NEEDLE` is a fixed-string match. The caller prints the summary from
# $passed/$failed.
passed=0
failed=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}
contains() { grep -qF -- "$2" <<<"$1"; }
