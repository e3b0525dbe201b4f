from collegebot.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RetrieveRequest(_message.Message):
    __slots__ = ("query", "k", "history")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    query: str
    k: int
    history: _containers.RepeatedCompositeFieldContainer[_common_pb2.Turn]
    def __init__(self, query: _Optional[str] = ..., k: _Optional[int] = ..., history: _Optional[_Iterable[_Union[_common_pb2.Turn, _Mapping]]] = ...) -> None: ...

class RetrieveResponse(_message.Message):
    __slots__ = ("passages", "relevant", "emergency", "emergency_similarity", "kb_version")
    PASSAGES_FIELD_NUMBER: _ClassVar[int]
    RELEVANT_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    KB_VERSION_FIELD_NUMBER: _ClassVar[int]
    passages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Passage]
    relevant: bool
    emergency: str
    emergency_similarity: float
    kb_version: str
    def __init__(self, passages: _Optional[_Iterable[_Union[_common_pb2.Passage, _Mapping]]] = ..., relevant: _Optional[bool] = ..., emergency: _Optional[str] = ..., emergency_similarity: _Optional[float] = ..., kb_version: _Optional[str] = ...) -> None: ...

class SenseRequest(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class SenseResponse(_message.Message):
    __slots__ = ("emergency", "emergency_similarity")
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    emergency: str
    emergency_similarity: float
    def __init__(self, emergency: _Optional[str] = ..., emergency_similarity: _Optional[float] = ...) -> None: ...

class GroupRequest(_message.Message):
    __slots__ = ("texts", "similarity")
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    similarity: float
    def __init__(self, texts: _Optional[_Iterable[str]] = ..., similarity: _Optional[float] = ...) -> None: ...

class GroupResponse(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, groups: _Optional[_Iterable[int]] = ...) -> None: ...

class IngestRequest(_message.Message):
    __slots__ = ("paths", "texts")
    PATHS_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedScalarFieldContainer[str]
    texts: _containers.RepeatedCompositeFieldContainer[DocumentText]
    def __init__(self, paths: _Optional[_Iterable[str]] = ..., texts: _Optional[_Iterable[_Union[DocumentText, _Mapping]]] = ...) -> None: ...

class DocumentText(_message.Message):
    __slots__ = ("path", "text")
    PATH_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    path: str
    text: str
    def __init__(self, path: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class DocumentResult(_message.Message):
    __slots__ = ("path", "status", "pages", "chunks", "error")
    PATH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    path: str
    status: str
    pages: int
    chunks: int
    error: str
    def __init__(self, path: _Optional[str] = ..., status: _Optional[str] = ..., pages: _Optional[int] = ..., chunks: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class IngestResponse(_message.Message):
    __slots__ = ("documents", "index_chunks")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    INDEX_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[DocumentResult]
    index_chunks: int
    def __init__(self, documents: _Optional[_Iterable[_Union[DocumentResult, _Mapping]]] = ..., index_chunks: _Optional[int] = ...) -> None: ...
