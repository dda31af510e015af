from django.apps import AppConfig

from campaigns import extensions
from tingting.providers import scripts


class SurveysConfig(AppConfig):
    name = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Answers and next steps of scripted calls placed for run attempts ("attempt:<id>"),
        # the script of a survey run ("run:<id>": dispatch) and of a campaign with a voice
        # ("campaign:<id>:<voice>:<factor>": begin's hold and estimate).
        for prefix in ("attempt", "run", "campaign"):
            scripts.register(
                prefix,
                answer_path="surveys.services.answers.answer_record",
                script_path="surveys.services.script.script_for_reference",
            )

        # The seed face's number list and report show a survey's answers.
        extensions.register("surveys.reports.SeedFaceAnswers")
        # The campaign console page shows the script and its answers.
        extensions.register_console_section("surveys.admin.console_section")
