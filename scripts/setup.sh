# Sourced by scripts/run and scripts/test: installs missing Debian packages, builds Release.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${RUNBOARD_BUILD_DIR:-$ROOT/build/release}"

install_missing() {
    local missing=()
    while read -r pkg; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done < "$ROOT/scripts/packages.txt"
    [[ ${#missing[@]} -eq 0 ]] && return 0
    local cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
    if [[ $(id -u) -ne 0 ]]; then
        echo "Runboard needs these Debian packages; run as root:" >&2
        echo "  apt-get update && ${cmd[*]}" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    "${cmd[@]}" >&2
}

build() {
    # CI does not run the benchmarks: leaving them out saves about 75 s of its 2-core build
    # (they are 152 of the Release build's 1447 CPU-seconds).
    # CI also turns warnings into errors: the build is kept warning-free.
    local bench=ON werror=OFF
    [[ "${CI:-}" == "true" ]] && bench=OFF werror=ON
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DRUNBOARD_BUILD_BENCH="$bench" -DRUNBOARD_WERROR="$werror" >&2
    cmake --build "$BUILD_DIR" -j "$(nproc)" >&2
}

install_missing
build
