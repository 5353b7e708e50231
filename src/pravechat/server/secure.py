"""TLS and password files for `pravechat server start --secure`, generated once.

A small certificate authority of its own signs the server's certificate (for ``localhost``
and 127.0.0.1); clients trust the authority's certificate, ``ca-cert.pem``. The accounts
file holds one account, ``pravechat``, with a generated password hashed the way Pravega's
PasswordCreatorTool does; the password itself is kept, readable by this user alone, in
``password`` for clients to use. Files that exist are kept, so configured clients go on
working across restarts.
"""

import base64
import hashlib
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.core.security import Credentials

ACCOUNT = "pravechat"
STORE_PASSWORD = "1111_aaaa"  # noqa: S105 (fixed by Pravega: see below)
"""The standalone's ZooKeeper client opens the truststore with this fixed password, and its
ZooKeeper server opens the truststore and the keystore with one password file (Pravega's
InProcPravegaCluster and ZooKeeperServiceRunner): so both stores use it. The keystore's
password then guards nothing; as the PEM copy of the key beside it, it is kept private by the
directory's permissions (0700) instead."""
PUBLISHED_HOST = "localhost"
"""The Rust client checks a TLS server by DNS name: it is told to connect to localhost."""
_DAYS = 825
_PBKDF2_ITERATIONS = 5000
_PBKDF2_BYTES = 64
_SALT_BYTES = 32


