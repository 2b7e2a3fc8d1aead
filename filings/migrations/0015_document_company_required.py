import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("filings", "0014_documents_belong_to_the_company")]

    operations = [
        migrations.AlterField(
            model_name="document",
            name="company",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="filings.company",
                verbose_name="company",
            ),
        ),
    ]
