"""Form pieces every app shares."""

from django import forms


class DayInput(forms.DateInput):
    """The browser's own date picker (type=date), whose value is always written as ISO
    (2026-05-09): Django writes a date in the active language's format, and the picker shows
    Indonesian's 09-05-2026 as an empty field, so a form opened to change one date lost the
    others. What the browser sends back is ISO, which Django's date fields always read."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
