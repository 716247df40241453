# cid serve in a container: the registry on a volume at /registry, DNS on port 53
# (UDP and TCP), metrics and health on port 9553 (/metrics, /healthz).
#
#   docker build -t ucid-serve .
#   docker volume create ucid-registry
#   docker run --rm -v ucid-registry:/registry --entrypoint cid ucid-serve demo init /registry
#   docker run -d --name ucid -v ucid-registry:/registry \
#       -p 53:53/udp -p 53:53/tcp -p 127.0.0.1:9553:9553 ucid-serve
#
# The server runs as an unprivileged user. It binds port 53 without a capability
# because Docker (20.10 and later) and Podman start containers with
# net.ipv4.ip_unprivileged_port_start=0; elsewhere add
# --sysctl net.ipv4.ip_unprivileged_port_start=0. See README.md, "Running as a service".

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md BENCHMARKS.md ./
COPY spec ./spec
COPY cid ./cid
COPY resolver ./resolver
COPY conformance ./conformance
RUN pip install . && rm -rf /src

# A fixed, unprivileged uid: the volume's files belong to it.
RUN groupadd --system --gid 10053 cid \
    && useradd --system --uid 10053 --gid cid --home-dir /registry --no-create-home \
        --shell /usr/sbin/nologin cid \
    && mkdir /registry \
    && chown cid:cid /registry
WORKDIR /registry
VOLUME /registry
USER cid

EXPOSE 53/udp 53/tcp 9553/tcp

# 200 when the zones are loaded and the DNS sockets answer; 503 (or no answer) otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:9553/healthz', timeout=4); sys.exit(0)"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["cid", "serve", "/registry"]
CMD ["--listen", "0.0.0.0:53", "--metrics", "0.0.0.0:9553"]
