"""Networks of the report, one file per family; :mod:`msdl.models.registry` names them all.

Import the family modules or the registry directly; this package module imports nothing
(the workflow reads :mod:`msdl.models.knobs` without torch).
"""
