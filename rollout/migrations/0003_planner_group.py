"""Create the auth group "planner": city planners who read all providers' plans, published or not."""

from django.db import migrations

PLANNER_GROUP = "planner"  # kept in step with rollout.roles.PLANNER_GROUP; migrations must not import app code


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=PLANNER_GROUP)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=PLANNER_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("rollout", "0002_plans_versions_availability"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
