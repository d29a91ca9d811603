"""The photo library: assets, the limited-access selection and the persistent change history.

Change tracking is app-side (AMB-31): the library keeps an append-only history of (token, change)
entries; `changes_since(token)` answers `fetchPersistentChanges(since:)` and raises
`persistentChangeTokenExpired` once history has been pruned past that token (ERR-04).
"""

from __future__ import annotations

import bisect

from bru_conformance.protocol import (
    Asset,
    AssetResource,
    PersistentChanges,
    PhotoKitError,
    PhotoKitErrorCode,
)


class PhotoLibraryContents:
    """Assets by id in insertion order, plus the change history."""

    def __init__(self) -> None:
        self.assets: dict[str, Asset] = {}
        self.resources: dict[str, AssetResource] = {}
        self.limited_selection: set[str] = set()
        self._history: list[tuple[int, str, str]] = []  # (token, kind, asset id)
        self._token = 0
        self._pruned_through = 0

    @property
    def token(self) -> int:
        return self._token

    def _record(self, kind: str, asset_id: str) -> None:
        self._token += 1
        self._history.append((self._token, kind, asset_id))

    def add(self, asset: Asset) -> None:
        kind = "updated" if asset.asset_id in self.assets else "inserted"
        self.assets[asset.asset_id] = asset
        for r in asset.resources:
            self.resources[r.resource_id] = r
        self._record(kind, asset.asset_id)

    def delete(self, asset_id: str) -> None:
        asset = self.assets.pop(asset_id, None)
        if asset is None:
            raise KeyError(f"no asset {asset_id!r} in the library")
        for r in asset.resources:
            self.resources.pop(r.resource_id, None)
        self._record("deleted", asset_id)

    def prune_history(self) -> None:
        """Every token handed out so far expires; a token read afterwards is valid again."""
        self._token += 1
        self._pruned_through = self._token
        self._history.clear()

    def changes_since(self, token: int) -> PersistentChanges:
        if token < self._pruned_through:
            raise PhotoKitError(PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED,
                                f"history pruned through {self._pruned_through}, token {token}")
        buckets: dict[str, list[str]] = {"inserted": [], "updated": [], "deleted": []}
        start = bisect.bisect_right(self._history, token, key=lambda entry: entry[0])  # tokens only grow
        for _, kind, asset_id in self._history[start:]:
            buckets[kind].append(asset_id)
        return PersistentChanges(tuple(buckets["inserted"]), tuple(buckets["updated"]),
                                 tuple(buckets["deleted"]), self._token)

    def visible(self, limited: bool) -> list[Asset]:
        """Assets the app may see: all with full access, the user's selection with limited (CON-04)."""
        if not limited:
            return list(self.assets.values())
        return [a for a in self.assets.values() if a.asset_id in self.limited_selection]
