from django.conf import settings


def coalition(request):
    return {
        "COALITION_NAME": settings.COALITION_NAME,
        "COALITION_SHORT_NAME": settings.COALITION_SHORT_NAME,
        "COALITION_ADDRESS": settings.COALITION_ADDRESS,
    }
