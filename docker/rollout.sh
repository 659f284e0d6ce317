#!/usr/bin/env bash
# Zero-downtime rollout of one compose service to the image now named in the env file.
#
#   docker/rollout.sh api [timeout_seconds]      # also: console, worker
#
# 1. start as many NEW containers as there are old ones (compose --scale, --no-recreate keeps the
#    old ones running on the old image), 2. wait until every new container's HEALTHCHECK says
#    healthy, 3. stop the old ones gracefully (SIGTERM; in-flight requests and jobs finish), 4.
#    settle the scale back. Caddy re-resolves the service name every second and retries another
#    replica while one starts or stops, so clients see no error. If a new container is not healthy
#    in time, the new ones are removed and the old ones keep serving (exit 1).
# Run database migrations first (`docker compose run --rm migrate`); they must be backward
# compatible with the running version (expand first, contract in a later release).
set -euo pipefail

service="${1:?usage: docker/rollout.sh api|console|worker [timeout_seconds]}"
timeout="${2:-300}"
read -r -a compose <<<"${INVOICEFLOW_COMPOSE:-docker compose --env-file /etc/invoiceflow/invoiceflow.env}"

log() { echo "rollout[$service]: $*"; }

mapfile -t old < <("${compose[@]}" ps --quiet "$service")
count="${#old[@]}"
if [ "$count" -eq 0 ]; then
  log "no running container; starting it"
  exec "${compose[@]}" up -d --no-deps "$service"
fi

log "${count} old container(s); starting ${count} new"
"${compose[@]}" up -d --no-deps --no-recreate --scale "${service}=$((count * 2))" "$service"
mapfile -t all < <("${compose[@]}" ps --quiet "$service")
new=()
for id in "${all[@]}"; do
  [[ " ${old[*]} " == *" $id "* ]] || new+=("$id")
done
[ "${#new[@]}" -gt 0 ] || { log "compose started no new container"; exit 1; }

deadline=$((SECONDS + timeout))
for id in "${new[@]}"; do
  while :; do
    status="$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")"
    case "$status" in
      healthy | running) break ;;
      unhealthy | exited | dead)
        log "new container ${id:0:12} is $status; rolling back"
        docker logs --tail 50 "$id" >&2 || true
        docker rm -f "${new[@]}" >/dev/null
        "${compose[@]}" up -d --no-deps --no-recreate --scale "${service}=${count}" "$service"
        exit 1
        ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "new container ${id:0:12} not healthy after ${timeout}s; rolling back"
      docker rm -f "${new[@]}" >/dev/null
      "${compose[@]}" up -d --no-deps --no-recreate --scale "${service}=${count}" "$service"
      exit 1
    fi
    sleep 2
  done
  log "new container ${id:0:12} is healthy"
done

log "stopping ${count} old container(s) gracefully"
docker stop "${old[@]}" >/dev/null
docker rm "${old[@]}" >/dev/null
"${compose[@]}" up -d --no-deps --no-recreate --scale "${service}=${count}" "$service"
log "done: ${count} container(s) on $("${compose[@]}" images --quiet "$service" | sort -u | paste -sd' ')"
