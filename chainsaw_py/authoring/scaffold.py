"""``create test``: the sample test upstream scaffolds, named after the target folder.

One step, ``step 1``, shows the common operations: apply, assert, error, delete and script in ``try``; an
events and a pod-logs collector in ``catch``; a sleep in ``finally``. With ``description=False`` the test,
the step and the operations carry no descriptions.
"""

from __future__ import annotations

from chainsaw_py.authoring.gojson import go_json
from chainsaw_py.golang import filepath as gopath
from chainsaw_py.golang.filepath import absolute
from chainsaw_py.loading.model import (
    Apply,
    Assert,
    Delete,
    Error,
    Events,
    ObjectMeta,
    ObjectReference,
    Operation,
    PodLogs,
    Script,
    Sleep,
    Step,
    Test,
    TestSpec,
)

TEST_FILE = "chainsaw-test.yaml"


def scaffold_name(folder: str) -> str:
    """The test name for ``folder``: its absolute path's last element, lowercased, ``_`` -> ``-``."""
    return gopath.base(absolute(folder)).replace("_", "-").lower()


def sample_test(name: str, description: bool = True) -> Test:
    def describe(text: str) -> str:
        return text if description else ""

    step = Step(
        name="step 1",
        description=describe("sample step 1"),
        try_=[
            Operation("apply", Apply(file="resources.yaml"), describe("sample apply operation")),
            Operation("assert", Assert(file="assert.yaml"), describe("sample assert operation")),
            Operation("error", Error(file="error.yaml"), describe("sample error operation")),
            Operation("delete", Delete(ref=ObjectReference(api_version="v1", kind="Pod", name="foo")),
                      describe("sample delete operation")),
            Operation("script", Script(content='echo "test namespace = $NAMESPACE"'),
                      describe("sample script operation")),
        ],
        catch=[
            Operation("events", Events(name="foo"), describe("sample events collector")),
            Operation("podLogs", PodLogs(selector="app=foo"), describe("sample pod logs collector")),
        ],
        finally_=[Operation("sleep", Sleep(duration="5s"), describe("sample sleep operation"))],
    )
    return Test(metadata=ObjectMeta(name=name),
                spec=TestSpec(description=describe("test description"), steps=[step]))


def render_sample_test(folder: str, description: bool = True) -> str:
    """The scaffolded test for ``folder`` as upstream prints it."""
    from chainsaw_py.golang.yaml import marshal

    return marshal(go_json(sample_test(scaffold_name(folder), description)))
