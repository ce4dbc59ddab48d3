"""Upload handling that stops reading a file as soon as it passes the size limit (before disk)."""

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import MemoryFileUploadHandler

MAX_UPLOAD_BYTES = 6 * 1024 * 1024


class LimitedMemoryUploadHandler(MemoryFileUploadHandler):
    """Keep uploads in memory and refuse any file larger than ``MAX_UPLOAD_BYTES``.

    Badge images and credentials are small; nothing needs a temporary file on disk, and a huge upload
    is cut off while it streams in rather than after it has been written out.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > MAX_UPLOAD_BYTES:
            raise RequestDataTooBig("upload is larger than the limit")
        self.activated = True  # always in memory; the limit below protects it

    def new_file(self, *args, **kwargs):
        self._received = 0
        return super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self._received += len(raw_data)
        if self._received > MAX_UPLOAD_BYTES:
            raise RequestDataTooBig("upload is larger than the limit")
        return super().receive_data_chunk(raw_data, start)
