"""API of this app, registered on the project's one router (coalition/site/api_urls.py).

Staff viewsets (StaffModelPermissions): topics, subscribers (with export and erase), newsletters (with
send, pause, resume, cancel, schedule, test-send, progress, preview). Public: POST /api/v1/subscriptions/.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import get_language, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from coalition.api import ServiceWritesMixin
from coalition.request_guards import PUBLIC_PARSERS, PUBLIC_POST_ERRORS
from coalition.throttles import PublicRateThrottle, client_ip
from newsletters import selectors, services
from newsletters.models import ConsentRecord, Newsletter, NewsletterTranslation, Subscriber, Topic
from newsletters.sending import services as sending
from newsletters.serializers import (
    AudienceSerializer,
    ErasedSerializer,
    NewsletterSerializer,
    NewsletterVersionSerializer,
    ProgressSerializer,
    RetryFailedSerializer,
    ScheduleSerializer,
    SendSummarySerializer,
    SubscriberCreateSerializer,
    SubscriberExportSerializer,
    SubscriberSerializer,
    SubscriptionRequestSerializer,
    TestSendSerializer,
    TopicSerializer,
)
from newsletters.subscriptions import services as subscriptions

# Public messages are lazy: the answer is in the request's language (see coalition/i18n.py).
SUBSCRIPTION_ANSWER = gettext_lazy(
    "Thank you. If this address can receive our updates, we have sent it an email with a link to confirm."
)

# --- Public sign-up --------------------------------------------------------------------------------------


class SubscriptionCreateView(APIView):
    """Ask for updates. The answer is the same whether the address is new, pending or already subscribed."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = PUBLIC_PARSERS
    throttle_classes = [PublicRateThrottle]
    throttle_scope = "subscriptions"

    @extend_schema(request=SubscriptionRequestSerializer, responses={202: None, **PUBLIC_POST_ERRORS})
    def post(self, request):
        serializer = SubscriptionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscriptions.subscription_request(
            email=data["email"],
            name=data.get("name", ""),
            topics=list(data.get("topics") or []),
            method=ConsentRecord.Method.API,
            ip_address=client_ip(request),
            # Unsaid, the language this answer is in (Accept-Language, see coalition/i18n.py).
            language=data.get("preferred_language") or get_language(),
        )
        return Response({"detail": str(SUBSCRIPTION_ANSWER)}, status=status.HTTP_202_ACCEPTED)


# --- Topics ----------------------------------------------------------------------------------------------


class TopicViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    queryset = Topic.objects.all()
    serializer_class = TopicSerializer
    search_fields = ["name", "slug"]
    filterset_fields = ["public"]

    def service_create(self, data, *, by):
        return services.topic_create(**data)

    def service_update(self, instance, data, *, by):
        return services.topic_update(topic=instance, **data)

    def perform_destroy(self, instance: Topic) -> None:
        services.topic_delete(topic=instance)


# --- Subscribers -----------------------------------------------------------------------------------------


class SubscriberViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = SubscriberSerializer
    search_fields = ["email", "name"]
    filterset_fields = ["status", "topics__slug"]
    ordering_fields = ["email", "created_at", "confirmed_at"]

    def get_queryset(self):
        return Subscriber.objects.select_related("contact__organisation").prefetch_related("topics")

    @extend_schema(request=SubscriberCreateSerializer, responses={202: None})
    def create(self, request):
        """Start a subscription for someone (consent how=import); they receive a confirmation email."""
        serializer = SubscriberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscriptions.subscription_request(
            email=data["email"],
            name=data.get("name", ""),
            topics=list(data.get("topics") or []),
            method=ConsentRecord.Method.IMPORT,
            contact=data.get("contact"),
            language=data.get("preferred_language"),
        )
        return Response({"detail": "A confirmation email is on its way to this address."}, status=202)

    def perform_update(self, serializer):
        # Name, topics and the contact link only: status changes go through confirm/unsubscribe/webhooks.
        serializer.instance = subscriptions.subscriber_update(
            subscriber=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(responses=SubscriberExportSerializer)
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """Everything held about this subscriber, as JSON (a data access request)."""
        return Response(selectors.subscriber_export(subscriber=self.get_object()))

    @extend_schema(request=None, responses=ErasedSerializer)
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        """Delete the person's data; delivery counts stay, anonymous."""
        if not request.user.has_perm("newsletters.delete_subscriber"):
            raise PermissionDenied("Erasing a subscriber needs the permission to delete subscribers.")
        result = subscriptions.subscriber_erase(subscriber=self.get_object())
        return Response({"deliveries_kept": result.deliveries_kept, "emails_deleted": result.emails_deleted})

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def unsubscribe(self, request, pk=None):
        subscriber = subscriptions.subscriber_unsubscribe(subscriber=self.get_object())
        return Response(SubscriberSerializer(subscriber).data)


# --- Newsletters -----------------------------------------------------------------------------------------


class NewsletterViewSet(viewsets.ModelViewSet):
    serializer_class = NewsletterSerializer
    search_fields = ["subject"]
    filterset_fields = ["status", "kind"]
    ordering_fields = ["created_at", "started_at"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        return selectors.newsletters_with_progress()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        topics = data.pop("topics", [])
        serializer.instance = services.newsletter_create(by=self.request.user, topics=topics, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        topics = data.pop("topics", None)
        serializer.instance = services.newsletter_update(
            newsletter=serializer.instance, topics=topics, **data
        )

    def perform_destroy(self, instance: Newsletter) -> None:
        services.newsletter_delete(newsletter=instance)

    def _answer(self, newsletter: Newsletter) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=newsletter.pk)).data)

    @extend_schema(request=NewsletterVersionSerializer, responses=NewsletterSerializer)
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        """Add or change the version in another language (``language``, ``subject``, ``preheader``,
        ``body_markdown``); with ``"delete": true`` and the language, remove it."""
        newsletter = self.get_object()
        if request.data.get("delete") in (True, "true", "1"):
            translated = NewsletterTranslation.objects.filter(
                newsletter=newsletter, language=request.data.get("language")
            ).first()
            if translated is None:
                raise serializers.ValidationError(
                    {"language": "This newsletter has no version in that language."}
                )
            services.newsletter_translation_delete(translated=translated)
            return self._answer(newsletter)
        serializer = NewsletterVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.newsletter_translation_save(newsletter=newsletter, **serializer.validated_data)
        return self._answer(newsletter)

    @extend_schema(responses=AudienceSerializer)
    @action(detail=True, methods=["get"])
    def audience(self, request, pk=None):
        """How many confirmed subscribers it would go to now, in total and per version (language)."""
        newsletter = self.get_object()
        by_language = selectors.newsletter_audience_by_language(newsletter=newsletter)
        return Response({"total": sum(by_language.values()), "by_language": by_language})

    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send now. A second call answers 409: the newsletter is already sending."""
        return self._answer(sending.newsletter_send(newsletter=self.get_object(), by=request.user))

    @extend_schema(request=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        newsletter = sending.newsletter_schedule(
            newsletter=self.get_object(), at=serializer.validated_data["at"], by=request.user
        )
        return self._answer(newsletter)

    @action(detail=True, methods=["post"])
    def unschedule(self, request, pk=None):
        return self._answer(sending.newsletter_unschedule(newsletter=self.get_object()))

    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._answer(sending.newsletter_pause(newsletter=self.get_object()))

    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._answer(sending.newsletter_resume(newsletter=self.get_object()))

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(sending.newsletter_cancel(newsletter=self.get_object()))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        """Hold a scheduled newsletter (the sweep does this by itself when a schedule is found too late)."""
        return self._answer(sending.newsletter_hold(newsletter=self.get_object(), reason="staff"))

    @extend_schema(request=None, responses=RetryFailedSerializer)
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request, pk=None):
        """Try the failed deliveries again; answers how many were queued."""
        retried = sending.newsletter_retry_failed(newsletter=self.get_object())
        return Response({"retried": retried, "newsletter": self._answer(self.get_object()).data})

    @extend_schema(responses=SendSummarySerializer)
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """Counts, rows waiting for a retry, and the failed deliveries with the server's reason."""
        return Response(selectors.newsletter_send_summary(newsletter=self.get_object()))

    @extend_schema(request=TestSendSerializer)
    @action(detail=True, methods=["post"], url_path="test-send")
    def test_send(self, request, pk=None):
        serializer = TestSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.newsletter_test_send(
            newsletter=self.get_object(),
            to=serializer.validated_data["to"],
            name=request.user.get_full_name(),
            language=serializer.validated_data.get("language"),
        )
        return Response({"detail": f"A test is on its way to {serializer.validated_data['to']}."}, status=202)

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        return Response(selectors.newsletter_progress(newsletter=self.get_object()).as_dict())

    @extend_schema(responses={(200, "text/html"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """The HTML as a subscriber will see it (with the requesting user's name); ``?language=fr`` shows
        the version French readers receive."""
        return HttpResponse(
            preview_html(
                self.get_object(),
                name=request.user.get_full_name(),
                language=request.query_params.get("language"),
            )
        )


def preview_html(newsletter: Newsletter, *, name: str = "", language: str | None = None) -> str:
    import uuid

    from django.utils import translation

    from newsletters.sending.rendering import newsletter_version, personalise

    version = newsletter_version(newsletter, language)
    rendered = services.newsletter_rendered(newsletter=newsletter, language=version.language)
    with translation.override(version.language):
        return personalise(rendered.html, name=name, email="you@example.org", key=uuid.UUID(int=0), html=True)


extra_urlpatterns: list = [
    path("subscriptions/", SubscriptionCreateView.as_view(), name="subscription-create"),
]


def register(router) -> None:
    router.register("newsletter-topics", TopicViewSet, basename="newsletter-topic")
    router.register("subscribers", SubscriberViewSet, basename="subscriber")
    router.register("newsletters", NewsletterViewSet, basename="newsletter")
