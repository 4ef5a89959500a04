from django.db import migrations


class Migration(migrations.Migration):
    """An unapplied migration: /readyz must report it."""

    operations: list = []
