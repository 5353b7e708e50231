"""A server with TLS and password authentication (`pravechat server start --secure`), and
clients that must get in with the right credentials and be refused, in one line, without."""

import subprocess
from pathlib import Path

import pytest

from pravechat.core.paths import cache_dir
from pravechat.server.local import LocalServer
from pravechat.server.secure import ACCOUNT, SecureFiles, hash_password
from tests.helpers import run_cli, run_cli_in_a_terminal
from tests.servers import client_env


def test_the_accounts_file_holds_what_pravega_checks() -> None:
    # The entry Pravega ships in config/passwd for admin / 1111_aaaa, made by its
    # PasswordCreatorTool: the same salt must give the same digest.
    shipped = bytes.fromhex(
        "353030303a633132666135376233353937356534613430383430373939343839333733616463363433"
        "616532363238653930346230333035393666643961316264616661393a3639376330623663396634"
        "343864643262663335326463653062613965336439613864306264323839633037626166663563"
        "613166333733653631383732353134643961303435613237653130353633633031653364366565"
        "316434626534656565636335663666306465663064376165313765646263656638373764396361"
    )
    salt = bytes.fromhex(shipped.decode().split(":")[1])
    assert bytes.fromhex(hash_password("1111_aaaa", salt)) == shipped
    assert hash_password("1111_aaab", salt) != shipped.hex()


def test_send_and_history_over_tls_with_a_password(
    secure_server: tuple[str, SecureFiles], tmp_path: Path
) -> None:
    uri, files = secure_server
    env = client_env(uri, files, tmp_path)
    sent = run_cli("send", "--user", "tim", "hello over TLS", env=env, timeout=120)
    assert sent.returncode == 0, sent.stderr
    shown = run_cli("history", "lobby", env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "<tim> hello over TLS" in shown.stdout
    password = files.password.read_text().strip()
    record = LocalServer(files.directory.parent, cache_dir()).record()
    assert record is not None and record.secure
    command_line = Path(f"/proc/{record.pid}/cmdline").read_bytes().decode()
    assert password not in command_line  # in a 0600 properties file instead


Changes = dict[str, str | None]


def _refusal_cases(tmp: Path, uri: str) -> dict[str, tuple[Changes, str]]:
    """What each case changes in a good client's environment, and what its error says."""
    wrong = tmp / "wrong-password"
    wrong.write_text("not the password\n")
    stranger = tmp / "stranger-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=stranger", "-keyout", str(tmp / "stranger.key"), "-out", str(stranger)],
        check=True, capture_output=True,
    )  # fmt: skip
    plain = uri.replace("tls://", "tcp://")
    return {
        "wrong password": ({"PRAVECHAT_PASSWORD_FILE": str(wrong)}, f"refused user '{ACCOUNT}'"),
        "no credentials": (
            {"PRAVECHAT_AUTH_USER": None, "PRAVECHAT_PASSWORD_FILE": None},
            "asks for a password",
        ),
        "untrusted certificate": ({"PRAVECHAT_CA_CERT": str(stranger)}, "is not trusted"),
        "no CA certificate": ({"PRAVECHAT_CA_CERT": None}, "TLS needs the certificate"),
        "plain tcp": ({"PRAVECHAT_CONTROLLER": plain}, "speaks TLS: use tls://"),
    }


@pytest.mark.parametrize(
    "case",
    ["wrong password", "no credentials", "untrusted certificate", "no CA certificate", "plain tcp"],
)
def test_a_refused_client_gets_one_clear_line(
    secure_server: tuple[str, SecureFiles], tmp_path: Path, case: str
) -> None:
    uri, files = secure_server
    changes, expected = _refusal_cases(tmp_path, uri)[case]
    env = client_env(uri, files, tmp_path, **changes)
    for command in (["history", "lobby"], ["--user", "tim"]):
        run = run_cli if command[0] == "history" else run_cli_in_a_terminal  # the chat needs one
        result = run(*command, env=env, timeout=60)  # a hang fails here
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pravechat: "), result.stderr
        assert expected in lines[0]
