"""The UI-free core of pravechat: what a bot or a script imports. Never imports textual."""

import os

# pravega_client's Rust side logs to stdout when RUST_LOG is set, which would corrupt a TUI
# or a script's output; it must be decided before the binding is first imported.
os.environ["RUST_LOG"] = os.environ.get("PRAVECHAT_RUST_LOG", "off")
