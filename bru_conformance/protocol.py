"""Value types of the Background Resource Upload protocol, shared by every role.

These are the nouns both sides of the SYSTEM/APP boundary exchange: job states, actions, processing
results, authorization states, destinations (URL requests), resources, job snapshots and the errors
PhotoKit reports. They carry no behaviour beyond validation, so a plugged-in implementation, the
reference and the out-of-process wire format can all agree on them.

Numeric values follow the SDK headers where Apple states them (State, Type, Action raw values) and
the digest's readings elsewhere (rules-digest.md §2).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class JobState(enum.IntEnum):
    """`PHAssetResourceUploadJob.State` (H27-T raw values); `cancelled` exists from 26.4."""

    REGISTERED = 1
    PENDING = 2
    FAILED = 3
    SUCCEEDED = 4
    CANCELLED = 5


class JobType(enum.IntEnum):
    """`PHAssetResourceUploadJob.Type` (26.4)."""

    UPLOAD = 0
    DOWNLOAD_ONLY = 1


class Action(enum.IntEnum):
    """`PHAssetResourceUploadJob.Action`; `process` exists from 26.5."""

    ACKNOWLEDGE = 1
    RETRY = 2
    PROCESS = 3


class ProcessingResult(enum.IntEnum):
    """`PHBackgroundResourceUploadProcessingResult` (declaration order failure, processing, completed)."""

    FAILURE = 0
    PROCESSING = 1
    COMPLETED = 2


class AuthorizationStatus(enum.Enum):
    """`PHAuthorizationStatus` for `PHAccessLevel.readWrite`."""

    NOT_DETERMINED = "notDetermined"
    RESTRICTED = "restricted"
    DENIED = "denied"
    LIMITED = "limited"
    AUTHORIZED = "authorized"


class Network(enum.Enum):
    """Connectivity the environment offers; cellular is the expensive kind (ACT-23)."""

    NONE = "none"
    WIFI = "wifi"
    CELLULAR = "cellular"


class PhotoKitErrorCode(enum.IntEnum):
    """`PHPhotosError.Code` values the feature can produce (HERR numbering; 3307 per a third-party read)."""

    INTERNAL_ERROR = -1
    PERSISTENT_CHANGE_TOKEN_EXPIRED = 3105
    IDENTIFIER_NOT_FOUND = 3201
    CHANGE_NOT_SUPPORTED = 3300
    LIMIT_EXCEEDED = 3307
    ACCESS_RESTRICTED = 3310
    ACCESS_USER_DENIED = 3311


class URLErrorCode(enum.IntEnum):
    """The `NSURLErrorDomain` codes a failed job's sanitised `error` can carry (AMB-23)."""

    TIMED_OUT = -1001
    CANNOT_CONNECT_TO_HOST = -1004
    NETWORK_CONNECTION_LOST = -1005
    RESOURCE_UNAVAILABLE = -1008
    NOT_CONNECTED_TO_INTERNET = -1009
    BAD_SERVER_RESPONSE = -1011
    USER_AUTHENTICATION_REQUIRED = -1013
    BAD_URL = -1000


#: URL errors a well-behaved app treats as permanent (the article's sample, RET-07).
PERMANENT_URL_ERRORS = frozenset({URLErrorCode.BAD_SERVER_RESPONSE, URLErrorCode.USER_AUTHENTICATION_REQUIRED})


@dataclass(frozen=True, slots=True)
class URLError:
    """A sanitised `NSURLErrorDomain` error as exposed on a failed job (STA-08, STA-09)."""

    code: URLErrorCode
    domain: str = "NSURLErrorDomain"

    @property
    def is_permanent(self) -> bool:
        return self.code in PERMANENT_URL_ERRORS


@dataclass(frozen=True, slots=True)
class Request:
    """A destination `URLRequest`: where the system sends a resource and with which headers."""

    url: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def make(url: str, method: str = "POST", headers: dict[str, str] | None = None) -> Request:
        return Request(url=url, method=method, headers=tuple(sorted((headers or {}).items())))

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


class ResourceKind(enum.Enum):
    """`PHAssetResourceType` cases the suite's libraries use."""

    PHOTO = "photo"
    VIDEO = "video"
    PAIRED_VIDEO = "pairedVideo"
    FULL_SIZE_PHOTO = "fullSizePhoto"


@dataclass(frozen=True, slots=True)
class AssetResource:
    """A `PHAssetResource`: one file of an asset. `resource_id` is unique in the library."""

    resource_id: str
    asset_id: str
    kind: ResourceKind = ResourceKind.PHOTO
    filename: str = "IMG.HEIC"
    size: int = 3_000_000
    icloud_only: bool = False


