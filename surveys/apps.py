from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.providers import scripts

        # Answers and next steps of scripted calls placed for run attempts ("attempt:<id>"),
        # and the script of a survey run as a whole ("run:<id>": begin's hold, dispatch).
        for prefix in ("attempt", "run"):
            scripts.register(
                prefix,
                answer_path="surveys.services.answers.answer_record",
                script_path="surveys.services.script.script_for_reference",
            )

        from campaigns import extensions

        # The seed face's number list and report show a survey's answers.
        extensions.register("surveys.reports.SeedFaceAnswers")
