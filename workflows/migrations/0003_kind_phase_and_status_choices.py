# Choices for the execution kind and phase; a run is never "pending".

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_event_types_namespaced"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stepexecution",
            name="kind",
            field=models.CharField(
                choices=[
                    ("step", "Step"),
                    ("map", "Map"),
                    ("sleep", "Sleep"),
                    ("sleep_until", "Sleep until"),
                    ("workflow", "Workflow"),
                    ("parallel", "Parallel"),
                    ("branch", "Branch"),
                    ("dowhile", "Do while"),
                    ("dountil", "Do until"),
                    ("foreach", "For each"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="stepexecution",
            name="phase",
            field=models.CharField(
                blank=True,
                choices=[("", "None"), ("evaluate", "Evaluate"), ("check", "Check")],
                default="",
                help_text="What a construct waits for",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="workflowrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("running", "Running"),
                    ("suspended", "Suspended"),
                    ("success", "Success"),
                    ("failed", "Failed"),
                    ("canceled", "Canceled"),
                ],
                db_index=True,
                default="running",
                max_length=16,
            ),
        ),
    ]
