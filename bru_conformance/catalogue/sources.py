"""Source keys used in `@src:` tags, resolved to the Apple (or SDK header) page they cite.

Keys and URLs follow rules-digest.md §1; the catalogue resolves every Rule's keys through this table and
a project test fails on a key that is not here.
"""

from __future__ import annotations

_DOC = "https://developer.apple.com/documentation/photos/"
_SDK_26_1 = "https://github.com/alexey-lysiuk/macos-sdk"
_ONESTACK = "https://onestack.dev/ios-reference/Photos/"
_MINISWIFT = "https://miniswift.run/whats-new/photos/"
_RUD = "https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-resumable-upload-"

#: key -> a clean URL (nothing glued on: reports link it as it is)
SOURCES: dict[str, str] = {
    "ART": "https://developer.apple.com/documentation/photokit/uploading-asset-resources-in-the-background",
    "D-EXT": _DOC + "phbackgroundresourceuploadextension",
    "D-EXT-P": _DOC + "phbackgroundresourceuploadextension/process()",
    "D-EXT-T": _DOC + "phbackgroundresourceuploadextension/notifytermination()",
    "D-JEXT": _DOC + "phbackgroundresourceuploadjobextension",
    "D-JEXT-P": _DOC + "phbackgroundresourceuploadjobextension/processjobs()",
    "D-JEXT-T": _DOC + "phbackgroundresourceuploadjobextension/willterminate()",
    "D-RES": _DOC + "phbackgroundresourceuploadprocessingresult",
    "D-JOB": _DOC + "phassetresourceuploadjob",
    "D-FETCH": _DOC + "phassetresourceuploadjob/fetchjobs(action:options:)",
    "D-ACT": _DOC + "phassetresourceuploadjob/action",
    "D-STATE": _DOC + "phassetresourceuploadjob/state-swift.enum",
    "D-TYPE": _DOC + "phassetresourceuploadjob/type-swift.property",
    "D-DEST": _DOC + "phassetresourceuploadjob/destination",
    "D-RSRC": _DOC + "phassetresourceuploadjob/resource",
    "D-CR": _DOC + "phassetresourceuploadjobchangerequest",
    "D-CR-RETRY": _DOC + "phassetresourceuploadjobchangerequest/retry(destination:)",
    "D-CR-CANCEL": _DOC + "phassetresourceuploadjobchangerequest/cancel()",
    "D-CR-INIT": _DOC + "phassetresourceuploadjobchangerequest/init(for:)",
    "D-CR-NEW": _DOC + "phassetresourceuploadjobchangerequest/creationrequestforjob(destination:resource:)",
    "D-CR-DL": _DOC + "phassetresourceuploadjobchangerequest/creationrequestfordownloadjob(resource:)",
    "D-CR-OLD": _DOC + "phassetresourceuploadjobchangerequest/createjob(destination:resource:)",
    "D-CR-PH": _DOC + "phassetresourceuploadjobchangerequest/placeholderforcreatedassetresourceuploadjob",
    "D-LIB-EN": _DOC + "phphotolibrary/uploadjobextensionenabled",
    "D-LIB-SET": _DOC + "phphotolibrary/setuploadjobextensionenabled(_:)",
    "D-LIB-EN27": _DOC + "phphotolibrary/enableuploadjobextension(with:)",
    "D-LIB-DIS27": _DOC + "phphotolibrary/disableuploadjobextension()",
    "D-LIB-OPT": _DOC + "phphotolibrary/uploadjobextensionoptions",
    "D-LIB-SETOPT": _DOC + "phphotolibrary/setuploadjobextensionoptions(_:)",
    "D-OPT": _DOC + "phassetresourceuploadjoboptions",
    "D-AR": _DOC + "phassetresource/assetresource(foruploadjob:)",
    "D-ERR": _DOC + "phphotoserror-swift.struct/code/limitexceeded",
    "D-AUTH": _DOC + "phauthorizationstatus",
    "D-PRIV": "https://developer.apple.com/documentation/photokit/delivering-an-enhanced-privacy-experience-in-your-photos-app",
    "H26.1-J": _SDK_26_1, "H26.1-CR": _SDK_26_1, "H26.1-T": _SDK_26_1, "H26.1-L": _SDK_26_1,
    "H26.2": "https://github.com/luorixiangyang/iOS-SDKs",
    "H27-J": _ONESTACK + "PHAssetResourceUploadJob",
    "H27-CR": _ONESTACK + "PHAssetResourceUploadJobChangeRequest",
    "H27-T": _MINISWIFT,
    "H27-L": _MINISWIFT,
    "H27-O": _ONESTACK + "PHAssetResourceUploadJobOptions",
    "H27-AR": _ONESTACK + "PHAssetResource",
    "HERR": "https://github.com/phracker/MacOSX-SDKs",
    "DOTNET-26.5": "https://github.com/dotnet/macios/wiki/Photos-tvOS-xcode26.5-b1",
    "NEWS": "https://www.neowin.net/amp/apple-quietly-opens-up-background-photo-backups-to-third-party-apps-with-ios-261/",
    "FORUM-818566": "https://developer.apple.com/forums/thread/818566",
    # the IETF draft the SERVER rules (NET-11 on) are read from, one key per revision an interop version follows
    "RUD-01": _RUD + "01", "RUD-03": _RUD + "03", "RUD-05": _RUD + "05", "RUD-08": _RUD + "08", "RUD-09": _RUD + "09",
}

#: key -> what the link shows, where the URL alone does not say it (SDK header copies and mirrors)
LABELS: dict[str, str] = {
    "H26.1-J": "MacOSX26.1.sdk Photos.framework PHAssetResourceUploadJob.h",
    "H26.1-CR": "MacOSX26.1.sdk Photos.framework PHAssetResourceUploadJobChangeRequest.h",
    "H26.1-T": "MacOSX26.1.sdk Photos.framework PhotosTypes.h",
    "H26.1-L": "MacOSX26.1.sdk Photos.framework PHPhotoLibrary.h",
    "H26.2": "iPhoneOS26.2.sdk PHAssetResourceUploadJob.h",
    "H27-J": "iOS 27 SDK PHAssetResourceUploadJob.h (member list mirror)",
    "H27-CR": "iOS 27 SDK PHAssetResourceUploadJobChangeRequest.h (member list mirror)",
    "H27-T": "iOS 27 SDK PhotosTypes.h (Swift declarations mirror)",
    "H27-L": "iOS 27 SDK PHPhotoLibrary.h (Swift declarations mirror)",
    "H27-O": "iOS 27 SDK PHAssetResourceUploadJobOptions.h (member list mirror)",
    "H27-AR": "iOS 27 SDK PHAssetResource.h (member list mirror)",
    "HERR": "MacOSX12.3.sdk PHError.h",
    "RUD-01": "draft-ietf-httpbis-resumable-upload-01 (interop version 3)",
    "RUD-03": "draft-ietf-httpbis-resumable-upload-03 (interop version 5)",
    "RUD-05": "draft-ietf-httpbis-resumable-upload-05 (interop version 6)",
    "RUD-08": "draft-ietf-httpbis-resumable-upload-08 (interop version 7)",
    "RUD-09": "draft-ietf-httpbis-resumable-upload-09 (interop version 8)",
}


def label(key: str) -> str:
    return LABELS.get(key, key)


def resolve(key: str) -> str:
    try:
        return SOURCES[key]
    except KeyError:
        raise KeyError(f"unknown source key {key!r}; known: {', '.join(SOURCES)}") from None
