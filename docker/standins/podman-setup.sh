# docker/standins/podman-setup.sh, sourced by docker/smoke, docker/standins/* and
# docker/test-containers: podman that works on these machines, installed from Debian when
# missing (CI starts from a fresh machine). Runs as root. Exports CONTAINERS_CONF.
#   extra_tools="curl ..." . docker/standins/podman-setup.sh   (extra Debian packages to ensure)

podman_setup_cache=${FACTLIB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/factlib-ts}
podman_setup_missing=
command -v podman >/dev/null 2>&1 || podman_setup_missing="$podman_setup_missing podman"
command -v runc >/dev/null 2>&1 || podman_setup_missing="$podman_setup_missing runc"
command -v debootstrap >/dev/null 2>&1 || podman_setup_missing="$podman_setup_missing debootstrap"
for podman_setup_tool in ${extra_tools:-}; do
  dpkg -s "$podman_setup_tool" >/dev/null 2>&1 || podman_setup_missing="$podman_setup_missing $podman_setup_tool"
done
if [ -n "$podman_setup_missing" ]; then
  printf 'podman-setup: installing from Debian:%s\n' "$podman_setup_missing" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $podman_setup_missing >/dev/null
fi

# podman's defaults are refused on these machines: crun fails on this kernel's cgroup setup,
# and so does setting the default ulimits. A config of our own fixes both for every podman
# call, podman-compose's and `podman system service`'s included.
mkdir -p "$podman_setup_cache/podman"
cat >"$podman_setup_cache/podman/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$podman_setup_cache/podman/containers.conf
