"""Paths of docs/api/API_CONTRACT.md §3 (served with and without a trailing slash)."""

from tingting.api.routing import both
from tling import views

urlpatterns = [
    *both("api/v0/contacts", views.ContactsView.as_view(), "tling-contacts"),
    *both("api/v0/contacts/<str:pk>", views.ContactDetailView.as_view(), "tling-contact"),
    *both("api/v0/lists", views.ListsView.as_view(), "tling-lists"),
    *both("api/v0/lists/<str:pk>", views.ListDetailView.as_view(), "tling-list"),
    *both("api/v0/lists/<str:pk>/contacts", views.ListContactsView.as_view(), "tling-list-contacts"),
    *both("api/v0/messages", views.MessagesView.as_view(), "tling-messages"),
    # Before messages/<id>: the seed names the cost endpoint both ways.
    *both("api/v0/messages/costs", views.MessageCostView.as_view(), "tling-message-costs"),
    *both("api/v0/messages/cost", views.MessageCostView.as_view(), "tling-message-cost"),
    *both("api/v0/messages/<str:pk>", views.MessageDetailView.as_view(), "tling-message"),
    *both("api/v0/schedule/message", views.SchedulesView.as_view(), "tling-schedules"),
    *both("api/v0/schedule/message/<str:pk>", views.ScheduleDetailView.as_view(), "tling-schedule"),
]
