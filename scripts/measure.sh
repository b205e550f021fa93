#!/usr/bin/env bash
# Reproducible measurements behind README's Performance section, as ratios.
#
#   scripts/measure.sh build  [BEFORE_DIR] [RUNS]   build times (wall and user+sys CPU)
#                      (`own` or `app` for one half of it)
#   scripts/measure.sh decode [BEFORE_DIR]          decode instruction counts (callgrind)
#   scripts/measure.sh tls    "" [RUNS]             build time per TLS crypto provider
#
# BEFORE_DIR is an optional second checkout (e.g. `git archive <commit> | tar -x -C dir`)
# measured in the same run, interleaved with this one, so that load from other work on
# the machine hits both alike. Everything builds offline from the cargo cache.
#
# build:  (1) the crate's own debug build, non-incremental: `touch src/lib.rs`, then
#             `cargo build -p fastspring-api` with default features and with
#             `--no-default-features --features orders`;
#         (2) a clean debug build of a minimal app calling `client.orders().list()`,
#             against the same app on reqwest + serde_json + tokio alone (same TLS features).
# decode: instructions to decode a 50-order `GET /orders/{ids}` reply (and the same
#         orders as a bare list) typed vs into `serde_json::Value`, from
#         `benches/decode_count.rs` under `valgrind --tool=callgrind`.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
WHAT="${1:-build}"
BEFORE="${2:-}"
RUNS="${3:-2}"
OUT="${TMPDIR:-/tmp}/fastspring-measure"
mkdir -p "$OUT"
export CARGO_INCREMENTAL=0

# Runs a command under /usr/bin/time; prints "wall_s cpu_s".
timed() {
    local log="$OUT/time.log"
    /usr/bin/time -f "%e %U %S" -o "$log" "$@" >/dev/null 2>"$OUT/last.err" || {
        cat "$OUT/last.err" >&2
        return 1
    }
    awk '{ printf "%.1f %.1f\n", $1, $2 + $3 }' "$log"
}

trees() {
    echo "head:$HERE"
    if [ -n "$BEFORE" ]; then echo "before:$(cd "$BEFORE" && pwd)"; fi
}

own_build() {
    local dir="$1"
    shift
    (cd "$dir" && cargo build --offline -q -p fastspring-api "$@" >/dev/null 2>&1 || true)
    touch "$dir/fastspring-api/src/lib.rs"
    (cd "$dir" && timed cargo build --offline -q -p fastspring-api "$@")
}

app_dir() {
    # $1 = name, $2 = dependency block
    local dir="$OUT/apps/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "measure-$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$2
TOML
    echo "$dir"
}

TOKIO='tokio = { version = "1", features = ["rt", "macros", "time", "net"] }'

# A minimal app on reqwest + serde_json alone: $1 = name, $2 = reqwest's TLS feature,
# $3 = further dependency lines, $4 = a statement run first (e.g. installing a provider).
raw_app() {
    local dir
    dir=$(app_dir "$1" "reqwest = { version = \"0.13\", default-features = false, features = [\"$2\", \"json\", \"query\"] }
serde_json = \"1\"
$3
$TOKIO")
    cat >"$dir/src/main.rs" <<RS
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    $4
    let client = reqwest::Client::builder().build()?;
    let orders: serde_json::Value = client
        .get("https://api.fastspring.com/orders")
        .basic_auth("user", Some("password"))
        .query(&[("days", "7")])
        .send()
        .await?
        .json()
        .await?;
    println!("{orders}");
    Ok(())
}
RS
    echo "$dir"
}

# A clean debug build of the app in $1; prints "wall_s cpu_s".
clean_build() {
    (cd "$1" && cargo generate-lockfile --offline -q >/dev/null 2>&1 || true)
    rm -rf "$1/target"
    (cd "$1" && timed cargo build --offline -q)
}

minimal_apps() {
    local dir
    dir=$(raw_app raw rustls "" "")
    echo "raw:$dir"
    local tree name path
    for tree in $(trees); do
        name="${tree%%:*}"
        path="${tree#*:}"
        dir=$(app_dir "fs-$name" "fastspring-api = { path = \"$path/fastspring-api\" }
$TOKIO")
        cat >"$dir/src/main.rs" <<'RS'
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), fastspring_api::Error> {
    let client = fastspring_api::Client::builder()
        .credentials("user", "password")
        .user_agent("measure/1.0")
        .build()?;
    let orders = client.orders().list().days(7).send().await?;
    println!("{orders:?}");
    Ok(())
}
RS
        echo "fs-$name:$dir"
    done
}

# Checked first: `build | own` falls through (`;;&`) to the next patterns, so a
# catch-all branch at the end would also match `own` after it ran.
case "$WHAT" in
build | own | app | tls | decode) ;;
*)
    echo "usage: $0 build|own|app|tls|decode [BEFORE_DIR] [RUNS]" >&2
    exit 2
    ;;
esac

case "$WHAT" in
build | own)
    echo "# crate's own build (CARGO_INCREMENTAL=0, touch src/lib.rs): wall_s cpu_s"
    for run in $(seq "$RUNS"); do
        for tree in $(trees); do
            echo "run $run ${tree%%:*} default        $(own_build "${tree#*:}")"
            echo "run $run ${tree%%:*} orders-only    $(own_build "${tree#*:}" --no-default-features --features orders)"
        done
    done
    ;;&
build | app)
    echo "# clean debug build of a minimal app: wall_s cpu_s"
    apps=$(minimal_apps)
    for run in $(seq "$RUNS"); do
        for app in $apps; do
            echo "run $run app ${app%%:*} $(clean_build "${app#*:}")"
        done
    done
    ;;
tls)
    # reqwest's TLS crypto providers, for build time: `rustls` (aws-lc-rs, what the
    # crate uses) against `rustls-no-provider` with rustls' `ring` provider installed by
    # the app. Same minimal raw app otherwise.
    echo "# clean debug build of a raw reqwest app per crypto provider: wall_s cpu_s"
    aws=$(raw_app tls-aws-lc-rs rustls "" "")
    ring=$(raw_app tls-ring rustls-no-provider \
        'rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }' \
        'rustls::crypto::ring::default_provider().install_default().expect("one provider");')
    for run in $(seq "$RUNS"); do
        for dir in "$aws" "$ring"; do
            echo "run $run $(basename "$dir") $(clean_build "$dir")"
        done
    done
    ;;
decode)
    for tree in $(trees); do
        path="${tree#*:}"
        if [ ! -f "$path/fastspring-api/benches/decode_count.rs" ]; then
            # e.g. d097521: copy benches/decode_count.rs and benches/data/ from an older
            # commit that has it (03b5747) and add its [[bench]] entry to Cargo.toml
            echo "$path has no benches/decode_count.rs; copy it there first" >&2
            exit 1
        fi
        # The executable cargo names (right also with a shared CARGO_TARGET_DIR).
        bin=$(cd "$path" && cargo bench --offline -p fastspring-api --bench decode_count --no-run 2>&1 |
            sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
        cases="none wrapper-value wrapper-typed list-value list-typed"
        # the client's own decode path, where the tree has it
        if grep -q list-client "$path/fastspring-api/benches/decode_count.rs"; then
            cases="$cases wrapper-client list-client"
        fi
        for case in $cases; do
            valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" "$bin" "$case" 10 >/dev/null 2>"$OUT/cg.err"
            ir=$(grep -o 'Collected : [0-9]*' "$OUT/cg.err" | grep -o '[0-9]*')
            echo "${tree%%:*} $case $ir"
        done
    done
    echo "# instructions per decode = (case - none) / 10"
    ;;
esac
