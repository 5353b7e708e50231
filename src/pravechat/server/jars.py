"""Resolves the Pravega standalone jars with Maven, once, into a per-user cache."""

import subprocess
import sys
from importlib import resources
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.server.tools import find_maven

PRAVEGA_VERSION = "0.13.0"
STANDALONE_ARTIFACT = f"io.pravega:pravega-standalone:{PRAVEGA_VERSION}"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"


def _classpath_file(cache: Path) -> Path:
    return cache / f"pravega-{PRAVEGA_VERSION}" / "classpath.txt"


def cached_classpath(cache: Path) -> str | None:
    """The classpath resolved earlier, if every jar on it is still there."""
    listing = _classpath_file(cache)
    if not listing.is_file():
        return None
    classpath = listing.read_text().strip()
    jars = classpath.split(":") if classpath else []
    if not jars or not all(Path(jar).is_file() for jar in jars):
        return None
    return classpath


def resolve_classpath(cache: Path) -> str:
    """The standalone server's classpath; downloads the jars with Maven on first use."""
    classpath = cached_classpath(cache)
    if classpath is not None:
        return classpath
    mvn = find_maven()
    root = _classpath_file(cache).parent
    root.mkdir(parents=True, exist_ok=True)
    pom = root / "pom.xml"
    pom.write_bytes(resources.files("pravechat.server").joinpath("pom.xml").read_bytes())
    listing = root / "classpath.partial"
    log = root / "maven.log"
    print(
        f"Downloading Pravega {PRAVEGA_VERSION} with Maven into {root} "
        "(first start only, a few minutes)...",
        file=sys.stderr,
        flush=True,
    )
    command = [
        str(mvn),
        "--batch-mode",
        "--file",
        str(pom),
        f"-Dmaven.repo.local={root / 'repository'}",
        f"{DEPENDENCY_PLUGIN}:build-classpath",
        "-Dmdep.includeScope=runtime",
        f"-Dmdep.outputFile={listing}",
    ]
    with log.open("w") as log_file:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0 or not listing.is_file():
        raise PravechatError(
            f"Maven could not resolve {STANDALONE_ARTIFACT} (exit {result.returncode}): "
            f"{_first_error(log)} (full output: {log})"
        )
    listing.replace(_classpath_file(cache))
    classpath = cached_classpath(cache)
    if classpath is None:
        raise PravechatError(f"Maven resolved an empty or incomplete classpath; see {log}")
    return classpath


def _first_error(log: Path) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("[ERROR]"):
            return line.removeprefix("[ERROR]").strip()
    return "no [ERROR] line in Maven's output"
