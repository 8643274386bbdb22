# shellcheck shell=bash
# The ansible-core versions the project supports, read from requirements/ansible-<core>.txt: one
# file per core, whose header says which Pythons it accepts and which collections it is tested with:
#   # python: 3.13 3.12            (in order of preference)
#   # collections: collections.txt (a requirements/ file naming the `ansible` wheel to unpack)
# Sourced by scripts/setup, scripts/test, scripts/release_checks, scripts/demo and bench/run, so a
# new core is one new requirements file. Needs ROOT set to the repository.

# Every supported core, newest first.
cores_all() {
  local file
  for file in "$ROOT"/requirements/ansible-*.txt; do
    file=${file##*/ansible-}
    echo "${file%.txt}"
  done | sort -rV
}
core_newest() { cores_all | head -n 1; }
core_oldest() { cores_all | tail -n 1; }

_core_header() {  # _core_header CORE FIELD -> the words after "# FIELD:" in the core's file
  sed -n "s/^# $2: *//p" "$ROOT/requirements/ansible-$1.txt" | head -n 1
}

# The collections requirements file a core is tested with, and the tree it is laid out in:
# collections.txt -> .build/collections, collections-aws10.txt -> .build/collections-aws10.
core_collections_file() { _core_header "$1" collections; }
core_collections() {
  local name
  name=$(core_collections_file "$1")
  name=${name%.txt}
  echo "$ROOT/.build/${name}"
}
core_venv() { echo "$ROOT/.build/venv-$1"; }
core_pythons() { _core_header "$1" python; }  # the Python versions a core accepts, preferred first

# A Python interpreter that the core accepts: python3.X on PATH, else a pyenv installation.
# Prints its path, or nothing (and returns 1) when none of the accepted versions is here.
core_python() {
  local version candidate
  for version in $(core_pythons "$1"); do
    for candidate in "python$version" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/"python$version" \
        /root/.pyenv/versions/"$version".*/bin/"python$version"; do
      # A pyenv shim is on PATH even when it cannot run that version: run it to be sure.
      if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' >/dev/null 2>&1; then
        command -v "$candidate"
        return 0
      fi
    done
  done
  return 1
}
