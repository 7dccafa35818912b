"""For the reliability tests: the API served by Granian (`interactions serve`) on a free
port, and a bounded HTTP load on it from a second process that records every answer.

The load process (`python -m tests.load ...`) runs a few client threads that each send one
request at a time, over the given paths in turn, until the stop file appears, the time limit
passes or the request budget is spent; it then writes one JSON line per request: when it
started and how long it took (wall clock, seconds), the status, the body, or the error when
no HTTP answer came at all. Only 127.0.0.1 is ever a target.
"""

import argparse
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port free now, for a server that cannot report the port it bound (another process
    may take it before the server binds it; prefer PORT=0 and `listening_ports`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_below_ephemeral_range() -> int:
    """A free port below the kernel's ephemeral range, for a server that must bind a port
    chosen beforehand and bind it again after a stop (a private PostgreSQL): no outgoing
    connection is ever given such a port, so between a stop and a start nothing takes it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    # Under pytest-xdist each worker draws from a slice of its own (gw0, gw1, ...): two
    # workers never pick the same port between a probe and a bind.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    width = (low - 20000) // max(workers, 1)
    first = 20000 + worker * width
    while True:
        port = random.randrange(first, first + width)  # noqa: S311 - not a secret
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def listening_ports(pids) -> set[int]:
    """The TCP ports that processes `pids` listen on (/proc: their sockets' inodes among the
    kernel's listening sockets)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
        except OSError:
            continue
    return {port for _, port, inode in listening_sockets() if inode in inodes}


def listening_sockets() -> list[tuple[str, int, str]]:
    """The kernel's listening TCP sockets (/proc/net/tcp and tcp6): (address, port, inode)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] != "0A":  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            # The kernel writes each 32-bit word in host (little-endian) order.
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
            found.append((socket.inet_ntop(family, packed), int(port, 16), fields[9]))
    return found


def children(pid: int) -> set[int]:
    """A process's children."""
    try:
        return {
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        }
    except OSError:
        return set()


class ApiServer:
    """`interactions serve` (Granian, WEB_CONCURRENCY workers) on 127.0.0.1 and the port the
    kernel picks (PORT=0: no other process can hold it), with `environ` over this process's
    environment; its output goes to `log_path`. `host` None: HOST unset, the server's own
    default."""

    def __init__(self, environ: dict[str, str], log_path: Path, workers: int = 2, host="127.0.0.1"):
        self.log_path = log_path
        env = {
            **os.environ,
            **environ,
            "HOST": host or "",
            "PORT": "0",
            "WEB_CONCURRENCY": str(workers),
        }
        if host is None:
            del env["HOST"]
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        offset = self._log.tell()
        interactions = Path(sys.executable).with_name("interactions")
        # A process group of its own: stop() leaves none of its processes behind (a worker
        # outlives a main process killed before its workers stopped).
        self.process = subprocess.Popen(  # noqa: S603
            [str(interactions), "serve"],
            env=env,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self.port = None
        # Started: all its workers have loaded the app (a stop while one is starting would
        # leave it behind: Granian 2.8.9 does not stop a worker it is spawning) and listen on
        # the port, and it answers (a test comparing worker ids needs them all).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            workers_now = self.worker_pids()
            ports = listening_ports([self.process.pid, *workers_now])
            started = self.log(offset).count("] Started worker-")
            if len(ports) == 1 and len(workers_now) == workers and started >= workers:
                self.port = ports.pop()
                self.url = f"http://127.0.0.1:{self.port}"
                try:
                    with urllib.request.urlopen(f"{self.url}/health", timeout=1):  # noqa: S310
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the API did not start {workers} workers within 30 s; see {log_path}")

    def worker_pids(self) -> set[int]:
        """The Granian workers' process ids (the server's children)."""
        return children(self.process.pid)

    def log(self, offset: int = 0) -> str:
        """The server's output (from byte `offset`: this server's, when the file is shared)."""
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def stop(self, seconds: float = 30):
        """SIGTERM (Granian answers the requests in flight, then stops its workers); after
        `seconds`, or once it has exited, SIGKILL whatever of its process group is left."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=5)
        self._log.close()


@dataclass
class Answer:
    path: str
    started: float  # time.time() when the request was sent
    elapsed: float  # seconds until the whole answer was read (or the error)
    status: int | None
    body: str | None
    error: str | None

    @property
    def finished(self) -> float:
        return self.started + self.elapsed

    def json(self):
        return json.loads(self.body)


class Load:
    """A bounded load in a second process: start(), then stop() returns every Answer."""

    def __init__(
        self,
        url: str,
        paths: list[str],
        workdir: Path,
        clients: int = 2,
        seconds: float = 90,
        max_requests: int = 20000,
        headers: dict[str, str] | None = None,
        pause: float = 0.01,
    ):
        self.out = workdir / f"load-{time.time_ns()}.jsonl"
        self.stop_file = self.out.with_suffix(".stop")
        command = [
            sys.executable,
            "-m",
            "tests.load",
            "--url",
            url,
            "--out",
            str(self.out),
            "--stop-file",
            str(self.stop_file),
            "--clients",
            str(clients),
            "--seconds",
            str(seconds),
            "--max-requests",
            str(max_requests),
            "--pause",
            str(pause),
        ]
        for name, value in (headers or {}).items():
            command += ["--header", f"{name}: {value}"]
        command += paths
        self.process = subprocess.Popen(command, cwd=ROOT)  # noqa: S603

    def stop(self, timeout: float = 30) -> list[Answer]:
        self.stop_file.touch()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise
        assert self.process.returncode == 0, f"the load process exited {self.process.returncode}"
        with open(self.out) as lines:
            return [Answer(**json.loads(line)) for line in lines]


def _client(url, paths, headers, stop, deadline, budget, pause, answers):
    host, port = url.removeprefix("http://").split(":")
    for path in itertools.cycle(paths):
        if stop() or time.time() >= deadline or not budget():
            return
        started = time.time()
        status = body = error = None
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            status = response.status
            body = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}: {failure}"
        finally:
            connection.close()
        answers.append(Answer(path, started, time.time() - started, status, body, error))
        time.sleep(pause)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--stop-file", required=True, type=Path)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if not args.url.startswith("http://127.0.0.1:"):
        parser.error("the load only targets http://127.0.0.1")
    headers = dict(item.split(": ", 1) for item in args.header)
    deadline = time.time() + args.seconds
    answers: list[Answer] = []
    lock = threading.Lock()
    remaining = [args.max_requests]

    def budget():
        with lock:
            remaining[0] -= 1
            return remaining[0] >= 0

    threads = [
        threading.Thread(
            target=_client,
            args=(
                args.url,
                args.paths[index:] + args.paths[:index],
                headers,
                args.stop_file.exists,
                deadline,
                budget,
                args.pause,
                answers,
            ),
        )
        for index in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(args.out, "w") as out:
        for answer in answers:
            out.write(json.dumps(answer.__dict__) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
