"""Test pages and bench kits for the page: not the product.

The server adds this folder to ``/app.zip`` only when started with ``--test-kits`` (the e2e fixtures and
bench/restore.py do); a normal start ships none of it. In the page they reach the workspace through ``app.handle``:

* ``testkits.restore_drafts``: a one-text-box record page for ``task`` tabs (session restore's drafts), installed
  before the first render by ``window.caseworkExtensions = ["testkits.restore_drafts"]`` (an init script);
* ``testkits.form_host``: a minimal record form host for the form extensions, enabled from a test with
  ``form_host.enable(handle.host)``.
"""
