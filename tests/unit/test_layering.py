"""The core must stay importable without the UI: import-linter enforces the contract, and
what actually loads at run time is checked too (a dependency could pull the toolkit in)."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import UI_PACKAGES, modules_imported, ui_toolkit

ROOT = Path(__file__).resolve().parents[2]


def test_core_and_server_never_import_the_ui() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is a dev dependency"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_importing_the_core_loads_no_ui_toolkit() -> None:
    core = ("session", "transport", "settings", "presence_session", "commands", "protocol")
    script = (
        "import sys\n"
        + "".join(f"import pravechat.core.{name}\n" for name in core)
        + f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(UI_PACKAGES)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_pravechat_send_loads_no_ui_toolkit() -> None:
    """Up to its connection (to a port where nothing listens: the whole sending path loads
    before it connects); tests/pravega/test_cli.py sends for real."""
    modules = modules_imported("send", "--user", "tim", "--controller", "tcp://127.0.0.1:9",
                               "hello")  # fmt: skip
    assert {"pravechat.scripting", "pravechat.core.connect", "pravechat.core.transport"} <= set(
        modules
    )
    assert ui_toolkit(modules) == []
