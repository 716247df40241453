"""Real authoritative DNS servers (Knot, NSD) for tests, on loopback high ports.

The helpers here start an unmodified ``knotd`` or ``nsd`` from the Debian
packages, pointed at zone files that a test wrote, and wait until the server
answers.  Everything a server writes (configuration, journal, PID file, logs)
goes to a private temporary directory that is removed on exit; the zone files
themselves are only read, never rewritten.

Typical use::

    from dnsservers import KnotServer, TsigKey

    key = TsigKey.random()
    with KnotServer({"acme.ucid.example.": zone_path}, tsig=key, allow_update=True) as srv:
        dns.query.udp(query, srv.address, port=srv.port, timeout=2)

A zone given as a :class:`Primary` instead of a file is a secondary zone: the
server transfers it from that primary (AXFR, then IXFR) with the primary's
TSIG key, and takes NOTIFY signed with that key from the primary's address::

    with NsdServer({"acme.ucid.example.": Primary("127.0.0.1", 5353, key)}) as srv: ...

A missing binary skips the test, or fails it when ``CID_REQUIRE_REAL_DNS`` is
set to anything but ``""`` or ``"0"`` (see :func:`require_binary`), so that a CI
job that installs the servers cannot silently lose these tests.

A test that uses them is marked ``@pytest.mark.realdns`` (``pytest -m "not realdns"``
leaves them out); :func:`require_binary` fails a test that is not, so the marker
stays true. ``tests/helpers`` is on ``sys.path`` (``pythonpath`` in pyproject.toml),
so ``import dnsservers`` works from any test.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import pytest

__all__ = [
    "REQUIRE_ENV",
    "DnsServer",
    "KnotServer",
    "NsdServer",
    "Primary",
    "ServerStartError",
    "TsigKey",
    "dig",
    "free_port",
    "kdig",
    "require_binary",
]

#: Environment variable that turns "binary not installed" from a skip into a failure.
REQUIRE_ENV = "CID_REQUIRE_REAL_DNS"

#: Directories searched after ``$PATH``: ``knotd`` and ``nsd`` live in /usr/sbin,
#: which is not on an unprivileged user's ``PATH`` on Debian.
_SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")

#: How long :meth:`DnsServer.start` waits for every zone to answer.
START_TIMEOUT = 10.0

#: How long a CLI helper (``dig``, ``kdig``, ``nsd-checkconf``) may run.
CLI_TIMEOUT = 10.0


class ServerStartError(RuntimeError):
    """A server died, rejected its configuration, or never answered; the message has its log."""


# ---------------------------------------------------------------------------
# Binaries and ports
# ---------------------------------------------------------------------------


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


#: Whether the test being set up is marked ``realdns``; set by tests/conftest.py.
#: None outside a test run (a benchmark script run by hand).
CURRENT_TEST_IS_REALDNS: bool | None = None


def require_binary(name: str) -> str:
    """Return the absolute path of the executable ``name``, or skip/fail the test.

    ``$PATH`` is searched first, then the sbin directories.  When the binary is
    absent the current test is skipped with ``"<name> not installed"``, unless
    ``CID_REQUIRE_REAL_DNS`` is set (non-empty and not ``"0"``), in which case it
    fails. A test not marked ``realdns`` that gets here fails: the marker must say
    which tests need the servers.
    """
    if CURRENT_TEST_IS_REALDNS is False:
        pytest.fail(f"this test needs {name}: mark it @pytest.mark.realdns")
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), *_SBIN_DIRS])
    found = shutil.which(name, path=search)
    if found is not None:
        return found
    if _required():
        pytest.fail(f"{name} not installed (required because {REQUIRE_ENV} is set)")
    pytest.skip(f"{name} not installed")


def free_port(address: str = "127.0.0.1") -> int:
    """Return a port on ``address`` that was free for both UDP and TCP a moment ago.

    The kernel picks a free TCP port; the same number is then bound over UDP.
    Like every such helper it is racy (another process may take the port before
    the server binds it); :class:`DnsServer` retries with a fresh port when a
    server started on an automatic port dies at start-up.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((address, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((address, port))
                except OSError:
                    continue
                return port
    raise OSError(f"no port free for both UDP and TCP on {address}")


def _run_cli(binary: str, args: Sequence[str], timeout: float) -> str:
    exe = require_binary(binary)
    try:
        done = subprocess.run(
            [exe, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{binary} {' '.join(args)} timed out after {timeout} s") from e
    if done.returncode != 0:
        raise AssertionError(
            f"{binary} {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def dig(args: Sequence[str], timeout: float = CLI_TIMEOUT) -> str:
    """Run ``dig ARGS`` and return its stdout; raise ``AssertionError`` on a non-zero exit.

    Pass ``@127.0.0.1``, ``-p PORT`` and ``+tries=1 +time=2`` yourself.
    """
    return _run_cli("dig", args, timeout)


def kdig(args: Sequence[str], timeout: float = CLI_TIMEOUT) -> str:
    """Run Knot's ``kdig ARGS`` and return its stdout; raise ``AssertionError`` on failure."""
    return _run_cli("kdig", args, timeout)


# ---------------------------------------------------------------------------
# TSIG
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TsigKey:
    """A TSIG key (RFC 8945) shared by a server's configuration and dnspython.

    ``name`` is a domain name (a trailing dot is optional); ``algorithm`` is the
    name both Knot and dnspython accept (``hmac-sha256``, ``hmac-sha512``...).
    """

    name: str
    secret_b64: str
    algorithm: str = "hmac-sha256"

    @classmethod
    def random(cls, name: str = "cid-test-key.", algorithm: str = "hmac-sha256") -> TsigKey:
        """A key with a fresh 256-bit secret."""
        return cls(name, base64.b64encode(secrets.token_bytes(32)).decode("ascii"), algorithm)

    @property
    def dns_name(self) -> dns.name.Name:
        """The key name as an absolute dnspython name."""
        return dns.name.from_text(self.name)

    def dnspython_key(self) -> dns.tsig.Key:
        """The key as a ``dns.tsig.Key``."""
        return dns.tsig.Key(self.dns_name, self.secret_b64, self.algorithm)

    def dnspython_keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        """A one-key keyring for ``keyring=`` arguments (``dns.update``, ``Message.use_tsig``)."""
        return {self.dns_name: self.dnspython_key()}


@dataclass(frozen=True, slots=True)
class Primary:
    """The primary a secondary zone is transferred from, and takes NOTIFY from."""

    address: str
    port: int
    key: TsigKey


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


def _abs_name(zone: str) -> str:
    return dns.name.from_text(zone).to_text()


class DnsServer:
    """A DNS server subprocess in a private temporary directory; use as a context manager.

    Subclasses write the configuration (:meth:`_configure`) and give the
    command line (:meth:`_command`).  :meth:`start` launches the server and
    returns once each zone's SOA is answered authoritatively over UDP;
    :meth:`stop` sends SIGTERM, then SIGKILL, and removes the directory.
    """

    binary: ClassVar[str]
    #: Log lines meaning a zone will never load, so waiting longer is pointless.
    fatal_log_markers: ClassVar[tuple[str, ...]] = ()
    _PORT_ATTEMPTS: ClassVar[int] = 3

    def __init__(
        self,
        zones: Mapping[str, Path | Primary],
        address: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        if not zones:
            raise ValueError("a server needs at least one zone")
        self.zones: dict[str, Path | Primary] = {
            _abs_name(name): z if isinstance(z, Primary) else Path(z).resolve()
            for name, z in zones.items()
        }
        self.address = address
        self._fixed_port = port
        self.port: int = port if port is not None else 0
        self.workdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._exe = ""

    # -- subclass hooks ---------------------------------------------------

    def _configure(self, workdir: Path) -> Path:
        """Write the configuration under ``workdir``; return its absolute path."""
        raise NotImplementedError

    def _command(self, config: Path) -> list[str]:
        raise NotImplementedError

    def _log_files(self) -> list[Path]:
        """Log files, besides stderr, that :meth:`stderr_text` should include."""
        return []

    # -- life cycle -------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server and wait (at most ``START_TIMEOUT`` s) until every zone answers."""
        if self._proc is not None:
            raise RuntimeError("server already started")
        self._exe = require_binary(self.binary)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"cid-{self.binary}-"))
        attempts = 1 if self._fixed_port is not None else self._PORT_ATTEMPTS
        for attempt in range(attempts):
            if self._fixed_port is None:
                self.port = free_port(self.address)
            try:
                self._start_once()
            except ServerStartError:
                died = self._proc is not None and self._proc.poll() is not None
                self._terminate()
                # An automatic port may have been taken between free_port() and bind().
                if died and attempt + 1 < attempts:
                    continue
                self._cleanup()
                raise
            return

    def _start_once(self) -> None:
        assert self.workdir is not None
        config = self._configure(self.workdir)
        stderr = (self.workdir / "stderr.log").open("wb")
        with stderr:
            self._proc = subprocess.Popen(
                self._command(config),
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                cwd=self.workdir,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(self.zones)
        last = "no answer"
        while pending:
            if self._proc.poll() is not None:
                raise ServerStartError(
                    f"{self.binary} exited with status {self._proc.returncode} during start-up"
                    f"\n{self.stderr_text()}"
                )
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"{self.binary} on {self.address}@{self.port} did not answer SOA for "
                    f"{pending[0]} within {START_TIMEOUT} s (last: {last})\n{self.stderr_text()}"
                )
            zone = pending[0]
            query = dns.message.make_query(zone, dns.rdatatype.SOA)
            try:
                reply = dns.query.udp(query, self.address, port=self.port, timeout=0.2)
            except (dns.exception.Timeout, OSError) as e:
                last = repr(e)
                time.sleep(0.05)
                continue
            if (
                reply.rcode() == dns.rcode.NOERROR
                and reply.flags & dns.flags.AA
                and any(rrset.rdtype == dns.rdatatype.SOA for rrset in reply.answer)
            ):
                pending.pop(0)
            else:
                last = f"rcode {dns.rcode.to_text(reply.rcode())}"
                log = self.stderr_text()
                if any(marker in log for marker in self.fatal_log_markers):
                    raise ServerStartError(
                        f"{self.binary} failed to load a zone (SOA {zone}: {last})\n{log}"
                    )
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and remove its directory."""
        self._terminate()
        self._cleanup()

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # The server runs in its own session: kill its children (NSD forks) too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def _cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # -- inspection -------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stderr_text(self) -> str:
        """What the server wrote to stderr/stdout, followed by its log files."""
        if self.workdir is None:
            return ""
        parts = []
        for path in [self.workdir / "stderr.log", *self._log_files()]:
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace")
                if text:
                    parts.append(text)
        return "\n".join(parts)


def _q(value: str | Path) -> str:
    """Quote a configuration string (both servers accept double-quoted strings)."""
    text = str(value)
    if '"' in text or "\n" in text:
        raise ValueError(f"cannot quote {text!r} for a server configuration")
    return f'"{text}"'


class KnotServer(DnsServer):
    """``knotd`` serving ``zones`` (name -> zone file) in the foreground.

    The configuration keeps every path absolute (knotd resolves relative ones
    against its compiled-in storage, not the configuration's directory).  Zone
    files are loaded as they are and never written back (``zonefile-sync: -1``):
    changes from dynamic updates live in the journal in the temporary directory
    and are served from memory.

    With ``tsig`` the key is configured; with ``allow_update`` as well, an ACL
    allows RFC 2136 UPDATE signed with that key and nothing else (unsigned or
    wrongly signed updates are refused).

    With ``tsig`` and ``secondaries`` ((address, port) pairs), Knot is their
    primary for its zone files: it sends them NOTIFY after each change and lets
    them transfer the zones, both signed with ``tsig``. A zone given as a
    :class:`Primary` is a secondary zone (module text).
    """

    binary = "knotd"
    # knotd keeps running when a zone fails to load; it answers SERVFAIL for it.
    fatal_log_markers = ("zone event 'load' failed", "failed to load zone")

    def __init__(
        self,
        zones: Mapping[str, Path | Primary],
        address: str = "127.0.0.1",
        port: int | None = None,
        tsig: TsigKey | None = None,
        allow_update: bool = False,
        secondaries: Sequence[tuple[str, int]] = (),
        udp_workers: int = 1,
    ) -> None:
        if (allow_update or secondaries) and tsig is None:
            raise ValueError("allow_update and secondaries need a TSIG key")
        super().__init__(zones, address, port)
        self.udp_workers = udp_workers  # threads answering UDP (benchmarks: cid serve --workers)
        if secondaries and any(isinstance(z, Primary) for z in self.zones.values()):
            raise ValueError("a primary with secondaries, or a secondary: not both")
        self.tsig = tsig
        self.allow_update = allow_update
        self.secondaries = list(secondaries)

    def _configure(self, workdir: Path) -> Path:
        storage = workdir / "storage"
        storage.mkdir(exist_ok=True)
        lines = [
            "server:",
            f"    rundir: {_q(workdir)}",
            f"    pidfile: {_q(workdir / 'knot.pid')}",
            f"    listen: {self.address}@{self.port}",
            f"    udp-workers: {self.udp_workers}",
            "    tcp-workers: 1",
            "    background-workers: 1",
            "",
            "control:",
            f"    listen: {_q(workdir / 'knot.sock')}",
            "",
            "log:",
            "  - target: stderr",
            "    any: info",
            "",
            "database:",
            f"    storage: {_q(storage)}",
            "",
        ]
        acl = ""
        primaries = sorted(
            {z for z in self.zones.values() if isinstance(z, Primary)},
            key=lambda p: (p.address, p.port, p.key.name),
        )
        keys = {k.dns_name: k for k in [self.tsig, *(p.key for p in primaries)] if k is not None}
        if keys:
            lines.append("key:")
            for key in keys.values():
                lines += [
                    f"  - id: {key.dns_name.to_text()}",
                    f"    algorithm: {key.algorithm}",
                    f"    secret: {key.secret_b64}",
                ]
            lines.append("")
        if primaries:
            lines.append("remote:")
            for i, primary in enumerate(primaries):
                lines += [
                    f"  - id: primary{i}",
                    f"    address: {primary.address}@{primary.port}",
                    f"    key: {primary.key.dns_name.to_text()}",
                ]
            lines += ["", "acl:"]
            for i, primary in enumerate(primaries):
                lines += [
                    f"  - id: notify{i}",
                    f"    address: {primary.address}",
                    f"    key: {primary.key.dns_name.to_text()}",
                    "    action: notify",
                ]
            lines.append("")
        if self.tsig is not None and (self.allow_update or self.secondaries):
            acl = "cid_update"
            actions = ["update"] * self.allow_update + ["transfer"] * bool(self.secondaries)
            lines += [
                *([] if primaries else ["acl:"]),
                f"  - id: {acl}",
                f"    key: {self.tsig.dns_name.to_text()}",
                f"    action: [{', '.join(actions)}]",
                "",
            ]
        if self.tsig is not None and self.secondaries:
            lines.append("remote:")
            for i, (address, port) in enumerate(self.secondaries):
                lines += [
                    f"  - id: secondary{i}",
                    f"    address: {address}@{port}",
                    f"    key: {self.tsig.dns_name.to_text()}",
                ]
            lines.append("")
        lines.append("zone:")
        for name, path in self.zones.items():
            if isinstance(path, Primary):  # a secondary zone: transferred, never in a file
                i = primaries.index(path)
                lines += [
                    f"  - domain: {_q(name)}",
                    f"    file: {_q(workdir / (name + 'zone'))}",
                    f"    storage: {_q(storage)}",
                    f"    master: primary{i}",
                    f"    acl: notify{i}",
                    "    zonefile-load: none",
                    "    zonefile-sync: -1",
                    "    journal-content: changes",
                    "    semantic-checks: on",
                ]
                continue
            lines += [
                f"  - domain: {_q(name)}",
                f"    file: {_q(path)}",
                f"    storage: {_q(storage)}",
                "    zonefile-load: whole",
                "    zonefile-sync: -1",
                "    journal-content: changes",
                "    semantic-checks: on",
            ]
            if acl:
                lines.append(f"    acl: {acl}")
            if self.secondaries:
                notify = ", ".join(f"secondary{i}" for i in range(len(self.secondaries)))
                lines.append(f"    notify: [{notify}]")
        config = workdir / "knot.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    def _command(self, config: Path) -> list[str]:
        return [self._exe, "-c", str(config.resolve())]


class NsdServer(DnsServer):
    """``nsd -d`` (foreground) serving ``zones`` (name -> zone file).

    Response rate limiting, on by default in Debian's build (200 answers per
    second per /24, after which NSD drops or truncates answers), is turned off.
    There is no database, no chroot, no privilege drop and no remote control;
    the configuration is checked with ``nsd-checkconf`` and each zone file with
    ``nsd-checkzone`` before the server starts, so their messages surface.
    """

    binary = "nsd"

    def _log_files(self) -> list[Path]:
        return [] if self.workdir is None else [self.workdir / "nsd.log"]

    def _configure(self, workdir: Path) -> Path:
        lines = [
            "server:",
            f"    ip-address: {self.address}@{self.port}",
            f"    port: {self.port}",
            "    do-ip4: yes",
            "    do-ip6: no",
            "    server-count: 1",
            "    reuseport: no",
            '    username: ""',
            '    chroot: ""',
            f"    zonesdir: {_q(workdir)}",
            '    database: ""',
            f"    pidfile: {_q(workdir / 'nsd.pid')}",
            f"    xfrdfile: {_q(workdir / 'xfrd.state')}",
            f"    xfrdir: {_q(workdir)}",
            f"    zonelistfile: {_q(workdir / 'zone.list')}",
            f"    logfile: {_q(workdir / 'nsd.log')}",
            "    verbosity: 2",
            "    rrl-ratelimit: 0",
            "    rrl-whitelist-ratelimit: 0",
            "    xfrd-reload-timeout: 0",  # a transferred zone is served at once
            "",
            "remote-control:",
            "    control-enable: no",
            "",
        ]
        keys = {z.key.dns_name: z.key for z in self.zones.values() if isinstance(z, Primary)}
        for key in keys.values():
            lines += [
                "key:",
                f"    name: {_q(key.dns_name.to_text())}",
                f"    algorithm: {key.algorithm}",
                f"    secret: {_q(key.secret_b64)}",
                "",
            ]
        for name, path in self.zones.items():
            if isinstance(path, Primary):  # a secondary zone: transferred (IXFR, else AXFR)
                k = path.key.dns_name.to_text()
                lines += [
                    "zone:",
                    f"    name: {_q(name)}",
                    f"    zonefile: {_q(workdir / (name + 'zone'))}",
                    f"    request-xfr: {path.address}@{path.port} {k}",
                    f"    allow-notify: {path.address} {k}",
                    "",
                ]
                continue
            lines += ["zone:", f"    name: {_q(name)}", f"    zonefile: {_q(path)}", ""]
        config = workdir / "nsd.conf"
        config.write_text("\n".join(lines))
        self._check(["nsd-checkconf", str(config)], "configuration")
        for name, path in self.zones.items():
            if not isinstance(path, Primary):
                self._check(["nsd-checkzone", name, str(path)], f"zone {name}")
        return config

    def _check(self, argv: list[str], what: str) -> None:
        exe = require_binary(argv[0])
        done = subprocess.run(
            [exe, *argv[1:]], capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False
        )
        if done.returncode != 0:
            raise ServerStartError(f"{argv[0]} rejected the {what}:\n{done.stdout}{done.stderr}")

    def _command(self, config: Path) -> list[str]:
        return [self._exe, "-d", "-c", str(config.resolve())]


class UnboundServer(DnsServer):
    """``unbound -d`` (foreground): a recursive resolver on loopback, without a validator.

    ``stubs`` maps each zone Unbound may resolve to its authoritative servers,
    as (address, port) pairs: one ``stub-zone`` each, from which Unbound
    iterates on its own (glue carries no port, so every server of a zone below
    must listen on port 53, or be in one of the stubs). Names outside the zones
    would go to the Internet root, which no test asks for.

    Unbound runs as the current user with no chroot, only the iterator module
    (the zones are not DNSSEC-signed and are marked insecure), queries to
    loopback allowed, and QNAME minimisation off (one question per query, as a
    UCID resolver asks). It is ready when it answers each zone's SOA.
    """

    binary = "unbound"

    def __init__(
        self,
        stubs: Mapping[str, Sequence[tuple[str, int]]],
        address: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        if not all(stubs.values()):
            raise ValueError("every stub zone needs at least one server")
        # The base class keeps zone -> file; Unbound has no zone files.
        super().__init__({zone: Path(os.devnull) for zone in stubs}, address, port)
        self.stubs = {_abs_name(zone): tuple(servers) for zone, servers in stubs.items()}

    def _configure(self, workdir: Path) -> Path:
        lines = [
            "server:",
            f"    interface: {self.address}",
            f"    port: {self.port}",
            "    do-ip4: yes",
            "    do-ip6: no",
            "    num-threads: 1",
            "    do-daemonize: no",
            "    use-syslog: no",
            '    logfile: ""',
            "    verbosity: 1",
            '    username: ""',
            '    chroot: ""',
            f"    directory: {_q(workdir)}",
            f"    pidfile: {_q(workdir / 'unbound.pid')}",
            "    access-control: 127.0.0.0/8 allow",
            "    do-not-query-localhost: no",
            '    module-config: "iterator"',
            "    qname-minimisation: no",
            *(f"    domain-insecure: {_q(zone)}" for zone in self.stubs),
            "",
            "remote-control:",
            "    control-enable: no",
            "",
        ]
        for zone, servers in self.stubs.items():
            lines += ["stub-zone:", f"    name: {_q(zone)}"]
            lines += [f"    stub-addr: {address}@{port}" for address, port in servers]
            lines.append("")
        config = workdir / "unbound.conf"
        config.write_text("\n".join(lines))
        return config

    def _command(self, config: Path) -> list[str]:
        return [self._exe, "-d", "-c", str(config.resolve())]

    def _wait_ready(self) -> None:
        # The base class waits for AA answers; a recursive answer never has AA.
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        for zone in self.zones:
            while not self._resolves(zone):
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise ServerStartError(
                        f"unbound on {self.address}@{self.port} did not resolve SOA {zone} "
                        f"(exit status {self._proc.poll()})\n{self.stderr_text()}"
                    )
                time.sleep(0.05)

    def _resolves(self, zone: str) -> bool:
        query = dns.message.make_query(zone, dns.rdatatype.SOA)
        try:
            reply = dns.query.udp(query, self.address, port=self.port, timeout=0.5)
        except (dns.exception.Timeout, OSError):
            return False
        return reply.rcode() == dns.rcode.NOERROR and any(
            rrset.rdtype == dns.rdatatype.SOA for rrset in reply.answer
        )


__all__ += ["UnboundServer"]


def query(
    port: int, name: str, rdtype: object, *, tcp: bool = False, timeout: float = 5.0
) -> dns.message.Message:
    """Ask 127.0.0.1:``port`` one question as a resolver asks an authority: EDNS(0)
    with a 1232-octet payload, RD clear; over TCP when ``tcp``."""
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)  # type: ignore[arg-type]
    q.flags &= ~dns.flags.RD
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, "127.0.0.1", port=port, timeout=timeout)
