from django.db import migrations

# Deadlines a province starts from (hours); the provincial admin changes them in the back office.
DEFAULTS = {"fault": 24, "billing": 72, "delivery": 120, "change": 72, "complaint": 48}


def add(apps, schema_editor):
    ServiceLevel = apps.get_model("support", "ServiceLevel")
    for request_type, hours in DEFAULTS.items():
        ServiceLevel.objects.get_or_create(request_type=request_type, defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
