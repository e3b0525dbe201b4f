#!/usr/bin/env bash
# Install the Debian packages the tests need, only when missing. Tests start their own servers.
set -euo pipefail
declare -A need=()   # command to check -> Debian package
need[redis-server]=redis-server
need[/usr/lib/postgresql/15/bin/initdb]=postgresql
need[/usr/sbin/pgbouncer]=pgbouncer   # a transaction-mode pooler, as Supabase's
need[promtool]=prometheus              # checks the alert rules in k8s/ (tests/deploy)
need[dockerd]=docker.io                 # builds and runs the images (tests/deploy/test_images.py)
need[debootstrap]=debootstrap          # their stand-in base image: no registry is reachable
need[/usr/bin/prometheus]=prometheus   # the server tests/e2e/test_prometheus.py scrapes the stack with
need[/usr/bin/chromium]=chromium       # the browser tests/dashboard drive (Playwright, no download)

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing Debian packages for the tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages' own services are not wanted: the tests run their own throwaway servers.
$sudo service redis-server stop >/dev/null 2>&1 || true
$sudo service postgresql stop >/dev/null 2>&1 || true
$sudo service pgbouncer stop >/dev/null 2>&1 || true
$sudo service prometheus stop >/dev/null 2>&1 || true
$sudo service docker stop >/dev/null 2>&1 || true
