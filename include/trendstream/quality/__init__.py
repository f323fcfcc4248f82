"""Data quality: Great Expectations suites over recent output, and their runner.

``suites`` says *what* must hold (plain lists of expectations per data set), ``frames``
fetches the recent data as pandas frames, ``runner`` validates, keeps the result JSON under
``<state_dir>/quality/`` and quarantines the batch reference of a failing suite.
"""
