"""Static files as whitenoise keeps them (hashed names, compressed copies), each address worked
out once per process.

A page links six or seven static files, and working out one address (the manifest lookup, then
Django quoting and joining it) cost 10 µs; the manifest is read when the process starts and does
not change under it, so neither does an address."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            # A name missing from the manifest raises here, and is not kept.
            url = self._urls[name] = super().url(name)
            return url
