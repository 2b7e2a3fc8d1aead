"""Background tasks of the notifications (Django's Tasks API), run by `manage.py db_worker`."""

from django_tasks import task

from filings.notifications.delivery import event_notify
from filings.notifications.reminders import reminders_send


@task()
def notify_event(seq: int) -> int:
    """Tell whom the rules name about audit event `seq`; returns how many were told."""
    return len(event_notify(seq))


@task()
def send_reminders() -> int:
    """Today's reminders; returns how many notifications were created (0 on a second run)."""
    return reminders_send().total
