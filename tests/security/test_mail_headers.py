"""Mail headers and SMTP envelopes carry no smuggled control characters or parameters.

Issue, SMTP backend: a NUL byte in a subject was sent, and quoted local parts containing
``> SIZE=`` or ``NOTIFY=`` reached the SMTP envelope.
"""

import pytest

from aksara import send_mail
from aksara.core.mail import EmailMessage
from aksara.exceptions import BadHeaderError, MailError


@pytest.mark.parametrize("subject", ["Hello\x00world", "bell\x07", "escape\x1b[31m"])
async def test_control_characters_in_headers_are_refused(smtp_server, subject):
    with pytest.raises(BadHeaderError, match="control character"):
        await send_mail(subject, "Body", "from@example.com", ["to@example.com"])
    with pytest.raises(BadHeaderError):
        EmailMessage(
            "Hi", "Body", "from@example.com", ["to@example.com"], headers={"X-Note": subject}
        ).message()
    assert smtp_server.messages == [] and smtp_server.connections == 0


@pytest.mark.parametrize(
    "address",
    [
        '"victim> SIZE=1"@example.com',
        '"x> NOTIFY=SUCCESS ORCPT=rfc822;a@evil.test"@example.com',
        '"a<b"@example.com',
        '"tab\there"@example.com',
        '"nul\x00"@example.com',
    ],
)
async def test_addresses_that_would_break_the_envelope_are_refused(smtp_server, address):
    with pytest.raises(MailError, match="not a valid email address|control character"):
        await send_mail("Hi", "Body", "from@example.com", [address])
    with pytest.raises(MailError):
        await send_mail("Hi", "Body", address, ["to@example.com"])
    assert smtp_server.messages == [] and smtp_server.connections == 0