def hash_password(password: str, salt: bytes | None = None) -> str:
    """What Pravega's accounts file stores for ``password`` (its StrongPasswordProcessor:
    PBKDF2 with HMAC-SHA256, hex of ``iterations:hex(salt):hex(hash)``)."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), salt, _PBKDF2_ITERATIONS, dklen=_PBKDF2_BYTES
    )
    return f"{_PBKDF2_ITERATIONS}:{salt.hex()}:{digest.hex()}".encode().hex()


@dataclass(frozen=True)
class SecureFiles:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca-cert.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "server-cert.pem"

    @property
    def key(self) -> Path:
        return self.directory / "server-key.pem"

    @property
    def keystore(self) -> Path:
        return self.directory / "server.keystore.jks"

    @property
    def keystore_password(self) -> Path:
        return self.directory / "server.keystore.jks.passwd"

    @property
    def truststore(self) -> Path:
        return self.directory / "client.truststore.jks"

    @property
    def accounts(self) -> Path:
        return self.directory / "passwd"

    @property
    def password(self) -> Path:
        return self.directory / "password"

    @property
    def signing_key(self) -> Path:
        """What the controllers sign delegation tokens with and segment stores check them
        with (a cluster's pieces share it; the standalone uses a fixed one of its own)."""
        return self.directory / "token-signing-key"

    def controller_properties(self) -> dict[str, object]:
        """A controller's settings for TLS and password authentication (Pravega's Config)."""
        return {
            "controller.security.tls.enable": True,
            "controller.security.tls.server.certificate.location": self.cert,
            "controller.security.tls.server.privateKey.location": self.key,
            "controller.security.tls.trustStore.location": self.ca_cert,
            "controller.security.tls.server.keyStore.location": self.keystore,
            "controller.security.tls.server.keyStore.pwd.location": self.keystore_password,
            "controller.security.auth.enable": True,
            "controller.security.pwdAuthHandler.accountsDb.location": self.accounts,
        }

    def segment_store_properties(self) -> dict[str, object]:
        """A segment store's settings for TLS and for checking the controllers' tokens; its
        own calls to the controllers (auto-scaling) log in as ACCOUNT (segment_store_env)."""
        return {
            "pravegaservice.security.tls.enable": True,
            "pravegaservice.security.tls.server.certificate.location": self.cert,
            "pravegaservice.security.tls.server.privateKey.location": self.key,
            "pravegaservice.security.tls.server.keyStore.location": self.keystore,
            "pravegaservice.security.tls.server.keyStore.pwd.location": self.keystore_password,
            "autoScale.controller.connect.security.tls.enable": True,
            "autoScale.controller.connect.security.tls.truststore.location": self.ca_cert,
            "autoScale.controller.connect.security.auth.enable": True,
        }

    def secret_properties(self) -> dict[str, str]:
        """The signing key, for a properties file only its owner reads (a command line is
        anyone's to read): the controllers' and the segment stores' names for it."""
        key = self.signing_key.read_text().strip()
        return {
            "controller.security.auth.delegationToken.signingKey.basis": key,
            "autoScale.security.auth.token.signingKey.basis": key,
        }

    def segment_store_env(self) -> dict[str, str]:
        """The Java client's login, in the environment (a command line is anyone's to read)."""
        login = f"{ACCOUNT}:{self.password.read_text().strip()}"
        return {
            "pravega_client_auth_method": "Basic",
            "pravega_client_auth_token": base64.b64encode(login.encode()).decode(),
        }

    def server_properties(self) -> dict[str, object]:
        """The standalone's settings for password authentication and TLS."""
        return {
            "singlenode.security.auth.enable": True,
            "singlenode.security.auth.credentials.username": ACCOUNT,
            "singlenode.security.auth.credentials.pwd": self.password.read_text().strip(),
            "singlenode.security.auth.pwdAuthHandler.accountsDb.location": self.accounts,
            "singlenode.security.tls.enable": True,
            "singlenode.security.tls.privateKey.location": self.key,
            "singlenode.security.tls.certificate.location": self.cert,
            "singlenode.security.tls.keyStore.location": self.keystore,
            "singlenode.security.tls.keyStore.pwd.location": self.keystore_password,
            "singlenode.security.tls.trustStore.location": self.truststore,
        }

    def credentials(self) -> Credentials:
        return Credentials(self.ca_cert, ACCOUNT, self.password.read_text().strip())

    def client_settings(self) -> dict[str, str]:
        """The PRAVECHAT_* variables a client of this server sets (a password file, not the
        password, so it stays out of the environment of every shell)."""
        return {
            "PRAVECHAT_CA_CERT": str(self.ca_cert),
            "PRAVECHAT_AUTH_USER": ACCOUNT,
            "PRAVECHAT_PASSWORD_FILE": str(self.password),
        }


def _run(*command: str | Path) -> None:
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise PravechatError(
            f"{Path(str(command[0])).name} failed making TLS files: "
            f"{detail[-1] if detail else result.returncode}"
        )


def _secret_file(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text)


def ensure_secure_files(directory: Path, java: Path) -> SecureFiles:
    """Generate what is missing (openssl, and the keytool next to ``java``)."""
    files = SecureFiles(directory)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    if not files.password.exists():
        password = secrets.token_urlsafe(18)
        _secret_file(files.password, password + "\n")
        _secret_file(files.accounts, f"{ACCOUNT}:{hash_password(password)}:prn::*,READ_UPDATE;\n")
    if not files.signing_key.exists():
        _secret_file(files.signing_key, secrets.token_urlsafe(32) + "\n")
    if not files.truststore.exists():
        _make_tls_files(files, java)
    return files


def _make_tls_files(files: SecureFiles, java: Path) -> None:
    openssl = shutil.which("openssl")
    beside_java = java.resolve().parent / "keytool"
    keytool = str(beside_java) if beside_java.exists() else shutil.which("keytool")
    if openssl is None or keytool is None:
        raise PravechatError(
            "--secure needs openssl and Java's keytool to make its TLS certificate "
            "(Debian: apt install openssl openjdk-17-jre-headless)"
        )
    d = files.directory
    _run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(_DAYS),
         "-subj", "/CN=pravechat local CA", "-keyout", files.ca_key, "-out", files.ca_cert,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    request = d / "server.csr"
    extensions = d / "server.ext"
    extensions.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        f"subjectAltName=DNS:{PUBLISHED_HOST},IP:127.0.0.1\n"
    )
    _run(openssl, "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={PUBLISHED_HOST}",
         "-keyout", files.key, "-out", request)  # fmt: skip
    _run(openssl, "x509", "-req", "-in", request, "-CA", files.ca_cert,
         "-CAkey", files.ca_key, "-CAcreateserial", "-days", str(_DAYS),
         "-extfile", extensions, "-out", files.cert)  # fmt: skip
    files.key.chmod(0o600)
    _secret_file(files.keystore_password, STORE_PASSWORD)
    secret = files.keystore_password
    bundle = d / "server.p12"
    _run(openssl, "pkcs12", "-export", "-in", files.cert, "-inkey", files.key,
         "-certfile", files.ca_cert, "-name", "server", "-out", bundle,
         "-passout", f"file:{secret}")  # fmt: skip
    _run(keytool, "-importkeystore", "-noprompt", "-srckeystore", bundle,
         "-srcstoretype", "PKCS12", "-srcstorepass:file", secret,
         "-destkeystore", files.keystore, "-deststoretype", "JKS",
         "-deststorepass:file", secret)  # fmt: skip
    _run(keytool, "-importcert", "-noprompt", "-alias", "ca", "-file", files.ca_cert,
         "-keystore", files.truststore, "-storetype", "JKS",
         "-storepass:file", secret)  # fmt: skip
    for scratch in (request, extensions, bundle, d / "ca-cert.srl"):
        scratch.unlink(missing_ok=True)
