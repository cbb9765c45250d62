#!/usr/bin/env bash
# Reproduce the three failures of CloudFront in front of App Runner, and their fix, with plain curl and
# requests against the local backend (`hostlab up`):
#
#   1. forward-host  the viewer's Host reaches App Runner's host-routed front   -> 404, server: envoy
#   2. tls-v1        origin SSL protocols [TLSv1, SSLv3], CloudFormation's default -> 502 from CloudFront
#   3. except-host   Host no longer forwarded: 200, but the app's redirects point at awsapprunner.com
#   4. fixed         TLSv1.2 + AllViewerExceptHostHeader + X-Forwarded-Host function + secret origin
#                    header -> 200, the app sees its own Host and the public one, redirects stay on CloudFront
#
# Usage: scripts/reproduce.sh [--keep]
#   --keep   leave the service, distribution and function in place (a later run reuses them)
#
# It uses this checkout's backend (its .hostlab/ folder, the same one its notebooks, `make` and `hostlab`
# find; HOSTLAB_HOME names another, as the tests do), starts it if `hostlab status` says it is not running,
# and then also stops it at the end. Every step checks
# its evidence and the script exits 1 at the first one missing; cleanup and `hostlab down` run anyway.
# Resources carry the tag project=hostlab-reproduce (scripts/setup_distribution.py), so the notebooks'
# resources are never touched. HOSTLAB_VENV names another virtual environment than the repository's .venv.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

keep=0
for arg in "$@"; do
    case "$arg" in
        --keep) keep=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "reproduce.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${HOSTLAB_VENV:-$repo/.venv}
python="$venv/bin/python"
hostlab="$venv/bin/hostlab"
if [[ ! -x $hostlab ]]; then
    echo "reproduce.sh: $hostlab not found; run \`make test\` or \`make tutorial\` once to create .venv" >&2
    exit 1
fi
command -v curl >/dev/null || { echo "reproduce.sh: curl is needed" >&2; exit 1; }
# This checkout's code, whichever venv runs it: its hostlab finds this checkout's backend (hostlab.settings).
export PYTHONPATH="$repo/src${PYTHONPATH:+:$PYTHONPATH}"

# Seconds curl may take per request; the local backend answers in milliseconds.
CURL_TIMEOUT=20
work=$(mktemp -d "${TMPDIR:-/tmp}/hostlab-reproduce.XXXXXX")
started_backend=0
backend_ready=0
checks=0

# --------------------------------------------------------------------------------------------------------
# Output and checks
# --------------------------------------------------------------------------------------------------------

heading() { printf '\n== %s\n' "$*"; }

fail() {
    echo "FAILED: $*"
    backend_gone
    exit 1
}

# backend_gone: after a failure, say so when the cause is that the backend stopped under us (killed,
# `hostlab down` from another shell, a reboot): its state is gone with it, and only a new run helps.
backend_gone() {
    if ((backend_ready)) && ! "$hostlab" status >/dev/null 2>&1; then
        echo "hostlab: the local backend at ${AWS_ENDPOINT_URL:-?} is not running: it was stopped or" \
            "restarted, and its state is gone; run scripts/reproduce.sh again"
        backend_ready=0 # nothing left to clean up there
    fi
}

# expect LABEL TEXT REGEX: TEXT must have a line matching the extended REGEX (case-insensitive, since
# header names are); prints the check, or fails the run.
expect() {
    if grep -qiE -- "$3" <<<"$2"; then
        checks=$((checks + 1))
        echo "  [ok] $1"
    else
        echo "  [FAILED] $1: no line matches /$3/"
        backend_gone
        exit 1
    fi
}

# A domain name as a literal inside a regular expression.
literal() { sed -e 's/[][\.*^$()+?{}|]/\\&/g' <<<"$1"; }

# Fold what setup_distribution.py wrote to stderr: the waiters redraw a progress bar with carriage returns
# and end on the final state; only that last state of each line is worth showing.
show_setup_log() { awk -F'\r' 'NF && $NF != "" { print "   | " $NF }' "$work/setup.log"; }

# configure NAME: apply one configuration; sets DISTRIBUTION_DOMAIN and SERVICE_DOMAIN.
configure() {
    local assignments
    if ! assignments=$("$python" "$repo/scripts/setup_distribution.py" "$1" 2>"$work/setup.log"); then
        show_setup_log
        fail "scripts/setup_distribution.py $1"
    fi
    show_setup_log
    eval "$assignments"
}

# fetch URL: plain curl through the proxy and CA bundle that `hostlab up` exported (https_proxy,
# CURL_CA_BUNDLE); prints the response head and the page title, and leaves the whole answer in $answer.
# -q ignores ~/.curlrc (an -L there would follow the very redirects under study);
# --suppress-connect-headers keeps the proxy's "200 Connection established" out of -i's output.
answer=""
fetch() {
    local command=(curl -q -sS -i --suppress-connect-headers --max-time "$CURL_TIMEOUT" "$1")
    echo "\$ ${command[*]}"
    answer=$("${command[@]}" | tr -d '\r') || fail "curl $1 got no HTTP answer"
    awk 'NR == 1, /^$/ { if ($0 != "") print "  " $0; next }
         /<[Tt][Ii][Tt][Ll][Ee]>/ { print "  (body) " $0 }' <<<"$answer"
}

