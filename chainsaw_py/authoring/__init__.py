"""Authoring commands' logic: kuttl migration, docs building, test scaffolding, configuration renovation.

Pure functions over the loading model and YAML; the thin ``chainsaw_py.commands`` modules parse flags and
call them. Output that upstream Chainsaw prints through Go's ``sigs.k8s.io/yaml`` is produced with the same
shaping (:mod:`.gojson`) and marshaller (:mod:`chainsaw_py.golang.yaml`), byte for byte.
"""
