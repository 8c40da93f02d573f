"""The README's bad-input table, row by row, through the API as other programs use the Space: each input
is refused with a clear message (never a stack trace) or answered as the table says, and the app keeps
serving afterwards."""
import pytest

from tests.bad_inputs import CASES, answer_text

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", CASES, ids=[f"{case.endpoint}: {case.given}" for case in CASES])
def test_bad_input_through_the_api(client, tmp_path, case):
    if case.refused:
        with pytest.raises(Exception) as raised:
            case.call(client, tmp_path)
        message = str(raised.value)
        assert case.expect in message and "Traceback" not in message, f"{type(raised.value).__name__}: {message[:500]}"
    else:
        answer = case.call(client, tmp_path)
        assert case.expect in answer_text(answer) and (case.holds is None or case.holds(answer))
    label, _, _ = client.predict("A superb film.", "gru", api_name="/classify")  # the app still serves
    assert {c["label"] for c in label["confidences"]} == {"negative", "positive"}


def test_every_public_endpoint_is_tried_with_bad_input():
    import app

    public = {dep.api_name for dep in app.demo.fns.values() if dep.api_visibility == "public"}
    assert public <= {case.endpoint for case in CASES if case.refused}
