from tests.notifications.servers import robot, smtp

__all__ = ["robot", "smtp"]


import pytest


@pytest.fixture(autouse=True)
def nothing_queued(db: None) -> None:
    """The demo's own messages (its overdue requests were escalated as it loaded) are not these tests'."""
    from zhengqi.notifications.models import Delivery, Notification

    Delivery.objects.all().delete()
    Notification.objects.all().delete()
