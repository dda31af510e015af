from django.contrib import admin

from voices.models import Voice
from voices.services import voice_delete, voice_save


@admin.register(Voice)
class VoiceAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name", "internal_name", "espeak_voice", "is_premium", "is_beta", "is_active")
    list_filter = ("is_active", "is_premium", "is_beta")
    search_fields = ("display_name", "internal_name")

    def save_model(self, request, obj, form, change):
        voice_save(voice=obj)

    def delete_model(self, request, obj):
        voice_delete(voice=obj)

    def delete_queryset(self, request, queryset):
        for voice in queryset:
            voice_delete(voice=voice)
