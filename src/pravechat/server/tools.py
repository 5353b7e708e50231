"""Finding the Java runtime and Maven that the local Pravega server needs."""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pravechat.core.errors import PravechatError

# Pravega 0.13 is built with --release 11 and tested upstream on 11; 17 runs it well here.
# Newer runtimes are untested with it, so an 11..17 runtime is preferred when one is installed.
PREFERRED_JAVA = range(11, 18)
INSTALL_JAVA_HINT = "install a Java 11-17 runtime (e.g. apt-get install openjdk-17-jre-headless)"


@dataclass(frozen=True)
class JavaRuntime:
    path: Path
    major: int


def java_major_version(java: Path) -> int | None:
    """The runtime's major version (11, 17, ...), or None when it does not run."""
    try:
        result = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if result.returncode != 0 or not match:
        return None
    first = int(match.group(1))
    # Java 8 and older call themselves "1.8".
    return int(match.group(2) or 0) if first == 1 else first


def _candidates() -> list[Path]:
    found: list[Path] = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        found.append(Path(java_home) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    return [path for path in found if path.is_file()]


def find_java() -> JavaRuntime:
    """The Java runtime to run Pravega with: $PRAVECHAT_JAVA, $JAVA_HOME, then PATH.

    When the one found is newer than 17, an installed 11..17 runtime is used instead.
    """
    explicit = os.environ.get("PRAVECHAT_JAVA")
    if explicit:
        major = java_major_version(Path(explicit))
        if major is None:
            raise PravechatError(f"PRAVECHAT_JAVA={explicit} is not a working java executable")
        return JavaRuntime(Path(explicit), major)
    runtimes = [
        JavaRuntime(path, major)
        for path in _candidates()
        if (major := java_major_version(path)) is not None
    ]
    if not runtimes:
        raise PravechatError(f"no java found: {INSTALL_JAVA_HINT}, or set JAVA_HOME")
    chosen = runtimes[0]
    if chosen.major in PREFERRED_JAVA:
        return chosen
    for installed in sorted(Path("/usr/lib/jvm").glob("*/bin/java")):
        major = java_major_version(installed)
        if major is not None and major in PREFERRED_JAVA:
            return JavaRuntime(installed, major)
    if chosen.major < PREFERRED_JAVA.start:
        raise PravechatError(
            f"java {chosen.major} at {chosen.path} is too old: {INSTALL_JAVA_HINT}"
        )
    return chosen


def find_maven() -> Path:
    """The ``mvn`` executable, needed once to download the Pravega jars."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PravechatError(
            "no mvn found: the first start downloads Pravega with Maven; "
            "install it (e.g. apt-get install maven) and try again"
        )
    return Path(mvn)
