"""Create the four role groups and give each its permissions (a frozen copy of core/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "viewer": ["view_console", "view_audit_log"],
    "ops": ["view_console", "view_audit_log", "act_on_jobs"],
    "finance": ["view_console", "view_audit_log", "act_on_finance"],
    "integration_admin": [
        "view_console",
        "view_audit_log",
        "act_on_jobs",
        "act_on_finance",
        "reveal_customer_data",
        "propose_mapping",
        "approve_mapping",
        "manage_connections",
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create ours now.
    app_config = apps.get_app_config("core")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="core", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_console_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
