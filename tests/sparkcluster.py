"""Start a throw-away Spark standalone cluster on loopback: one master and two workers (the
launcher ``bin/spark-class`` ships inside the pyspark package), as an operator would run
``start-master.sh`` / ``start-worker.sh`` on real machines.

    with SparkCluster(workers=2) as cluster:
        os.environ["OMNIRETAIL_SPARK_MASTER"] = cluster.url   # spark://127.0.0.1:PORT

Used by tests/platform/test_spark_cluster.py and bench/spark_pipeline.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signal_group(p: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, sig)


class SparkCluster:
    """A master and ``workers`` workers (``cores`` and ``memory`` each) on 127.0.0.1."""

    def __init__(self, *, workers: int = 2, cores: int = 1, memory: str = "1g") -> None:
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.dir = Path(tempfile.mkdtemp(prefix="omniretail-spark-"))
        self.port = _free_port()
        self.ui_port = _free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self._procs: list[subprocess.Popen[bytes]] = []

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            SPARK_HOME=str(spark_home()),
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOCAL_DIRS=str(self.dir / "local"),
            SPARK_WORKER_DIR=str(self.dir / "work"),
            SPARK_LOG_DIR=str(self.dir / "logs"),
            # the workers run the driver's Python for Python UDFs / Arrow conversions
            PYSPARK_PYTHON=os.environ.get("PYSPARK_PYTHON", sys.executable),
        )
        return env

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        cls = str(spark_home() / "bin" / "spark-class")
        self._procs.append(
            # a process group of its own: stop() ends the daemon and the executors it started
            subprocess.Popen(
                [cls, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
            )
        )

    def state(self) -> dict[str, Any]:
        """The master's view (its web UI's ``/json/``): workers, active and completed apps."""
        with urllib.request.urlopen(  # noqa: S310 - loopback
            f"http://127.0.0.1:{self.ui_port}/json/", timeout=5
        ) as r:
            return dict(json.loads(r.read()))

    def _alive_workers(self) -> int:
        try:
            state = self.state()
        except OSError:
            return -1
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def start(self, timeout: float = 240) -> SparkCluster:
        self._spawn(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--webui-port", str(self.ui_port),
        )  # fmt: skip
        for i in range(self.workers):
            self._spawn(
                f"worker{i}",
                "org.apache.spark.deploy.worker.Worker",
                "--host", "127.0.0.1",
                "--cores", str(self.cores),
                "--memory", self.memory,
                "--webui-port", str(_free_port()),
                "--work-dir", str(self.dir / f"work{i}"),
                self.url,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while self._alive_workers() < self.workers:
            if any(p.poll() is not None for p in self._procs):
                self.stop()
                raise RuntimeError(f"a Spark daemon exited; logs in {self.dir}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Spark cluster did not come up; logs in {self.dir}")
            time.sleep(1)
        return self

    def worker_procs(self) -> list[subprocess.Popen[bytes]]:
        """The worker daemons (their executors are their children)."""
        return self._procs[1:]

    def stop(self) -> None:
        """End every daemon and what it started (its process group); idempotent."""
        for p in reversed(self._procs):
            _signal_group(p, signal.SIGTERM)
        for p in self._procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=30)
            _signal_group(p, signal.SIGKILL)  # executors a worker left behind
            p.wait()
        self._procs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SparkCluster:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
