"""Data quality: record-level rules as Great Expectations suites, run by `emis check`.

``facts`` (SQL per suite) -> ``rules`` (the suites) -> ``run`` (validation in chunks) ->
``store`` (``quality.dq_issues``); ``score`` rates the rules against planted defects.
"""
