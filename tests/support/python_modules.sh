# Sourced by the tests that drive the binary from Python clients:
#   require_python_modules "$PY" numpy tritonclient.grpc
# exits 77 (skipped, CTest's SKIP_RETURN_CODE) when PY cannot import every
# module, saying which are missing and that scripts/setup installs them in
# .venv-test.
require_python_modules() {
  local py=$1 missing=() m
  shift
  for m in "$@"; do "$py" -c "import $m" 2>/dev/null || missing+=("$m"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "SKIP: $py cannot import ${missing[*]} (scripts/setup installs them in .venv-test)"
  exit 77
}
