from django.apps import AppConfig

from tingting.providers import scripts


class SurveysConfig(AppConfig):
    name = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Answers and next steps of scripted calls placed for run attempts ("attempt:<id>").
        scripts.register(
            "attempt",
            answer_path="surveys.services.answers.answer_record",
            script_path="surveys.services.script.script_for_reference",
        )
