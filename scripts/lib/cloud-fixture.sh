# shellcheck shell=bash
# The cloud on the private services, for the scripts: sourced by scripts/api-fuzz,
# scripts/bench-api and scripts/demo. Needs the private services (`make services`).
#
#   cloud_database NAME FOLDER HTTP_PORT BINARY
#       a fresh database bs_NAME with the schema, FOLDER/cloud.toml (clips and the broker password
#       file in FOLDER), the service connecting as a role under row-level security as in
#       production; defines `cloud ARGS…` (the binary on that configuration).
#   cloud_fixture NAME BINARY
#       for the API tools: cloud_database in a scratch folder, the real game 18969, a rink and its
#       appliance, an admin API key and `benchsight-cloud serve` on a free port; sets work, port,
#       key; stops it all on exit.
#   Both expect the caller's `die` and $ROOT.

cloud_database() {
    local name=$1 folder=$2 http_port=$3
    cloud_bin=$4
    cloud_folder=$folder
    [[ -x $cloud_bin ]] || die "$cloud_bin not found: build the workspace's binaries first"
    [[ -f $ROOT/.work/services.env ]] || die "the private services are not running: make services"
    # shellcheck disable=SC1091
    source "$ROOT/.work/services.env"
    local psql=("$BENCHSIGHT_TEST_PG_BIN_DIR/psql" -q -v ON_ERROR_STOP=1)
    local admin=$BENCHSIGHT_TEST_PG_ADMIN_URL
    local base=${admin%/*} db="bs_$name"
    "${psql[@]}" "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    cat >"$folder/cloud.toml" <<TOML
[database]
url = "$base/$db"
owner_url = "$base/$db"
[broker]
host = "$BENCHSIGHT_TEST_MQTT_HOST"
port = $BENCHSIGHT_TEST_MQTT_PORT
[http]
listen = "127.0.0.1:$http_port"
[clips]
path = "$folder/clips"
[broker_admin]
password_file = "$folder/passwd"
TOML
    # shellcheck disable=SC2317  # called by the scripts that source this file, too
    cloud() { "$cloud_bin" --config "$cloud_folder/cloud.toml" "$@"; }
    cloud migrate >/dev/null
    # The service connects as a role subject to row-level security, as in production.
    "${psql[@]}" "$base/$db" -c "DO \$\$ BEGIN CREATE ROLE ${db}_service LOGIN IN ROLE benchsight_app;
        EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
    sed -i "s|^url = .*|url = \"${base/\/\/postgres@/\/\/${db}_service@}/$db\"|" "$folder/cloud.toml"
}

cloud_fixture() {
    local name=$1
    work=$(mktemp -d -t "benchsight-$name.XXXXXX")
    server=
    trap cloud_fixture_stop EXIT
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cloud_database "$name" "$work" "$port" "$2"
    cloud create-tenant league >/dev/null
    cloud import-tracker "$ROOT/../shared/data/benchsight/games/18969.json" --tenant league >/dev/null
    cloud create-rink north --tenant league >/dev/null
    cloud create-device rink-1 --tenant league --rink north >/dev/null
    key=$(cloud create-api-key --tenant league --name "$name" --role admin | sed -n 's/^key .*: //p')
    [[ -n $key ]] || die "no API key"

    # The binary itself in the background (not the function, whose subshell would hide it).
    RUST_LOG=warn "$cloud_bin" --config "$work/cloud.toml" serve >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/serve.log" >&2; die "the service did not start"; }
}

cloud_fixture_stop() {
    [[ -n ${server:-} ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [[ -n ${work:-} ]] && rm -rf "$work"
    return 0
}
