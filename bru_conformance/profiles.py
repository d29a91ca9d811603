"""API profiles: which calls exist on which OS release (rules VER-01..06, AMB-28).

A profile is a platform plus a version. The availability table below is the single place that says when
an API appeared (and where it never exists); the reference SYSTEM consults it on every call, and the
catalogue uses the same profiles to decide where a rule applies. Deprecated APIs stay available: Apple
deprecates, it does not remove, except where the 27 SDK marks a symbol unavailable on a platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from bru_conformance.protocol import APIUnavailableError


@dataclass(frozen=True, order=True)
class Profile:
    """One API profile, e.g. `ios-26.4`. Ordered by version within a platform."""

    version: tuple[int, int]
    platform: str
    name: str

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def async_extension(self) -> bool:
        """27 and later use the async `PHBackgroundResourceUploadJobExtension` only (AMB-27)."""
        return self.version >= (27, 0)

    @cached_property
    def available(self) -> frozenset[str]:
        """Every API (canonical name) that exists in this profile."""
        return frozenset(api for api in AVAILABILITY if api_available(api, self))

    @cached_property
    def _answers(self) -> dict[str, bool]:
        """Every API name and alias -> whether it exists here: `has` is one dictionary look-up (the reference
        asks on every call, a million times in a 100,000-asset backup)."""
        answers = {api: api in self.available for api in AVAILABILITY}
        answers.update({alias: answers[name] for alias, name in ALIASES.items() if name in answers})
        return answers

    def has(self, api: str) -> bool:
        try:
            return self._answers[api]
        except KeyError:
            raise KeyError(f"unknown API {api!r}") from None

    def require(self, api: str) -> None:
        """Raise `APIUnavailableError` naming this profile if `api` does not exist in it."""
        if not self.has(api):
            raise APIUnavailableError(api, self.name, availability_text(api))


def _p(name: str) -> Profile:
    platform, version = name.split("-")
    major, minor = version.split(".")
    return Profile(version=(int(major), int(minor)), platform=platform, name=name)


PROFILES: dict[str, Profile] = {n: _p(n) for n in ("ios-26.1", "ios-26.4", "ios-26.5", "ios-27.0", "macos-27.0")}
DEFAULT_PROFILE = "ios-27.0"

# api -> (introduced on iOS, introduced on macOS or None when never there). Versions as (major, minor).
_IOS_ONLY = None
AVAILABILITY: dict[str, tuple[tuple[int, int], tuple[int, int] | None]] = {
    # 26.1 (VER-01)
    "PHBackgroundResourceUploadExtension": ((26, 1), _IOS_ONLY),
    "PHPhotoLibrary.uploadJobExtensionEnabled": ((26, 1), (27, 0)),
    "PHPhotoLibrary.setUploadJobExtensionEnabled": ((26, 1), _IOS_ONLY),
    "PHAssetResourceUploadJob.jobLimit": ((26, 1), (27, 0)),
    "PHAssetResourceUploadJob.fetchJobs": ((26, 1), (27, 0)),
    "PHAssetResourceUploadJob.resource": ((26, 1), _IOS_ONLY),
    "PHAssetResourceUploadJobChangeRequest.createJob": ((26, 1), (27, 0)),
    "PHAssetResourceUploadJobChangeRequest.init(for:)": ((26, 1), (27, 0)),
    "PHAssetResourceUploadJobChangeRequest.acknowledge": ((26, 1), (27, 0)),
    "PHAssetResourceUploadJobChangeRequest.retry": ((26, 1), (27, 0)),
    "Action.acknowledge": ((26, 1), (27, 0)),
    "Action.retry": ((26, 1), (27, 0)),
    # 26.4 (VER-02)
    "PHAssetResourceUploadJobChangeRequest.creationRequestForJob": ((26, 4), (27, 0)),
    "PHAssetResourceUploadJobChangeRequest.creationRequestForDownloadJob": ((26, 4), (27, 0)),
    "PHAssetResourceUploadJobChangeRequest.placeholderForCreatedAssetResourceUploadJob": ((26, 4), (27, 0)),
    "PHAssetResourceUploadJobChangeRequest.cancel": ((26, 4), (27, 0)),
    "State.cancelled": ((26, 4), (27, 0)),
    "PHAssetResourceUploadJob.type": ((26, 4), (27, 0)),
    "PHAssetResourceUploadJob.responseHeaderFields": ((26, 4), (27, 0)),
    "PHAssetResourceUploadJob.error": ((26, 4), (27, 0)),
    # 26.5 (VER-03)
    "Action.process": ((26, 5), (27, 0)),
    # 27.0 (VER-04)
    "PHBackgroundResourceUploadJobExtension": ((27, 0), (27, 0)),
    "PHPhotoLibrary.enableUploadJobExtension": ((27, 0), (27, 0)),
    "PHPhotoLibrary.disableUploadJobExtension": ((27, 0), (27, 0)),
    "PHPhotoLibrary.uploadJobExtensionOptions": ((27, 0), (27, 0)),
    "PHPhotoLibrary.setUploadJobExtensionOptions": ((27, 0), (27, 0)),
    "PHAssetResource.assetResource(forUploadJob:)": ((27, 0), (27, 0)),
    "PHPhotoLibrary.registerPersistentChangesObserver": ((27, 0), (27, 0)),
    "DeveloperMode": ((27, 0), (27, 0)),
}

# Deprecations (informational: deprecated APIs keep working). api -> version deprecated on iOS.
DEPRECATED: dict[str, tuple[int, int]] = {
    "PHAssetResourceUploadJobChangeRequest.createJob": (26, 4),
    "PHBackgroundResourceUploadExtension": (27, 0),
    "PHPhotoLibrary.setUploadJobExtensionEnabled": (27, 0),
    "PHAssetResourceUploadJob.resource": (27, 0),
}

# The short names the change-request and job APIs go by in steps and traces.
ALIASES: dict[str, str] = {
    "cancel": "PHAssetResourceUploadJobChangeRequest.cancel",
    "creationRequestForJob": "PHAssetResourceUploadJobChangeRequest.creationRequestForJob",
    "creationRequestForDownloadJob": "PHAssetResourceUploadJobChangeRequest.creationRequestForDownloadJob",
    "createJob": "PHAssetResourceUploadJobChangeRequest.createJob",
    "enableUploadJobExtension": "PHPhotoLibrary.enableUploadJobExtension",
    "disableUploadJobExtension": "PHPhotoLibrary.disableUploadJobExtension",
    "setUploadJobExtensionEnabled": "PHPhotoLibrary.setUploadJobExtensionEnabled",
    "uploadJobExtensionOptions": "PHPhotoLibrary.uploadJobExtensionOptions",
    "setUploadJobExtensionOptions": "PHPhotoLibrary.setUploadJobExtensionOptions",
    "assetResourceForUploadJob": "PHAssetResource.assetResource(forUploadJob:)",
}


def canonical(api: str) -> str:
    return ALIASES.get(api, api)


@cache
def api_available(api: str, profile: Profile) -> bool:
    api = canonical(api)
    try:
        ios, macos = AVAILABILITY[api]
    except KeyError:
        raise KeyError(f"unknown API {api!r}; known: {sorted(AVAILABILITY)}") from None
    since = ios if profile.platform == "ios" else macos
    return since is not None and profile.version >= since


def availability_text(api: str) -> str:
    ios, macos = AVAILABILITY[canonical(api)]
    mac = f"macOS {macos[0]}.{macos[1]}" if macos else "never on macOS"
    return f"available from iOS {ios[0]}.{ios[1]}, {mac}"


@dataclass(frozen=True, order=True)
class InteropProfile:
    """A SERVER-role profile: one interop version of the resumable-upload draft (`interop-8`). A server declares
    the versions it implements; scenarios in the others are `unsupported` (issue 14, AMB-36)."""

    version: int
    name: str
    platform: str = "interop"


INTEROP_VERSIONS = (3, 5, 6, 7, 8)
INTEROP_PROFILES: dict[str, InteropProfile] = {f"interop-{v}": InteropProfile(v, f"interop-{v}") for v in INTEROP_VERSIONS}


def get_any_profile(name: str) -> Profile | InteropProfile:
    """A lifecycle profile (`ios-27.0`) or a SERVER interop profile (`interop-8`)."""
    if name in INTEROP_PROFILES:
        return INTEROP_PROFILES[name]
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join([*PROFILES, *INTEROP_PROFILES])}") from None


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None


def profiles_between(since: str | None, until: str | None, platform: str | None = None) -> list[Profile]:
    """Profiles whose version lies in [since, until] (versions like `26.4`), optionally on one platform."""
    lo = tuple(int(x) for x in since.split(".")) if since else (0, 0)
    hi = tuple(int(x) for x in until.split(".")) if until else (99, 99)
    return [p for p in PROFILES.values() if lo <= p.version <= hi and (platform is None or p.platform == platform)]
