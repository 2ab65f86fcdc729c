"""The first sign-up wording in French and Spanish, so the public form shows it in the visitor's language."""

from django.db import migrations

WORDING_V1 = (
    "I would like to receive the coalition's progress updates and newsletters by email. "
    "I can change my topics or unsubscribe at any time with the link in every email."
)
TRANSLATIONS = {
    "fr": (
        "Je souhaite recevoir par e-mail les points d'étape et les lettres d'information de la coalition. "
        "Je peux changer de thèmes ou me désabonner à tout moment "
        "grâce au lien présent dans chaque e-mail."
    ),
    "es": (
        "Deseo recibir por correo electrónico los informes de avance y los boletines de la coalición. "
        "Puedo cambiar mis temas o darme de baja en cualquier momento "
        "con el enlace que figura en cada correo."
    ),
}


def translate(apps, schema_editor):
    ConsentWording = apps.get_model("newsletters", "ConsentWording")
    for wording in ConsentWording.objects.filter(text=WORDING_V1):
        wording.translations = {**TRANSLATIONS, **(wording.translations or {})}
        wording.save(update_fields=["translations"])


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0005_preferred_language")]

    operations = [migrations.RunPython(translate, migrations.RunPython.noop)]
