"""A simulated Tempo operator for chainsaw_py's embedded cluster (loaded by ``../chainsaw_embedded.py``).

Modules: ``crd`` (the TempoStack CRD), ``storage`` (the operator's storage-secret checks), ``manifests``
(the objects the operator creates), ``status`` (components and conditions), ``probe`` (the S3 call Tempo
makes when it starts), ``containers`` (the Tempo containers, simulated), ``operator`` (the reconcile
functions). Everything but ``operator`` and ``probe`` is pure and unit-tested in tests/e2e.
"""
