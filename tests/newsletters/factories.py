import factory
from django.utils import timezone

from newsletters.models import Newsletter, Subscriber, Topic


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    public = True


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.net")
    name = factory.Sequence(lambda n: f"Reader {n}")
    status = Subscriber.Status.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter

    subject = factory.Sequence(lambda n: f"Removals briefing {n}")
    preheader = "Net-negative targets gain ground"
    body_markdown = "Hello {{ name }},\n\n## News\n\nDenmark aims for **110 %** by 2050.\n"

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


def bulk_subscribers(topic: Topic, n: int, *, prefix: str, status: str = Subscriber.Status.CONFIRMED) -> list:
    """Many subscribers in three queries (integration tests and the benchmark need hundreds)."""
    rows = Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"{prefix}{i}@example.net",
                name=f"{prefix.capitalize()} {i}",
                status=status,
                confirmed_at=timezone.now(),
            )
            for i in range(n)
        ]
    )
    Subscriber.topics.through.objects.bulk_create(
        [Subscriber.topics.through(subscriber_id=s.pk, topic_id=topic.pk) for s in rows]
    )
    return rows
