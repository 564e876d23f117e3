"""Go compatibility: the bottom layer. One implementation of each Go behaviour chainsaw_py reproduces.

- ``fmt`` — ``fmt`` verbs (``%v``, ``%#v``, ``%q``), ``strconv`` quoting and float formatting,
  ``encoding/json.Marshal``, reflect kinds and ``%T`` names of decoded JSON values.
- ``yaml`` — go-yaml v2 scalar resolution and ``sigs.k8s.io/yaml.Marshal`` output.
- ``durations`` — ``time.ParseDuration``, ``Duration.String()``, apimachinery's ``HumanDuration``.
- ``time`` — ``time.Parse`` with Go layouts, RFC 3339.
- ``quantity`` — ``resource.Quantity`` parsing and canonical printing.
- ``filepath`` — ``path/filepath`` (Join, Clean, Ext, Base, Dir, Abs, Rel).
- ``shlex`` — ``github.com/google/shlex`` word splitting.
- ``regexp`` — RE2 patterns on Python's ``re``, ``Expand`` templates, goregen-style random strings.

Imports nothing from the rest of chainsaw_py; everyone (including ``embedded``) may import it.
"""
