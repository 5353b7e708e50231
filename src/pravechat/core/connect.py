"""From the user's settings to a connection: what the chat and the scripts both do."""

from pravechat.core.settings import Settings
from pravechat.core.transport import Transport


def connect(settings: Settings) -> Transport:
    """The transport the settings describe: their controller, scope and credentials."""
    return Transport.connect(
        settings.controller, settings.scope, credentials=settings.credentials()
    )
