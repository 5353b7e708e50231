"""A bounded memory of message ids, to drop the copies Pravega may deliver twice."""

from collections import OrderedDict


class RecentIds:
    """The last ``size`` ids seen; :meth:`first_time` is False for one seen among them."""

    def __init__(self, size: int) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, message_id: str) -> bool:
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True
