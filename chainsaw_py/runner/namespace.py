"""Test namespaces (Chainsaw's ``pkg/runner/namespace.go``, ``pkg/engine/namespacer``):
``chainsaw-<adjective>-<animal>`` names, the namespace template, and creation when missing (an existing
namespace is used and never deleted)."""

from __future__ import annotations

import random
import threading
from typing import Any

from chainsaw_py.client.errors import NotFoundError
from chainsaw_py.expressions import Bindings, ExpressionError, template
from chainsaw_py.operations.base import ClusterHandle, OperationError
from chainsaw_py.operations.internal.writes import logged
from chainsaw_py.steplog import StepLogger
from chainsaw_py.util.maps import merge

ADJECTIVES = (
    "able", "active", "adapted", "alert", "amazed", "amused", "apt", "bold", "brave", "bright", "brisk",
    "calm", "capable", "careful", "champion", "charmed", "cheerful", "civil", "clean", "clever", "close",
    "cool", "cosmic", "crisp", "curious", "daring", "dear", "decent", "deep", "direct", "driven", "eager",
    "easy", "epic", "equal", "exact", "fair", "fancy", "fast", "fine", "firm", "fit", "fluent", "fond",
    "free", "fresh", "funny", "gentle", "giving", "glad", "golden", "grand", "great", "happy", "hardy",
    "helpful", "holy", "honest", "humble", "ideal", "immense", "joint", "just", "keen", "kind", "large",
    "lasting", "legal", "liberal", "light", "live", "lively", "loved", "loyal", "lucky", "magic", "main",
    "merry", "mighty", "modest", "moved", "native", "neat", "new", "nice", "noble", "normal", "open",
    "patient", "perfect", "pleasant", "polite", "precious", "pretty", "prime", "proud", "quick", "quiet",
    "rapid", "rare", "ready", "real", "refined", "relaxed", "rich", "right", "robust", "safe", "sharp",
    "simple", "sincere", "smart", "smooth", "solid", "sound", "special", "stable", "steady", "strong",
    "super", "sure", "sweet", "swift", "tender", "tidy", "tough", "true", "trusted", "up", "upright",
    "valid", "vast", "vital", "warm", "wanted", "welcome", "well", "whole", "wise", "witty", "worthy",
)
ANIMALS = (
    "akita", "alpaca", "ant", "ape", "baboon", "badger", "bat", "bear", "beaver", "bee", "beetle",
    "bison", "boar", "bobcat", "buck", "bull", "bunny", "camel", "cat", "cattle", "cheetah", "chicken",
    "chimp", "civet", "clam", "cobra", "colt", "condor", "cougar", "cow", "coyote", "crab", "crane",
    "crow", "deer", "dingo", "doe", "dog", "dolphin", "dove", "dragon", "duck", "eagle", "eel", "elk",
    "emu", "falcon", "fawn", "ferret", "finch", "fish", "flamingo", "fox", "frog", "gar", "gator",
    "gazelle", "gecko", "gibbon", "goat", "goose", "gopher", "grouse", "gull", "hare", "hawk", "hen",
    "heron", "hog", "horse", "hound", "husky", "ibex", "iguana", "impala", "jackal", "jaguar", "jay",
    "kid", "kite", "kiwi", "koala", "lamb", "lark", "lemur", "leopard", "lion", "lizard", "llama",
    "lobster", "lynx", "macaw", "magpie", "mako", "mammal", "mantis", "marlin", "marmot", "marten",
    "mink", "mole", "mongoose", "monkey", "moose", "mouse", "mule", "newt", "ocelot", "octopus", "orca",
    "oriole", "osprey", "otter", "owl", "ox", "oyster", "panda", "panther", "parrot", "pelican",
    "penguin", "pheasant", "pig", "pigeon", "piranha", "platypus", "polecat", "pony", "poodle", "possum",
    "puma", "python", "quail", "rabbit", "raccoon", "ram", "raptor", "rat", "raven", "reindeer",
    "rhino", "robin", "rooster", "salmon", "seal", "shark", "sheep", "shrew", "skink", "skunk", "sloth",
    "snail", "snake", "sparrow", "spider", "squid", "stag", "starling", "stork", "swan", "tapir",
    "tiger", "toad", "trout", "turkey", "turtle", "viper", "vulture", "walrus", "wasp", "weasel",
    "whale", "wolf", "wombat", "worm", "yak", "zebra",
)


def generate_name(rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    return f"chainsaw-{rng.choice(ADJECTIVES)}-{rng.choice(ANIMALS)}"


_DRAWS = 1000


class GeneratedNames:
    """Generated test-namespace names that tests of this process hold. There are ~25,000 names: at
    ``--parallel 16`` two running tests drew the same one about once in 1,500 tests, and then shared a
    namespace that one of them deleted under the other (``benchmarks/scale.py``). A name held is drawn
    again; a test releases its name once its namespace is gone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()

    def reserve(self, rng: random.Random | None = None) -> str:
        with self._lock:
            for _ in range(_DRAWS):
                name = generate_name(rng)
                if name not in self._held:
                    self._held.add(name)
                    return name
        raise OperationError(f"no free namespace name after {_DRAWS} draws ({len(self._held)} held)")

    def release(self, name: str) -> None:
        with self._lock:
            self._held.discard(name)


GENERATED_NAMES = GeneratedNames()


def build_namespace(name: str, namespace_template: Any, bindings: Bindings, compiler: str) -> dict[str, Any]:
    """The Namespace object, with the template (evaluated with ``$namespace`` = name) merged on top;
    the template may even change the name."""
    namespace: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    if namespace_template is None:
        return namespace
    try:
        patch = template(namespace_template, namespace, bindings.register("namespace", name), compiler)
    except ExpressionError as err:
        raise OperationError(str(err)) from err
    merged = merge(namespace, patch) if isinstance(patch, dict) else patch
    if not isinstance(merged, dict) or not isinstance(merged.get("metadata"), dict):
        raise OperationError("namespace template must produce an object")
    return merged


def ensure_namespace(cluster: ClusterHandle, namespace: dict[str, Any], logger: StepLogger) -> bool:
    """Create the namespace if it does not exist; True when it was created (and must be deleted)."""
    name = namespace["metadata"]["name"]
    try:
        cluster.client.get("v1", "Namespace", "", name)
        return False
    except NotFoundError:
        pass
    logged(logger, "CREATE", namespace, lambda: cluster.client.create(namespace))
    return True
