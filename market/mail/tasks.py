"""The mail's background task, registered by name with the kernel's job plumbing."""
from __future__ import annotations

from market.jobs import Tasks
from market.mail import delivery


def register(tasks: Tasks) -> None:
    tasks.add(delivery.TASK, delivery.send_task)
