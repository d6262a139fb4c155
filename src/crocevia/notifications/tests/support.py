"""Test support of the notifications: a mailbox for aiosmtpd, a free local port."""

import email
import socket
import threading
import time
from email import policy


class Mailbox:
    """What the SMTP server received; `refuse` makes it answer every message with a
    temporary failure (451), as a busy or broken relay does."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.received_at: list[float] = []
        self.refuse = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Temporary failure, try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.received_at.append(time.time())
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
