from core.workflow.uploads import display_name


def test_display_name_drops_control_characters_and_is_bounded():
    assert display_name("in\x00voice\x07.pdf") == "invoice.pdf"
    assert display_name("\x00\x01") == "upload"
    assert display_name(None) == "upload"
    assert len(display_name("a" * 1000 + ".pdf")) == 255
