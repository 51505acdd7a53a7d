# agauthd's container image: the daemon and agauthctl on Debian 12 slim,
# running as the user agauthd (10001), never root.
#
#   docker build -t agauthd .
#   docker compose -f deploy/docker-compose.yml up      # beside an app
#   kubectl apply -f deploy/kubernetes/                 # as a sidecar
#
# Its RUN steps are run by tests/container/run.sh in a Debian 12 root made
# with mmdebstrap (there is no docker where the tests run); keep each step
# a plain shell command.  docs/operations.md, "Containers and Kubernetes".

# ---- build: the two programs, with make (the build's packages only:
# libcrypto 3 is the crypto backend; hiredis for [cluster])
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc make pkg-config libc6-dev libev-dev libmsgpack-dev libinih-dev libxxhash-dev libssl-dev libhiredis-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
RUN make build/agauthd build/agauthctl

# ---- run: their libraries, a user, the directories it owns
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libev4 libinih1 libmsgpackc2 libssl3 libhiredis0.14 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 agauthd && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin agauthd && install -d -o 10001 -g 10001 -m 0750 /run/agauthd /var/lib/agauthd && install -d -o 10001 -g 10001 -m 0700 /etc/agauthd/keys && install -d -m 0755 /etc/agauthd/keyring
COPY --from=build /src/build/agauthd /usr/sbin/agauthd
COPY --from=build /src/build/agauthctl /usr/bin/agauthctl
COPY deploy/agauthd.conf /etc/agauthd/agauthd.conf
COPY deploy/keyring.conf /etc/agauthd/keyring/keyring.conf
USER 10001:10001
ENV AGAUTHD_SOCKET=/run/agauthd/agauthd.sock
VOLUME ["/run/agauthd", "/var/lib/agauthd", "/etc/agauthd/keys"]
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/bin/agauthctl", "ping"]
ENTRYPOINT ["/usr/sbin/agauthd", "-c", "/etc/agauthd/agauthd.conf"]
