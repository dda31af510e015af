import factory

from accounts import ledger
from accounts.models import User

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def credits(obj, create, extracted, **kwargs):
        obj.save()
        if extracted:
            ledger.top_up(user_id=obj.pk, amount=extracted, note="test opening balance")
            obj.refresh_from_db()
