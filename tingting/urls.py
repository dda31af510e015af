from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from tingting import views
from tingting.api.exceptions import handler404 as not_found

urlpatterns = [
    path("", views.index, name="index"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("accounts.urls")),
    path("", include("phonenumbers_app.urls")),
    path("", include("campaigns.urls")),
    path("", include("otp.urls")),
    path("", include("tling.urls")),
    path("", include("v1.urls")),
    path("", include("surveys.urls")),
    path("", include("tingting.voice.urls")),
    path("", include("tingting.webhooks_urls")),
    # Keep last: unknown routes answer the face's error shape, in DEBUG too.
    re_path(r"^(?!admin/|static/|media/).*$", not_found),
]

handler400 = "tingting.api.exceptions.handler400"
handler403 = "tingting.api.exceptions.handler403"
handler404 = "tingting.api.exceptions.handler404"
handler500 = "tingting.api.exceptions.handler500"
