#!/bin/sh
# Install a cloudping agent on this host as a systemd service, in one line:
#
#   curl -fsSL https://hub.example.net/install.sh | sudo sh -s -- --hub hub.example.net:8443 \
#     --name fra1 --hub-fingerprint AB:CD:... --token-file ./fra1.token [agent options...]
#
# It makes a venv in /opt/cloudping with the package, the system user cloudping-agent,
# /etc/cloudping/agent.env and agent.token (root-owned, mode 0600: the unit hands it over as
# a credential), installs cloudping-agent.service and starts it. The options after the four
# named ones are `cloudping agent` options (--country DE --tag datacenter --metrics-listen
# ...). --print-env shows the settings file it would write, and changes nothing.
# Environment: CLOUDPING_PACKAGE (what pip installs; default: cloudping), CLOUDPING_KIT_URL
# (where cloudping-agent.service is fetched from when it is not next to this script).
set -eu

PREFIX=/opt/cloudping
CONF=/etc/cloudping
UNIT=cloudping-agent.service

die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }

hub="" name="" pin="" token="" print_env=no options=""
while [ $# -gt 0 ]; do
    case "$1" in
        --hub) hub="${2:?--hub needs HOST:PORT}"; shift 2 ;;
        --name) name="${2:?--name needs a name}"; shift 2 ;;
        --hub-fingerprint) pin="${2:?--hub-fingerprint needs the SHA-256}"; shift 2 ;;
        --token-file) token="${2:?--token-file needs a file}"; shift 2 ;;
        --print-env) print_env=yes; shift ;;
        *) options="$options $1"; shift ;;
    esac
done
[ -n "$hub" ] && [ -n "$name" ] && [ -n "$pin" ] || die "give --hub, --name and --hub-fingerprint"

environment() {
    printf '# Written by agents/install.sh; read by %s (EnvironmentFile).\n' "$UNIT"
    printf 'CLOUDPING_HUB=%s\nCLOUDPING_AGENT_NAME=%s\n' "$hub" "$name"
    printf 'CLOUDPING_HUB_FINGERPRINT=%s\nCLOUDPING_AGENT_OPTIONS=%s\n' "$pin" "${options# }"
}

if [ "$print_env" = yes ]; then
    environment
    exit 0
fi
[ "$(id -u)" = 0 ] || die "run as root (sudo)"
[ -r "$token" ] || die "--token-file: cannot read ${token:-nothing given} (cloudping token issue --sub $name --aud agent)"

python3 -m venv "$PREFIX"
"$PREFIX/bin/pip" install --quiet --disable-pip-version-check "${CLOUDPING_PACKAGE:-cloudping}"
id cloudping-agent >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin cloudping-agent
install -d -m 0750 -g cloudping-agent "$CONF"
environment | install -m 0640 -g cloudping-agent /dev/stdin "$CONF/agent.env"
install -m 0600 "$token" "$CONF/agent.token"
here="$(dirname "$0")"
if [ -r "$here/$UNIT" ]; then
    install -m 0644 "$here/$UNIT" "/etc/systemd/system/$UNIT"
else
    curl -fsSL "${CLOUDPING_KIT_URL:?set CLOUDPING_KIT_URL to where $UNIT is served}/$UNIT" \
        | install -m 0644 /dev/stdin "/etc/systemd/system/$UNIT"
fi
systemctl daemon-reload
systemctl enable --now "$UNIT"
echo "cloudping agent $name: started (journalctl -u $UNIT)"
