from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("filings", "0012_decisions_and_validity")]

    operations = [
        migrations.CreateModel(
            name="ExpiringDocument",
            fields=[],
            options={
                "verbose_name": "document to renew",
                "verbose_name_plural": "documents to renew",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("filings.document",),
        ),
    ]
