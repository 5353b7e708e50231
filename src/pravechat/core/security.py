"""Trust and credentials for a Pravega server with TLS and password authentication.

The Rust client reads both from its environment (``pravega_client_*`` variables) when a
StreamManager is made, and reader processes inherit them. pravechat takes them from the
config file or PRAVECHAT_* variables, never from its command line, which anyone on the
machine can read.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pravechat.core.errors import PravechatError

AUTH_METHOD_VARIABLE = "pravega_client_auth_method"
USERNAME_VARIABLE = "pravega_client_auth_username"
PASSWORD_VARIABLE = "pravega_client_auth_password"  # noqa: S105 (a name, not a password)
TLS_CERT_VARIABLE = "pravega_client_tls_cert_path"


@dataclass(frozen=True)
class Credentials:
    ca_cert: Path | None = None
    """The certificate of the authority that signed the server's (PEM)."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def check(self, tls: bool) -> None:
        """Refuse, in one line, what the Rust client would panic on."""
        if tls and self.ca_cert is None:
            raise PravechatError(
                "TLS needs the certificate of the server's authority: set ca_cert in the "
                "config file or PRAVECHAT_CA_CERT (`pravechat server start --secure` prints it)"
            )
        if self.ca_cert is not None and not self.ca_cert.is_file():
            raise PravechatError(f"cannot read the CA certificate {self.ca_cert}")
        if (self.username is None) != (self.password is None):
            missing = (
                "password (password_file or PRAVECHAT_PASSWORD_FILE)"
                if self.username
                else "user name (auth_user or PRAVECHAT_AUTH_USER)"
            )
            raise PravechatError(f"credentials need a {missing} too")

    def client_env(self) -> dict[str, str]:
        """The variables that hand these to the Rust client."""
        env: dict[str, str] = {}
        if self.ca_cert is not None:
            env[TLS_CERT_VARIABLE] = str(self.ca_cert)
        if self.username is not None and self.password is not None:
            env[AUTH_METHOD_VARIABLE] = "Basic"
            env[USERNAME_VARIABLE] = self.username
            env[PASSWORD_VARIABLE] = self.password
        return env

    def apply(self) -> None:
        """For this process's client and the reader processes it starts."""
        os.environ.update(self.client_env())


def auth_enabled(env: Mapping[str, str] | None = None) -> bool:
    return AUTH_METHOD_VARIABLE in (os.environ if env is None else env)
