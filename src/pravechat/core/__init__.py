"""The UI-free core of pravechat: what a bot or a script imports. Never imports textual."""
