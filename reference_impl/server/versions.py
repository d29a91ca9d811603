"""What changes between the interop versions the reference server implements (3, 5, 6, 7, 8).

The server answers each upload resource in the dialect of the interop version its creation request
carried, so one table keeps every version difference in one place instead of `if version >= N`
scattered through the handlers. Each row names the draft revision it was read from (the markdown
source of draft-ietf-httpbis-resumable-upload in httpwg/http-extensions, at its revision tag):

* 3 -> draft-01: completion is `Upload-Incomplete` (true = more to come; absent = complete); HEAD and
  DELETE must not carry upload fields (400); HEAD answers 204; no OPTIONS / `Upload-Limit` at all.
* 5 -> draft-03: `Upload-Complete` with the inverted meaning (only a true value completes; absent means
  not complete); HEAD may answer 200 or 204; interim 104s may report progress.
* 6 -> draft-05 (draft-04 carries the same number): PATCH must use `application/partial-upload`;
  `Upload-Length` announces the final size; `Upload-Limit` (a Dictionary) appears, with `min-size=0`
  when no limit; completed uploads are never modified (400); bytes past the length stop being appended.
* 7 -> draft-08 (draft-06/07 too): append responses carry `Upload-Complete` but no longer need
  `Upload-Offset`; a 409 must carry the correct offset; appending past the length invalidates the
  resource; PATCH must carry `Upload-Complete`; the HEAD/DELETE "no upload fields" 400 rule is gone.
* 8 -> draft-09 (draft-10/11 too): the 104 must carry `Upload-Limit` when limits exist, HEAD must carry
  `Upload-Limit`; from draft-10 OPTIONS must carry `Accept-Patch: application/partial-upload`.
"""

from __future__ import annotations

from dataclasses import dataclass

INTEROP_HEADER = "upload-draft-interop-version"
PARTIAL_UPLOAD = "application/partial-upload"


@dataclass(frozen=True)
class VersionRules:
    """The behaviour of one interop version, as the server applies it."""

    version: int
    draft: str                      # the revision the row was read from
    completion_field: str           # "upload-incomplete" (3) or "upload-complete" (4+)
    absent_means_complete: bool     # how a PATCH without the completion field is read
    completion_required_on_append: bool
    partial_upload_required: bool   # PATCH needs Content-Type: application/partial-upload
    has_upload_length: bool         # Upload-Length request/response field exists
    has_upload_limit: bool          # Upload-Limit exists (OPTIONS, 104, creation, HEAD)
    limit_required_in_104: bool
    limit_required_on_head: bool
    append_reports_offset: bool     # append/creation responses carry Upload-Offset
    append_reports_complete: bool   # append responses carry Upload-Complete (7+)
    head_statuses: tuple[int, ...]  # success statuses allowed for offset retrieval
    rejects_fields_on_head_delete: bool
    overflow_invalidates: bool      # appending past the length invalidates the resource (7+)
    accept_patch_on_options: bool

    def completion_value(self, complete: bool) -> bool:
        """The Boolean to put in the completion field for this completeness."""
        return (not complete) if self.completion_field == "upload-incomplete" else complete

    def complete_from(self, value: bool | None) -> bool | None:
        """Completeness a request announces, from the completion field's parsed value (None = absent)."""
        if value is None:
            return None
        return (not value) if self.completion_field == "upload-incomplete" else value


def _rules(version: int, draft: str) -> VersionRules:
    return VersionRules(
        version=version,
        draft=draft,
        completion_field="upload-incomplete" if version == 3 else "upload-complete",
        absent_means_complete=version == 3,
        completion_required_on_append=version >= 7,
        partial_upload_required=version >= 6,
        has_upload_length=version >= 6,
        has_upload_limit=version >= 6,
        limit_required_in_104=version >= 8,
        limit_required_on_head=version >= 8,
        append_reports_offset=version <= 6,
        append_reports_complete=version >= 7,
        head_statuses=(204,) if version <= 4 else (200, 204),
        rejects_fields_on_head_delete=version <= 6,
        overflow_invalidates=version >= 7,
        accept_patch_on_options=version >= 8,
    )


RULES: dict[int, VersionRules] = {
    3: _rules(3, "draft-ietf-httpbis-resumable-upload-01"),
    5: _rules(5, "draft-ietf-httpbis-resumable-upload-03"),
    6: _rules(6, "draft-ietf-httpbis-resumable-upload-05"),
    7: _rules(7, "draft-ietf-httpbis-resumable-upload-08"),
    8: _rules(8, "draft-ietf-httpbis-resumable-upload-09"),
}
SUPPORTED_VERSIONS: tuple[int, ...] = tuple(sorted(RULES))