def resource_bytes(resource: AssetResource) -> bytes:
    """The bytes of a resource, as the harness defines them: `size` bytes of a SHAKE-256 stream keyed by the
    resource id (fast, never periodic, so bytes resumed from a wrong offset can never match by accident).
    A SYSTEM uploading over real HTTP (`Environment.upload_over_http`) sends these; the harness's server
    compares what it stored against them."""
    import hashlib

    return hashlib.shake_256(resource.resource_id.encode()).digest(resource.size) if resource.size else b""


@dataclass(frozen=True, slots=True)
class Asset:
    """A `PHAsset` with its resources (a Live Photo has two; an edited photo adds a full-size render)."""

    asset_id: str
    resources: tuple[AssetResource, ...]


@dataclass(frozen=True)
class UploadJobOptions:
    """`PHAssetResourceUploadJobOptions` (27.0): its only property defaults to false (ACT-22)."""

    prevents_expensive_network_access: bool = False


class UploadJob:
    """A read-only snapshot of a `PHAssetResourceUploadJob` as a fetch returned it.

    Fields that the active API profile lacks (`type`, `response_header_fields`, `error` before 26.4;
    `resource` on macOS) raise `APIUnavailableError` naming the profile when read, as the real SDK would
    refuse to compile the access. `resource` may be None for terminal jobs (AMB-22).
    """

    __slots__ = (
        "_error",
        "_headers",
        "_resource",
        "_type",
        "_unavailable",
        "destination",
        "local_identifier",
        "profile",
        "state",
    )

    def __init__(self, *, local_identifier: str, state: JobState, destination: Request,
                 resource: AssetResource | None, type: JobType = JobType.UPLOAD,
                 response_header_fields: dict[str, str] | None = None, error: URLError | None = None,
                 profile: str = "", unavailable: frozenset[str] = frozenset()) -> None:
        self.local_identifier = local_identifier
        self.state = state
        self.destination = destination
        self._resource = resource
        self._type = type
        self._headers = dict(response_header_fields) if response_header_fields is not None else None
        self._error = error
        self.profile = profile
        self._unavailable = unavailable

    def _check(self, name: str) -> None:
        if name in self._unavailable:
            raise APIUnavailableError(f"PHAssetResourceUploadJob.{name}", self.profile)

    @property
    def resource(self) -> AssetResource | None:
        self._check("resource")
        return self._resource

    @property
    def type(self) -> JobType:
        self._check("type")
        return self._type

    @property
    def response_header_fields(self) -> dict[str, str] | None:
        self._check("responseHeaderFields")
        return None if self._headers is None else dict(self._headers)

    @property
    def error(self) -> URLError | None:
        self._check("error")
        return self._error

    def to_wire(self) -> dict[str, Any]:
        """JSON form used in traces and on the adapter wire; unavailable fields are omitted."""
        out: dict[str, Any] = {"localIdentifier": self.local_identifier, "state": self.state.name.lower(),
                               "destination": {"url": self.destination.url, "method": self.destination.method,
                                               "headers": dict(self.destination.headers)}}
        if "resource" not in self._unavailable:
            out["resource"] = None if self._resource is None else self._resource.resource_id
        if "type" not in self._unavailable:
            out["type"] = "downloadOnly" if self._type is JobType.DOWNLOAD_ONLY else "upload"
        if "responseHeaderFields" not in self._unavailable:
            out["responseHeaderFields"] = self._headers
        if "error" not in self._unavailable:
            out["error"] = None if self._error is None else {"domain": self._error.domain, "code": int(self._error.code)}
        return out

    def __repr__(self) -> str:
        return f"UploadJob({self.local_identifier}, {self.state.name.lower()})"


@dataclass(frozen=True)
class PersistentChanges:
    """What `fetchPersistentChanges(since:)` returns: inserted/updated/deleted asset ids and a new token."""

    inserted: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    token: int = 0


class BruError(Exception):
    """Base of every error the protocol model raises."""


class PhotoKitError(BruError):
    """An error PhotoKit reports to the caller (`PHPhotosErrorDomain`), e.g. a failed change block."""

    def __init__(self, code: PhotoKitErrorCode, message: str = "") -> None:
        self.code = PhotoKitErrorCode(code)
        self.message = message
        super().__init__(f"PHPhotosErrorDomain {int(self.code)} ({self.code.name}){': ' + message if message else ''}")


class APIUnavailableError(BruError):
    """A call or field that does not exist in the active API profile (VER-01..06)."""

    def __init__(self, api: str, profile: str, detail: str = "") -> None:
        self.api = api
        self.profile = profile
        super().__init__(f"{api} is not available in profile {profile}{': ' + detail if detail else ''}")


