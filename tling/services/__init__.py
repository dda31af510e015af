"""Every Tling write. ``tling.services.message_record_report`` is the status report
handler registered for ``tmsg:`` references."""

from tling.services.contacts import (
    contact_create,
    contact_delete,
    contact_update,
    contacts_delete,
    list_add_contacts,
    list_create,
    list_delete,
    list_remove_contacts,
    list_update,
)
from tling.services.messages import (
    message_cost,
    message_record_report,
    message_record_status,
    message_send,
    messages_create,
    messages_enqueue,
)
from tling.services.recovery import messages_sweep
from tling.services.schedules import (
    schedule_cancel,
    schedule_create,
    schedule_update,
    schedules_sweep,
)

__all__ = [
    "contact_create",
    "contact_delete",
    "contact_update",
    "contacts_delete",
    "list_add_contacts",
    "list_create",
    "list_delete",
    "list_remove_contacts",
    "list_update",
    "message_cost",
    "message_record_report",
    "message_record_status",
    "message_send",
    "messages_create",
    "messages_enqueue",
    "messages_sweep",
    "schedule_cancel",
    "schedule_create",
    "schedule_update",
    "schedules_sweep",
]
