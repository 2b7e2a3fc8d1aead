"""Documents belong to the company; a filing sends its documents through FilingDocument rows.

Every existing document gets its filing's company and one link to the filing it was uploaded
in, current while the document is (removed when it was superseded there).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

BATCH = 2000


def fill(apps, schema_editor):
    alias = schema_editor.connection.alias
    Document = apps.get_model("filings", "Document")
    Filing = apps.get_model("filings", "Filing")
    FilingDocument = apps.get_model("filings", "FilingDocument")
    company = Filing.objects.using(alias).filter(pk=OuterRef("filing_id")).values("company_id")
    Document.objects.using(alias).update(company_id=Subquery(company[:1]))
    rows = (
        Document.objects.using(alias)
        .order_by("pk")
        .values_list("pk", "filing_id", "kind", "part", "uploaded_at", "superseded_at")
    )
    batch = []
    for pk, filing_id, kind, part, uploaded_at, superseded_at in rows.iterator(BATCH):
        batch.append(
            FilingDocument(
                filing_id=filing_id,
                document_id=pk,
                kind=kind,
                part=part,
                added_at=uploaded_at,
                removed_at=superseded_at,
            )
        )
        if len(batch) >= BATCH:
            FilingDocument.objects.using(alias).bulk_create(batch)
            batch = []
    FilingDocument.objects.using(alias).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("filings", "0013_expiring_documents")]

    operations = [
        migrations.AddField(
            model_name="document",
            name="company",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="filings.company",
                verbose_name="company",
            ),
        ),
        migrations.AlterField(
            model_name="document",
            name="filing",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="filings.filing",
                verbose_name="uploaded in",
            ),
        ),
        migrations.CreateModel(
            name="FilingDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("businessLicense", "Business licence (营业执照)"),
                            ("proprietorIdcard", "Legal representative ID card (法人身份证)"),
                            ("operatorIdcard", "Administrator ID document (管理员证件)"),
                            (
                                "operatorIdcardInhand",
                                "Photo of the administrator holding their ID (管理员手持证件)",
                            ),
                            (
                                "networkaccessCommitmentletter",
                                "Network-access commitment letter (入网承诺书)",
                            ),
                            (
                                "numberapplicationOfficialletter",
                                "Number application official letter (号码申请公函)",
                            ),
                            (
                                "businessUsageCommitmentletter",
                                "Business-usage commitment letter (业务使用承诺书)",
                            ),
                        ],
                        max_length=40,
                        verbose_name="document",
                    ),
                ),
                (
                    "part",
                    models.CharField(
                        choices=[
                            ("main", "Sent"),
                            ("front", "Front (original)"),
                            ("back", "Back (original)"),
                        ],
                        default="main",
                        max_length=8,
                        verbose_name="part",
                    ),
                ),
                (
                    "added_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="added at"
                    ),
                ),
                (
                    "removed_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="replaced or removed at"
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links",
                        to="filings.document",
                    ),
                ),
                (
                    "filing",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="document_links",
                        to="filings.filing",
                    ),
                ),
            ],
            options={
                "verbose_name": "document of a filing",
                "verbose_name_plural": "documents of a filing",
                "ordering": ["filing", "kind", "part", "-added_at"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("removed_at__isnull", True)),
                        fields=("filing", "kind", "part"),
                        name="one_current_link_per_kind_part",
                    ),
                    models.UniqueConstraint(
                        fields=("filing", "document"), name="one_link_per_document"
                    ),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
