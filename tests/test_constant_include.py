"""{% constant_include %} (core/templatetags/kla_texts.py): a partial of fixed texts kept
rendered per language. A kept copy must follow the language and must never hold a value of
the request that rendered it first, so anything but fixed texts is refused."""

import pytest
from django.template import Template, TemplateSyntaxError
from django.utils import translation

from core.templatetags.kla_texts import check_fixed, constant_include

PARTIALS = ["opd/_offline_texts.html", "opd/_upload_texts_fixed.html"]


@pytest.mark.parametrize("name", PARTIALS)
def test_the_scripts_texts_are_fixed_texts_and_follow_the_language(page_cache_on, name):
    with translation.override("id"):
        indonesian = constant_include(name)
        assert constant_include(name) == indonesian  # the kept copy
    with translation.override("en"):
        english = constant_include(name)
    assert english != indonesian
    assert 'data-text="' in english and "{%" not in english


@pytest.mark.parametrize("name", PARTIALS)
def test_the_kept_copy_is_what_rendering_anew_gives(settings, page_cache_on, name):
    with translation.override("en"):
        kept = constant_include(name)
        settings.KLA_PAGE_CACHE_SECONDS = 0  # the cache off: rendered each time
        assert constant_include(name) == kept
    assert "<span data-text=" in kept


@pytest.mark.parametrize(
    "source",
    [
        "{{ user.username }}",
        "{% translate greeting %}",
        '{% translate "Hello"|upper %}',
        '{% translate "Hello" as hello %}',
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}",
        "{% if user %}x{% endif %}",
        "{% csrf_token %}",
        '{% translate "May" context month %}',
    ],
)
def test_anything_but_fixed_texts_is_refused(source):
    nodelist = Template("{% load i18n %}" + source).nodelist
    with pytest.raises(TemplateSyntaxError, match="constant_include keeps only"):
        check_fixed(nodelist, "test.html")


@pytest.mark.parametrize(
    "source",
    [
        '<b>{% translate "Hello" %}</b>',
        '{% comment %}why{% endcomment %}{% translate "May" context "month" %}',
    ],
)
def test_fixed_texts_pass_the_check(source):
    assert check_fixed(Template("{% load i18n %}" + source).nodelist, "test.html") is None
