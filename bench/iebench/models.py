"""One row of a return in the template's columns, the way a Django developer would model it."""

from django.db import models


class ImportedRow(models.Model):
    """The template's nine columns as plain fields (codes, not keys: the kindest case for the tool)."""

    measure_code = models.CharField(max_length=60)
    area_code = models.CharField(max_length=9)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.FloatField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    respondents = models.PositiveIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
