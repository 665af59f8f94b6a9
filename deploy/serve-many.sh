#!/usr/bin/env bash
# Several `kezek serve` processes on one published home, behind nginx (docs/deployment.md).
#
#   deploy/serve-many.sh HOME [PROCESSES] [PORT]
#
# Starts PROCESSES (default: the number of cores) servers on the loopback ports after PORT
# (default 8080), and nginx on PORT in front of them, with deploy/nginx/kezek.conf.in: the
# API round the processes, each dashboard visitor kept with one. Runs until interrupted
# (Ctrl-C or SIGTERM), then stops them all. KEZEK (default .venv/bin/kezek) and NGINX
# (default nginx) name the programs.
set -euo pipefail

home=${1:?usage: serve-many.sh HOME [PROCESSES] [PORT]}
processes=${2:-$(nproc)}
port=${3:-8080}
here=$(cd "$(dirname "$0")" && pwd)
kezek=${KEZEK:-$here/../.venv/bin/kezek}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
run=$(mktemp -d -t kezek-serve-many-XXXXXX)
pids=()

stop() {
    [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$run"
}
trap stop EXIT
trap 'exit 0' INT TERM

upstreams=""
for i in $(seq 1 "$processes"); do
    p=$((port + i))
    "$kezek" serve --home "$home" --host 127.0.0.1 --port "$p" >"$run/serve-$p.log" 2>&1 &
    pids+=($!)
    upstreams+="        server 127.0.0.1:$p;"$'\n'
done
for i in $(seq 1 "$processes"); do  # each process answers before nginx sends it anything
    p=$((port + i))
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break
        kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { cat "$run/serve-$p.log" >&2; exit 1; }
        sleep 0.2
    done
done

mkdir -p "$run/body" "$run/proxy" "$run/fastcgi" "$run/uwsgi" "$run/scgi"
awk -v run="$run" -v listen="$port" -v upstreams="${upstreams%$'\n'}" '
    { gsub("@RUN@", run); gsub("@LISTEN@", listen) }
    /^[ \t]*@UPSTREAMS@[ \t]*$/ { print upstreams; next }
    { print }' "$here/nginx/kezek.conf.in" >"$run/nginx.conf"
"$nginx" -t -q -c "$run/nginx.conf" -e "$run/error.log"
"$nginx" -c "$run/nginx.conf" -e "$run/error.log" -g "daemon off;" &
pids+=($!)
echo "Kezek on http://127.0.0.1:$port/ ($processes processes on ports $((port + 1))-$((port + processes)), nginx in front)"
wait -n "${pids[@]}"  # one of them ended: stop the rest
