from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.providers import scripts  # noqa: PLC0415 - models load after apps.py

        # Answers and next steps of scripted calls placed for run attempts ("attempt:<id>").
        scripts.register(
            "attempt",
            answer_path="surveys.services.answers.answer_record",
            script_path="surveys.services.script.script_for_reference",
        )
