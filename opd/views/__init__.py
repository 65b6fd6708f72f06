"""The units' and the reviewers' pages, one module per topic: workspace, answers (the answer
page, saving, submitting, comments), evidence (files and links, downloads and previews),
review (the queue and the decisions), notices, documents (the library), tables (per-unit
questions) and tus (resumable uploads). opd/urls.py names each view by its module."""
