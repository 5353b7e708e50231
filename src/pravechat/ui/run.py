"""Connect, then run the chat screen; the CLI calls this."""

from pravechat.core.connect import connect
from pravechat.core.direct import DirectChats
from pravechat.core.errors import PravechatError
from pravechat.core.identity import Identity
from pravechat.core.levels import Levels
from pravechat.core.names import STREAMCLI_ROOM
from pravechat.core.presence_session import PresenceSession
from pravechat.core.session import ChatSession, RoomSession
from pravechat.core.settings import Settings
from pravechat.core.streamcli import StreamCliSession, streamcli_transport
from pravechat.core.transport import Transport
from pravechat.core.trust import KeyRing
from pravechat.ui.app import PravechatApp


def build_app(
    settings: Settings, transport: Transport, app_class: type[PravechatApp] = PravechatApp
) -> PravechatApp:
    """``app_class`` lets a benchmark or a test observe the real app from a subclass."""
    user = settings.user
    assert user is not None
    identity = Identity.load_or_create(user)
    keyring = KeyRing.for_user(user, identity.key, transport.identity, transport.scope)
    direct = DirectChats(transport, identity, keyring)
    direct.attach()  # what is written is signed, and sealed in direct conversations

    async def connect(room: str) -> ChatSession:
        if room == STREAMCLI_ROOM:
            streamcli = streamcli_transport(transport, settings.streamcli_scope)
            return await StreamCliSession.open(streamcli, user, scrollback=settings.history)
        return await RoomSession.open(transport, user, room, settings.history)

    return app_class(
        user,
        settings.room,
        connect,
        transport.list_rooms,
        scrollback=settings.scrollback,
        time_format=settings.time_format,
        highlight=tuple(settings.highlight),
        url_opener=settings.url_opener,
        levels=Levels.for_user(user),
        bell=settings.bell,
        notify_command=settings.notify_command,
        more_rooms=settings.rooms,
        presence=lambda: PresenceSession.open(transport, user),
        typing=settings.typing,
        keyring=keyring,
        sync_keys=direct.sync,
        direct=direct,
    )


def run_chat(settings: Settings) -> None:
    """Fails fast (before the screen opens) when no server answers; an unexpected error
    closes the screen and is one line naming the file that holds its traceback."""
    app = build_app(settings, connect(settings))
    app.run()
    if app.return_code:
        where = f"its traceback is in {app.crash_log}" if app.crash_log else "no traceback kept"
        raise PravechatError(f"stopped by an unexpected error (a bug): {where}")
