"""What every server JVM pravechat runs shares: its log configuration, its -D flags, its
record file, a start lock, and stopping it."""

import fcntl
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pravechat.core.paths import private_dir
from pravechat.server.ports import process_runs

T = TypeVar("T")

LOGBACK = """<configuration>
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>{log}</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>{log}.%i</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder>
      <pattern>%d{{HH:mm:ss.SSS}} %-5level [%thread] %logger{{36}} - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
"""
"""A rolling log file of at most 4 x 20 MB: the JVMs never write to the user's terminal."""


def write_logback(config: Path, log: Path) -> Path:
    config.write_text(LOGBACK.format(log=log))
    return config


def java_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def java_flags(properties: dict[str, object]) -> list[str]:
    return [f"-D{key}={java_value(value)}" for key, value in properties.items()]


def load_record(path: Path, build: Callable[[dict[str, Any]], T]) -> T | None:
    """The record ``save_record`` wrote, built; None when missing or not one of ours."""
    try:
        return build(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def save_record(path: Path, record: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a record."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    temporary.replace(path)


@contextmanager
def start_lock(state_dir: Path) -> Iterator[None]:
    """One start at a time per state directory."""
    private_dir(state_dir)
    with (state_dir / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def stop_jvm(pid: int, main_class: str, grace: float) -> bool:
    """SIGTERM, then SIGKILL after ``grace`` seconds; True once it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not process_runs(pid, main_class):
                return True
            time.sleep(0.1)
    return False