# probe DOMAIN: the plain-requests probe of /echo and /login; leaves its output in $probed.
probed=""
probe() {
    echo "\$ python scripts/probe.py $1"
    probed=$("$python" "$repo/scripts/probe.py" "$1") || { echo "$probed"; fail "probe.py $1"; }
    echo "$probed"
}

# --------------------------------------------------------------------------------------------------------
# Backend and cleanup
# --------------------------------------------------------------------------------------------------------

finish() {
    local code=$?
    trap - EXIT
    set +e
    if ((backend_ready)); then
        if ((keep)); then
            heading "kept (--keep): distribution ${DISTRIBUTION_DOMAIN:-?}, service ${SERVICE_DOMAIN:-?}"
        else
            heading "cleanup: everything tagged project=hostlab-reproduce"
            if "$python" "$repo/scripts/setup_distribution.py" cleanup 2>"$work/setup.log"; then
                show_setup_log
            else
                show_setup_log
                echo "FAILED: cleanup; run scripts/setup_distribution.py cleanup"
                ((code)) || code=1
            fi
        fi
    fi
    if ((started_backend)); then
        "$hostlab" down || { ((code)) || code=1; }
    fi
    rm -rf "$work"
    if ((code == 0)); then
        heading "done: $checks checks passed"
    fi
    exit "$code"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

heading "backend (HOSTLAB_HOME=${HOSTLAB_HOME:-$repo/.hostlab, the default of this checkout})"
if "$hostlab" status >/dev/null; then
    echo "a local backend is already running: using it, and leaving it running"
else
    status=$?
    ((status == 3)) || fail "\`hostlab status\` exited with $status"
    started_backend=1
fi
# Only export lines on stdout (messages on stderr), so eval is safe; see README "The local backend".
exports=$("$hostlab" up) || fail "\`hostlab up\`"
eval "$exports"
backend_ready=1

heading "1/4 forward-host: AllViewer sends the viewer's Host to App Runner"
configure forward-host
svc=$(literal "$SERVICE_DOMAIN")
dist=$(literal "$DISTRIBUTION_DOMAIN")
fetch "https://$SERVICE_DOMAIN/echo"
expect "the service answers on its own name" "$answer" '^HTTP/[0-9.]+ 200'
fetch "https://$DISTRIBUTION_DOMAIN/echo"
expect "through CloudFront: 404" "$answer" '^HTTP/[0-9.]+ 404'
expect "from App Runner's Envoy front" "$answer" '^server: envoy$'
probe "$DISTRIBUTION_DOMAIN"
expect "requests: 404 from envoy" "$probed" '^  status: +404$'
expect "requests: an empty body (Envoy's, not the app's)" "$probed" '^  body: +0 bytes$'

heading "2/4 tls-v1: OriginSslProtocols [TLSv1, SSLv3] against an origin that wants TLS 1.2+"
configure tls-v1
fetch "https://$DISTRIBUTION_DOMAIN/echo"
expect "502" "$answer" '^HTTP/[0-9.]+ 502'
expect "answered by CloudFront" "$answer" '^server: CloudFront$'
expect "X-Cache: Error from cloudfront" "$answer" '^x-cache: Error from cloudfront$'
expect "CloudFront's error page" "$answer" '<title>ERROR: The request could not be satisfied</title>'
probe "$DISTRIBUTION_DOMAIN"
expect "requests: 502 with CloudFront's error page" "$probed" \
    '^  page title: +ERROR: The request could not be satisfied$'

heading "3/4 except-host: TLSv1.2 and Host no longer forwarded; the app still believes its host is App Runner's"
configure except-host
fetch "https://$DISTRIBUTION_DOMAIN/login"
expect "302" "$answer" '^HTTP/[0-9.]+ 302'
expect "the redirect leaves CloudFront for awsapprunner.com" "$answer" "^location: https://$svc/account$"
probe "$DISTRIBUTION_DOMAIN"
expect "requests: /echo 200" "$probed" '^  status: +200$'
expect "requests: the app saw App Runner's Host" "$probed" "^  Host the app saw: +$svc$"
expect "requests: no X-Forwarded-Host" "$probed" '^  X-Forwarded-Host: +-$'
expect "requests: the app's public URL is on awsapprunner.com" "$probed" \
    "^  app's public URL: +https://$svc/echo$"

heading "4/4 fixed: TLSv1.2 + AllViewerExceptHostHeader + X-Forwarded-Host function + secret origin header"
configure fixed
fetch "https://$DISTRIBUTION_DOMAIN/login"
expect "302" "$answer" '^HTTP/[0-9.]+ 302'
expect "the redirect stays on CloudFront" "$answer" "^location: https://$dist/account$"
probe "$DISTRIBUTION_DOMAIN"
expect "requests: /echo 200" "$probed" '^  status: +200$'
expect "requests: the app saw its own Host (App Runner routes on it)" "$probed" \
    "^  Host the app saw: +$svc$"
expect "requests: the public host came in X-Forwarded-Host" "$probed" "^  X-Forwarded-Host: +$dist$"
expect "requests: the app's public URL is on CloudFront" "$probed" "^  app's public URL: +https://$dist/echo$"
expect "requests: /login redirects on CloudFront" "$probed" "^  location: +https://$dist/account$"
fetch "https://$SERVICE_DOMAIN/echo"
expect "straight to awsapprunner.com, without the secret: 403" "$answer" '^HTTP/[0-9.]+ 403'
