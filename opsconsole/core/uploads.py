"""A size limit for uploaded files. Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves file parts out, so without
this an upload of any size was accepted (a 4.4 MB CSV passed a 2 MB limit)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class LimitedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: refuses (400) a request whose declared length, or whose file data as
    it arrives, exceeds ``settings.FILE_UPLOAD_MAX_BYTES``, before the other handlers keep any of it."""

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        self.received = 0
        if content_length and content_length > settings.FILE_UPLOAD_MAX_BYTES:
            raise RequestDataTooBig(f"the upload is larger than {settings.FILE_UPLOAD_MAX_BYTES} bytes")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            raise RequestDataTooBig(f"the upload is larger than {settings.FILE_UPLOAD_MAX_BYTES} bytes")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
