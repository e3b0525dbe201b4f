from collegebot.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RespondRequest(_message.Message):
    __slots__ = ("question", "passages", "relevant", "history", "emergency")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    PASSAGES_FIELD_NUMBER: _ClassVar[int]
    RELEVANT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    EMERGENCY_FIELD_NUMBER: _ClassVar[int]
    question: str
    passages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Passage]
    relevant: bool
    history: _containers.RepeatedCompositeFieldContainer[_common_pb2.Turn]
    emergency: str
    def __init__(self, question: _Optional[str] = ..., passages: _Optional[_Iterable[_Union[_common_pb2.Passage, _Mapping]]] = ..., relevant: _Optional[bool] = ..., history: _Optional[_Iterable[_Union[_common_pb2.Turn, _Mapping]]] = ..., emergency: _Optional[str] = ...) -> None: ...

class Source(_message.Message):
    __slots__ = ("source", "page", "section")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    source: str
    page: int
    section: str
    def __init__(self, source: _Optional[str] = ..., page: _Optional[int] = ..., section: _Optional[str] = ...) -> None: ...

class RespondResponse(_message.Message):
    __slots__ = ("answer", "parts", "sources", "intent", "sentiment", "sentiment_score", "urgency", "confidence", "escalate", "abstained", "generator", "prompt_tokens", "completion_tokens")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    ESCALATE_FIELD_NUMBER: _ClassVar[int]
    ABSTAINED_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    answer: str
    parts: _containers.RepeatedScalarFieldContainer[str]
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    intent: str
    sentiment: str
    sentiment_score: float
    urgency: str
    confidence: float
    escalate: bool
    abstained: bool
    generator: str
    prompt_tokens: int
    completion_tokens: int
    def __init__(self, answer: _Optional[str] = ..., parts: _Optional[_Iterable[str]] = ..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]] = ..., intent: _Optional[str] = ..., sentiment: _Optional[str] = ..., sentiment_score: _Optional[float] = ..., urgency: _Optional[str] = ..., confidence: _Optional[float] = ..., escalate: _Optional[bool] = ..., abstained: _Optional[bool] = ..., generator: _Optional[str] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ...) -> None: ...
