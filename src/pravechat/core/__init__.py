"""The UI-free core of pravechat: what a bot or a script imports. Never imports textual."""

import os

# The Rust client logs only through a subscriber, and pravechat's binding installs none; the
# stock binding logged to stdout when RUST_LOG was set, and a script may still load it.
os.environ["RUST_LOG"] = os.environ.get("PRAVECHAT_RUST_LOG", "off")
