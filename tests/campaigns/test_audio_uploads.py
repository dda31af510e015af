"""``inspect_audio_upload``: the ``aud_file`` check the begin endpoint calls.

Begin itself belongs to the campaigns app; these tests pin the rules it relies
on (format by content, 10 MB, 10 minutes, errors naming the field)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.audio import mp3_file, ogg_opus_file, ogg_vorbis_head_only, wav_file
from tingting.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from tingting.voice.uploads import MAX_BYTES, inspect_audio_upload


def upload(data: bytes, name: str = "clip.bin", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    ("data", "kind", "content_type", "seconds"),
    [
        (wav_file(3.0), "wav", "audio/wav", 3.0),
        (mp3_file(4.0), "mp3", "audio/mpeg", 4.0),
        (mp3_file(5.0, kbps=32), "mp3", "audio/mpeg", 5.0),
        (mp3_file(2.0, id3=True), "mp3", "audio/mpeg", 2.0),
        (ogg_opus_file(2.5), "ogg", "audio/ogg", 2.5),
    ],
)
def test_accepted_formats_are_recognised_by_content_and_measured(data, kind, content_type, seconds):
    # Names and client content types lie on purpose: only the bytes count.
    file = upload(data, name="song.txt", content_type="text/plain")
    info = inspect_audio_upload(file)
    assert (info.format, info.content_type) == (kind, content_type)
    assert info.duration == pytest.approx(seconds, abs=0.05)
    assert file.tell() == 0 and inspect_audio_upload(file) == info


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is not audio at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"fLaC" + b"\x00" * 100,
        b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100,
        b"",
    ],
)
def test_other_content_is_415_naming_the_field(data):
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        inspect_audio_upload(upload(data, name="voice.mp3", content_type="audio/mpeg"), field="aud_file")
    error = caught.value
    assert error.status_code == 415 and error.errors[0].field == "aud_file"
    assert "MP3, WAV or Ogg" in error.message


def test_ogg_with_an_unknown_codec_is_415():
    from mutagen.ogg import OggPage

    page = OggPage()
    page.serial, page.first, page.packets = 5, True, [b"\x7fFLAC" + b"\x00" * 40]
    with pytest.raises(UnsupportedMediaTypeError):
        inspect_audio_upload(upload(page.write()))


@pytest.mark.parametrize(
    "data",
    [
        b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk",
        ogg_vorbis_head_only(),
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64,
        bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\xff" * 10,
        wav_file(0),
    ],
)
def test_right_magic_but_unreadable_is_400(data):
    with pytest.raises(InvalidInputError) as caught:
        inspect_audio_upload(upload(data), field="aud_file")
    assert caught.value.status_code == 400 and caught.value.errors[0].field == "aud_file"
    assert caught.value.code == "invalid_audio"


def test_over_10_mb_is_413():
    data = wav_file(1.0)
    data += b"\x00" * (MAX_BYTES + 1 - len(data))
    with pytest.raises(PayloadTooLargeError) as caught:
        inspect_audio_upload(upload(data))
    assert caught.value.status_code == 413 and caught.value.errors[0].field == "aud_file"


def test_exactly_10_minutes_passes_and_longer_is_400():
    assert inspect_audio_upload(upload(wav_file(600, rate=8000))).duration == 600
    with pytest.raises(InvalidInputError) as caught:
        # 11 minutes of low-rate mono WAV stays under 10 MB.
        inspect_audio_upload(upload(wav_file(660, rate=4000)), field="aud_file")
    assert caught.value.code == "audio_too_long" and caught.value.errors[0].field == "aud_file"
    with pytest.raises(InvalidInputError):
        inspect_audio_upload(upload(mp3_file(660, kbps=32)))
