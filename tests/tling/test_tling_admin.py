from datetime import timedelta

import pytest
from django.utils import timezone

from tling import services
from tling.models import ScheduledMessage, ScheduleState

pytestmark = pytest.mark.django_db


def test_admin_pages_render_with_the_message_timeline(staff_client, user):
    contact = services.contact_create(owner=user, name="A", phone_number="+9779801234560")
    contact_list = services.list_create(owner=user, name="L")
    services.list_add_contacts(contact_list=contact_list, ids=[contact.pk])
    message = services.messages_create(owner=user, text="hi", to=["+9779801234560"])[0]
    schedule = services.schedule_create(
        owner=user, send_at=timezone.now() + timedelta(hours=1), text="x", to=["+9779801234560"]
    )
    for url in ["contact", "contactlist", "message", "scheduledmessage"]:
        assert staff_client.get(f"/admin/tling/{url}/").status_code == 200
    page = staff_client.get(f"/admin/tling/message/{message.pk}/change/")
    assert page.status_code == 200 and b"created" in page.content
    assert staff_client.get(f"/admin/tling/contactlist/{contact_list.pk}/change/").status_code == 200
    response = staff_client.post(
        "/admin/tling/scheduledmessage/", {"action": "cancel", "_selected_action": [str(schedule.pk)]}
    )
    assert response.status_code == 302
    assert ScheduledMessage.objects.get().state == ScheduleState.CANCELLED
