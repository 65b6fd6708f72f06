"""The instrument upload: the shape of the input only (the importer judges the content)."""

from pathlib import Path

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SUFFIXES = (".xlsx", ".json")


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Instrument file (.xlsx template or .json)"))
    year = forms.IntegerField(label=gettext_lazy("Period (year)"), min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.fields["file"].widget.attrs["accept"] = ",".join(SUFFIXES)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("Upload the .xlsx template or a .json file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload
