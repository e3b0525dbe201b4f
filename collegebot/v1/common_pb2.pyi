from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Turn(_message.Message):
    __slots__ = ("question", "answer")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    question: str
    answer: str
    def __init__(self, question: _Optional[str] = ..., answer: _Optional[str] = ...) -> None: ...

class Passage(_message.Message):
    __slots__ = ("text", "source", "page", "section", "score", "chunk_id", "title", "sentences")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SENTENCES_FIELD_NUMBER: _ClassVar[int]
    text: str
    source: str
    page: int
    section: str
    score: float
    chunk_id: str
    title: str
    sentences: _containers.RepeatedCompositeFieldContainer[Sentence]
    def __init__(self, text: _Optional[str] = ..., source: _Optional[str] = ..., page: _Optional[int] = ..., section: _Optional[str] = ..., score: _Optional[float] = ..., chunk_id: _Optional[str] = ..., title: _Optional[str] = ..., sentences: _Optional[_Iterable[_Union[Sentence, _Mapping]]] = ...) -> None: ...

class Sentence(_message.Message):
    __slots__ = ("text", "similarity")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    text: str
    similarity: float
    def __init__(self, text: _Optional[str] = ..., similarity: _Optional[float] = ...) -> None: ...
