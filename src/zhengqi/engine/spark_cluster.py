"""A Spark standalone cluster on this machine — a master and its workers, started from the pyspark
distribution's own ``spark-class`` — for trying the distributed path as an operator runs it (the
test of the month run on a cluster, ``bench/spark_cluster.py``), not for production: there the
operator's cluster is named by ``ZHENGQI_SPARK_MASTER`` (``spark://host:7077``, ``yarn``,
``k8s://…``) or Spark Connect's ``SPARK_REMOTE`` (docs/performance.md).

    with standalone_cluster(workers=2) as master:   # "spark://127.0.0.1:<port>"
        os.environ["ZHENGQI_SPARK_MASTER"] = master
        run_month(lake, month, ..., backend="pyspark")
"""

from __future__ import annotations

import json
import os
import socket
import subprocess  # nosec B404  # the Spark processes we start, without a shell
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


class ClusterError(RuntimeError):
    """The cluster did not come up: the message says which part and ends with its log."""


def spark_class() -> Path:
    """``bin/spark-class`` of the installed pyspark (its jars are the whole Spark distribution)."""
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home()) / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def master_state(ui_port: int) -> dict[str, Any] | None:
    """The master's own account of itself (its web UI's JSON), or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{ui_port}/json/", timeout=2) as answer:  # nosec B310  # loopback
            state: dict[str, Any] = json.load(answer)
            return state
    except OSError:
        return None


@contextmanager
def standalone_cluster(workers: int = 2, cores: int = 1, memory: str = "1g", timeout: float = 120.0) -> Iterator[str]:
    """Start a master and ``workers`` workers (``cores`` and ``memory`` each) on loopback; yield
    the master's URL once every worker has registered; stop them all on leaving."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zhengqi-spark-")))
        env = {**os.environ, "SPARK_LOCAL_IP": HOST, "SPARK_LOG_DIR": str(folder), "PYSPARK_PYTHON": sys.executable}
        port, ui_port = free_port(), free_port()
        url = f"spark://{HOST}:{port}"
        processes: list[tuple[str, subprocess.Popen[bytes], Path]] = []

        def start(name: str, args: list[str]) -> None:
            log = folder / f"{name}.log"
            out = stack.enter_context(log.open("wb"))
            process = subprocess.Popen(  # noqa: S603  # nosec B603  # our own arguments, no shell
                [str(spark_class()), *args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder
            )
            processes.append((name, process, log))
            stack.callback(_stop, process)

        def wait_for(what: str, ready: Any) -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for name, process, log in processes:
                    if process.poll() is not None:
                        raise ClusterError(f"Spark {name} stopped (exit {process.returncode}): {_tail(log)}")
                if ready():
                    return
                time.sleep(0.5)
            logs = " | ".join(f"{name}: {_tail(log)}" for name, _p, log in processes)
            raise ClusterError(f"Spark cluster: no {what} within {timeout:.0f} s. {logs}")

        start("master", [MASTER_CLASS, "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)])
        wait_for("master", lambda: master_state(ui_port) is not None)
        for n in range(workers):
            work = folder / f"worker-{n}"
            work.mkdir()
            args = [WORKER_CLASS, url, "--host", HOST, "--cores", str(cores), "--memory", memory]
            start(f"worker-{n}", [*args, "--webui-port", str(free_port()), "--work-dir", str(work)])

        def all_alive() -> bool:
            state = master_state(ui_port) or {}
            return int(state.get("aliveworkers", 0)) >= workers

        wait_for(f"{workers} workers", all_alive)
        yield url


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path, size: int = 600) -> str:
    try:
        return log.read_bytes()[-size:].decode("utf-8", "replace").strip()
    except OSError:
        return ""