class ChangeRequestOutsideBlockError(BruError):
    """A change request was created or used outside a change block (CRE-01): PhotoKit raises an exception."""


class NestedChangeBlockError(BruError):
    """A change block was opened inside another (ERR-05): PhotoKit raises an exception."""


class PreconditionFailure(BruError):
    """A hard precondition failure PhotoKit reports as an exception, not an error (AMB-10 field note)."""


class InvalidTransitionError(BruError):
    """A job state change the transition table forbids (AMB-01). Never a silent no-op."""


class ExtensionKilled(BaseException):
    """Delivered into the extension when the system kills it without notice (TER-06, AMB-18/19).

    A BaseException so that an app's `except Exception` cannot swallow the kill: a killed process runs
    no further code.
    """


class TraceEvent:
    """One call across the SYSTEM/APP boundary (schemas/trace-event.schema.json).

    `args` and `result` are kept as the protocol values they were and turned into their JSON-ready form
    (`convert`) only when first read: most events of a passing scenario are never read, and converting
    every one eagerly cost a fifth of a run.
    """

    __slots__ = ("_args", "_convert", "_result", "actor", "began", "call", "direction", "error", "seq", "time")

    def __init__(self, seq: int, time: float, direction: str, call: str, args: dict[str, Any] | None = None,
                 result: Any = None, error: dict[str, Any] | None = None, actor: str = "harness", began: int | None = None,
                 convert: Any = None) -> None:
        self.seq, self.time, self.direction, self.call = seq, time, direction, call
        self.error, self.actor, self.began = error, actor, began  # actor: "app", "harness", "system" or "user"
        self._args, self._result, self._convert = args or {}, result, convert

    def _materialize(self) -> None:
        convert, self._convert = self._convert, None
        self._args = {k: convert(v) for k, v in self._args.items()}
        self._result = convert(self._result)

    @property
    def args(self) -> dict[str, Any]:
        if self._convert is not None:
            self._materialize()
        return self._args

    @property
    def result(self) -> Any:
        if self._convert is not None:
            self._materialize()
        return self._result

    @result.setter
    def result(self, value: Any) -> None:
        if self._convert is not None:
            self._materialize()
        self._result = value

    def __repr__(self) -> str:
        return f"TraceEvent(seq={self.seq}, time={self.time}, {self.direction} {self.call}, actor={self.actor}, error={self.error})"


class OutcomeKind(enum.Enum):
    """What the (simulated) server or network does with one upload attempt."""

    SUCCESS = "success"                  # final 2xx after the whole body
    HTTP_ERROR = "http-error"            # final non-2xx status
    TIMEOUT = "timeout"                  # URLError.timedOut
    CONNECTION_LOST = "connection-lost"  # URLError.networkConnectionLost
    EARLY_ANSWER = "early-answer"        # final status sent before the body was read: nothing stored
    ICLOUD_FAILURE = "icloud-failure"    # the original could not be downloaded from iCloud (AMB-30)


@dataclass(frozen=True)
class UploadOutcome:
    """A scripted result for one upload attempt; `status`/`headers` apply to HTTP outcomes."""

    kind: OutcomeKind = OutcomeKind.SUCCESS
    status: int = 201
    headers: tuple[tuple[str, str], ...] = ()
    committed: bool = False  # an HTTP error sent after the server kept the bytes (field scenario 7)

    @property
    def stores(self) -> bool:
        """Whether the server keeps a complete copy of the resource after this attempt."""
        return self.kind is OutcomeKind.SUCCESS or (self.kind is OutcomeKind.HTTP_ERROR and self.committed)

    @staticmethod
    def success(status: int = 201, headers: dict[str, str] | None = None) -> UploadOutcome:
        return UploadOutcome(OutcomeKind.SUCCESS, status, tuple((headers or {}).items()))

    @staticmethod
    def http(status: int, headers: dict[str, str] | None = None) -> UploadOutcome:
        kind = OutcomeKind.SUCCESS if 200 <= status < 300 else OutcomeKind.HTTP_ERROR
        return UploadOutcome(kind, status, tuple((headers or {}).items()))


class TerminationMode(enum.Enum):
    """How the system ends an extension's execution (AMB-19)."""

    NOTICE_MID_CALL = "notice-mid-call"      # notifyTermination/willTerminate while process() runs
    NOTICE_AFTER_CALL = "notice-after-call"  # the notice right after process() returned
    HARD_KILL = "hard-kill"                  # no notice: the process is gone
